/**
 * Go's time.ParseDuration syntax (what KubeVirt's metav1.Duration fields such as an export's
 * ttlDuration accept: 2h, 90m, 1h30m, 1.5h, 300ms), read into milliseconds, and whole seconds
 * written back in Go's style. Pure; the controller, admission and the CLI share it.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const WHOLE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds of a Go duration, or undefined when `text` is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!WHOLE.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isFinite(ms) ? ms : undefined;
}

/** A Go-style rendering of whole seconds (1h30m0s), for messages and the CLI. */
export function formatGoDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${m}m${sec}s` : m ? `${m}m${sec}s` : `${sec}s`;
}
