/** Capped exponential back-off, with optional jitter. Pure. */

export interface BackoffPolicy {
  /** Delay of the first retry, in ms. */
  readonly baseMs: number;
  /** No delay exceeds this, in ms. */
  readonly maxMs: number;
  /** Fraction of the delay added at random (0 = none, 1 = up to double); the result is still capped. */
  readonly jitter?: number;
}

/** Delay before retry number `failures` (1 = first retry): base * 2^(failures-1), jittered, capped. */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, failures);
  // 2^n overflows to Infinity long after the cap; Math.min keeps the result finite.
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 60));
  const jittered = exp + exp * (policy.jitter ?? 0) * random();
  return Math.min(policy.maxMs, Math.round(jittered));
}

/** Wait `ms`, or less when `signal` aborts first; never rejects. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
