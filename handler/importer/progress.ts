/**
 * Import progress as CDI reports it (pure): the share of the source's Content-Length read so far,
 * as `status.progress` shows it ("45.20%", two decimals), reported at most once a second and
 * never going backwards. Without a Content-Length there is no percentage (CDI shows N/A).
 */

export function formatProgress(readBytes: number, totalBytes: number, done = false): string | undefined {
  if (!(totalBytes > 0)) return undefined;
  const pct = done || readBytes >= totalBytes ? 100 : (readBytes / totalBytes) * 100;
  return `${pct.toFixed(2)}%`;
}

/** Decides when a progress value is worth reporting: the first, then one per interval, and the end. */
export class ProgressThrottle {
  private last = -Infinity;
  private lastValue: string | undefined;

  constructor(private readonly intervalMs = 1000) {}

  /** The value to report now, or undefined to stay quiet. */
  next(value: string | undefined, nowMs: number, final = false): string | undefined {
    if (value === undefined || value === this.lastValue) return undefined;
    if (!final && nowMs - this.last < this.intervalMs) return undefined;
    this.last = nowMs;
    this.lastValue = value;
    return value;
  }
}
