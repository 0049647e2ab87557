/** Helpers to write QEMU's `key=value,key=value` option strings safely. */

/** QEMU option values escape a comma by doubling it. */
export function optValue(value: string | number | boolean): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value).replace(/,/g, ',,');
}

/** `driver,key=value,...` with undefined entries left out. */
export function opts(
  head: string | undefined,
  entries: Record<string, string | number | boolean | undefined>,
): string {
  const parts = head ? [head] : [];
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) continue;
    parts.push(`${k}=${optValue(v)}`);
  }
  return parts.join(',');
}

/** QEMU ids allow letters, digits, '-', '.', '_' and must start with a letter. */
export function qemuId(prefix: string, name: string): string {
  return `${prefix}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
