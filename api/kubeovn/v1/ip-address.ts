/**
 * IPv4/IPv6 addresses, CIDRs and Kube-OVN's "a..b" ranges as big integers, so rules can
 * test membership and order. Pure and strict: anything Go's net package would refuse is
 * undefined here.
 */

export type Family = 4 | 6;

export interface Address {
  readonly family: Family;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: Family;
  readonly prefix: number;
  /** First and last address of the block (host bits cleared / set). */
  readonly first: bigint;
  readonly last: bigint;
  readonly text: string;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Go refuses leading zeros (ambiguous octal) and anything but decimal digits.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (!text.includes(':') || text.includes('%')) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseAddress(text: string): Address | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !/^(0|[1-9]\d*)$/.test(prefixText)) return undefined;
  const bits = addr.family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const first = addr.value & ~hostMask;
  return { family: addr.family, prefix, first, last: first | hostMask, text };
}

export function cidrContains(cidr: Cidr, addr: Address): boolean {
  return cidr.family === addr.family && addr.value >= cidr.first && addr.value <= cidr.last;
}

export function familyName(family: Family): string {
  return family === 4 ? 'IPv4' : 'IPv6';
}

/** Split Kube-OVN's comma-separated lists ("10.0.0.0/24,fd00::/64"), trimming blanks. */
export function commaList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export type Endpoint =
  | { readonly kind: 'address'; readonly address: Address }
  | { readonly kind: 'range'; readonly from: Address; readonly to: Address };

/** An excludeIps / IPPool entry: an address or an "a..b" range; a reason when malformed. */
export function parseAddressOrRange(text: string): Endpoint | { readonly problem: string } {
  if (text.includes('..')) {
    const [fromText, toText, ...rest] = text.split('..');
    const from = parseAddress(fromText);
    const to = parseAddress(toText ?? '');
    if (rest.length || !from || !to)
      return { problem: 'is not a range of two addresses written as first..last' };
    if (from.family !== to.family) return { problem: 'mixes IPv4 and IPv6 in one range' };
    if (from.value > to.value) return { problem: 'ends before it starts (put the lower address first)' };
    return { kind: 'range', from, to };
  }
  const address = parseAddress(text);
  return address ? { kind: 'address', address } : { problem: 'is not an IP address' };
}

/** MAC-48 written with colons or dashes. */
export function isMac(text: string): boolean {
  return /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(text);
}
