/**
 * Shape-tolerant readers for semantic rules. A rule runs on whatever the user wrote,
 * which may not match the schema (the schema report already names those problems), so
 * it reads through these and treats anything of the wrong type as absent instead of
 * trusting the static types or throwing.
 */
export type Json = Record<string, unknown>;

/** The value as an object, or undefined when it is anything else (null and lists included). */
export function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The value as a list, or an empty list when it is anything else. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as a list of objects; entries that are not objects read as `{}`, so indexes stay true. */
export function records(value: unknown): Json[] {
  return list(value).map((entry) => record(entry) ?? {});
}

/** The value as a string (the empty string included), or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value as a non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Follow a chain of object keys, `dig(spec, 'domain', 'devices')`, stopping at the first non-object. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let at: unknown = value;
  for (const key of keys) {
    const r = record(at);
    if (!r) return undefined;
    at = r[key];
  }
  return at;
}

/** True when the key is present and not null (Go's "pointer is set"). */
export function has(o: Json | undefined, key: string): boolean {
  return !!o && o[key] !== undefined && o[key] !== null;
}
