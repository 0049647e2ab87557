/**
 * IP prefixes (pure): parsing `address/prefix` for IPv4 and IPv6, and whether two prefixes
 * overlap (node's net.BlockList does the address arithmetic).
 */
import { BlockList, isIP } from 'net';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly text: string;
}

/** The prefix in `text`, or a string saying what is wrong with it. */
export function parseCidr(text: string): Cidr | string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return 'is not in CIDR notation (address/prefix-length, e.g. 10.244.0.0/24)';
  const version = isIP(m[1]);
  if (version === 0) return `has ${JSON.stringify(m[1])}, not an IP address`;
  const prefix = Number(m[2]);
  const max = version === 4 ? 32 : 128;
  if (prefix > max) return `has prefix length ${prefix}, more than ${max}`;
  return { address: m[1], prefix, family: version === 4 ? 'ipv4' : 'ipv6', text };
}

/** Whether `address` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (family !== cidr.family) return false;
  const list = new BlockList();
  list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list.check(address, family);
}

/**
 * Whether two prefixes share any address. Prefixes are nested or disjoint, so they overlap
 * exactly when the wider one contains an address of the narrower.
 */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const [wide, narrow] = a.prefix <= b.prefix ? [a, b] : [b, a];
  return cidrContains(wide, narrow.address);
}
