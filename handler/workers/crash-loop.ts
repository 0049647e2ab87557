/**
 * kubelet's crash-loop back-off for a worker pod whose import failed (pure): restartPolicy
 * OnFailure runs it again after 10 s, doubling with every further failure up to 5 minutes.
 */

export interface CrashLoopBackoff {
  /** @default 10000 (kubelet's initial back-off) */
  readonly initialMs?: number;
  /** @default 300000 (kubelet's MaxContainerBackOff) */
  readonly maxMs?: number;
}

export const DEFAULT_CRASH_LOOP_INITIAL_MS = 10_000;
export const DEFAULT_CRASH_LOOP_MAX_MS = 300_000;

/** The wait before run number `failures + 1`, after `failures` (>= 1) failed runs. */
export function crashLoopDelayMs(failures: number, o: CrashLoopBackoff = {}): number {
  const initial = o.initialMs ?? DEFAULT_CRASH_LOOP_INITIAL_MS;
  const max = o.maxMs ?? DEFAULT_CRASH_LOOP_MAX_MS;
  if (failures <= 0) return 0;
  return Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
}

/** kubelet's waiting message during the back-off. */
export function crashLoopMessage(
  delayMs: number,
  container: string,
  namespace: string,
  name: string,
): string {
  return `back-off ${formatDuration(delayMs)} restarting failed container=${container} pod=${name}_${namespace}`;
}

/** Go's time.Duration format for whole seconds and minutes: 10s, 1m20s, 5m0s. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}
