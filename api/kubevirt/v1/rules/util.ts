/**
 * Defensive readers for rules: a rule runs on whatever the user wrote, which may not
 * match the schema, so it reads through these instead of trusting the types.
 */
export type Json = Record<string, unknown>;

export function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

export function arr(value: unknown): Json[] {
  return Array.isArray(value) ? value.map((v) => obj(v) ?? {}) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Follow a chain of object keys: `dig(spec, 'domain', 'devices')`. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let cur: unknown = value;
  for (const k of keys) {
    const o = obj(cur);
    if (!o) return undefined;
    cur = o[k];
  }
  return cur;
}

/** True when the key is present and not null (KubeVirt's "pointer is set"). */
export function has(o: Json | undefined, key: string): boolean {
  return !!o && o[key] !== undefined && o[key] !== null;
}

/** FeatureState-like markers (`smm: {}` or `smm: {enabled: true}`) count as enabled unless enabled is false. */
export function enabledMarker(value: unknown): boolean {
  const o = obj(value);
  return !!o && o.enabled !== false;
}
