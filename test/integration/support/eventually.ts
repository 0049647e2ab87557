/**
 * Polls until a probe answers (anything but undefined), for the integration suites that wait on
 * what a controller does. A probe that throws is retried; on timeout the error names what was
 * awaited, the probe's last error, and whatever `context` adds (a component's log tail).
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { readonly timeoutMs?: number; readonly context?: () => string } = {},
): Promise<T> {
  const until = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) {
      const why = last ? `: ${(last as Error).message}` : '';
      const extra = options.context ? `\n${options.context()}` : '';
      throw new Error(`timed out waiting for ${what}${why}${extra}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
