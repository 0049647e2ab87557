/** Plain-data helpers for renderers: manifests never carry undefined members or empty lists. */

/** Drop undefined members, recursively (plain data only). */
export function compact<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => compact(v) as unknown) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== undefined) out[k] = compact(v);
  }
  return out as T;
}

/** The list, or undefined when it is empty (so the field is left out). */
export function nonEmpty<T>(list: readonly T[]): T[] | undefined {
  return list.length ? [...list] : undefined;
}

/** The map, or undefined when it has no keys. */
export function nonEmptyMap<T>(map: { [key: string]: T }): { [key: string]: T } | undefined {
  return Object.keys(map).length ? { ...map } : undefined;
}

/** Drop undefined members at the top level only (for renderers whose parts are already clean). */
export function dropUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}
