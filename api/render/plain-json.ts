/**
 * The canonical form of rendered data: keys sorted, null and undefined dropped, which is
 * what cdk8s's toJson writes. The constructs' synth uses it as its fast path (same output
 * as cdk8s's token resolution at a fraction of the cost); the Pulumi component uses it so
 * both front ends send byte-identical specs. Returns undefined when a non-plain value
 * (a token, a class instance) is found, so a caller can fall back to its own resolution.
 */
const NOT_PLAIN = Symbol('not-plain');

function sortClean(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const v = sortClean(value[i]);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      out[i] = v;
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(src).sort()) {
    const v = sortClean(src[key]);
    if (v === NOT_PLAIN) return NOT_PLAIN;
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** A sorted, null-free copy of plain data, or undefined when it holds non-plain values. */
export function plainSorted<T>(value: T): T | undefined {
  const out = sortClean(value);
  return out === NOT_PLAIN ? undefined : (out as T);
}
