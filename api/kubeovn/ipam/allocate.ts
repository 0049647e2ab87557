/**
 * Kube-OVN's IPAM for one interface (pure): a fixed address or MAC checked against the subnet
 * and the IP objects, the address an interface already holds kept (a VM keeps its address
 * across stop/start and restart, because its IP object outlives the pod), else the lowest free
 * address (only from the interface's IPPools when it has some, never from other interfaces'
 * IPPools: pools.ts). IPv4 only: an IPv6-only subnet is refused, a dual-stack one gives its IPv4 address.
 *
 * Deliberate difference from Kube-OVN: recent Kube-OVN versions let a fixed address fall inside
 * `excludeIps`; virtkit refuses it, because excluded addresses are usually the routers and
 * appliances of the segment.
 */
import {
  cidrContains,
  commaList,
  isMac,
  parseAddress,
  parseAddressOrRange,
  parseCidr,
  type IP,
  type IPPool,
  type Subnet,
} from '../v1';
import { KubeOvnAddressError } from './errors';
import { commaRanges, inScope, poolV4Ranges, type AddressScope } from './pools';

export interface AllocationRequest {
  readonly subnet: Subnet;
  /** The IP object this interface's allocation lives in (keys.ts ipObjectName). */
  readonly ipName: string;
  /** Where a fixed address and MAC came from, for messages (annotation keys). */
  readonly ipField: string;
  readonly macField: string;
  readonly requestedIp?: string;
  readonly requestedMac?: string;
  /** Every IP object of the cluster. */
  readonly ips: readonly IP[];
  /** Where an automatic address may come from (pools.ts addressScope). @default the whole Subnet */
  readonly scope?: AddressScope;
  /** A fresh MAC (Kube-OVN's are 00:00:00 followed by three random bytes). */
  readonly randomMac: () => string;
}

export interface Allocation {
  readonly subnet: string;
  readonly ip: string;
  readonly mac: string;
  readonly cidr: string;
  readonly gateway: string;
  readonly prefix: number;
}

interface V4Block {
  readonly cidr: string;
  readonly prefix: number;
  readonly first: bigint;
  readonly last: bigint;
  readonly gateway: bigint;
  readonly excluded: readonly (readonly [bigint, bigint])[];
}

export function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

/** The subnet's IPv4 block, gateway and excluded ranges; throws InvalidSubnet. */
export function subnetV4Block(subnet: Subnet): V4Block {
  const name = subnet.metadata?.name ?? '';
  const blocks = commaList(subnet.spec?.cidrBlock ?? '');
  const v4 = blocks.map(parseCidr).find((c) => c?.family === 4);
  if (!v4)
    throw new KubeOvnAddressError(
      'InvalidSubnet',
      `Subnet ${name} has no IPv4 block in spec.cidrBlock (${JSON.stringify(subnet.spec?.cidrBlock ?? '')}); ` +
        'virtkit allocates IPv4 addresses only: add an IPv4 block',
    );
  if (v4.prefix > 30)
    throw new KubeOvnAddressError(
      'InvalidSubnet',
      `Subnet ${name} spec.cidrBlock ${v4.text} has no room for pods; use a block of /30 or larger`,
    );
  const gwText = commaList(subnet.spec?.gateway ?? '').find((g) => parseAddress(g)?.family === 4);
  const gw = gwText !== undefined ? parseAddress(gwText) : undefined;
  const excluded: [bigint, bigint][] = [];
  for (const e of subnet.spec?.excludeIps ?? []) {
    const p = parseAddressOrRange(e.trim());
    if ('problem' in p) continue; // the Subnet's own validation reports it
    if (p.kind === 'address' && p.address.family === 4) excluded.push([p.address.value, p.address.value]);
    if (p.kind === 'range' && p.from.family === 4) excluded.push([p.from.value, p.to.value]);
  }
  return {
    cidr: `${formatIPv4(v4.first)}/${v4.prefix}`,
    prefix: v4.prefix,
    first: v4.first,
    last: v4.last,
    gateway: gw?.value ?? v4.first + 1n,
    excluded,
  };
}

function ipv4Of(ip: IP): string | undefined {
  const text = ip.spec?.v4IpAddress || commaList(ip.spec?.ipAddress ?? '').find((a) => a.includes('.'));
  return text || undefined;
}

const isExcluded = (b: V4Block, v: bigint) => b.excluded.some(([from, to]) => v >= from && v <= to);

/** Allocate (or keep) the interface's address and MAC; throws KubeOvnAddressError. */
export function allocateAddress(req: AllocationRequest): Allocation {
  const name = req.subnet.metadata?.name ?? '';
  const block = subnetV4Block(req.subnet);
  const others = req.ips.filter((i) => i.metadata?.name !== req.ipName);
  const usedBy = new Map<bigint, string>();
  for (const o of others) {
    if (o.spec?.subnet !== name) continue;
    const a = parseAddress(ipv4Of(o) ?? '');
    if (a?.family === 4) usedBy.set(a.value, o.metadata?.name ?? '');
  }
  const mine = req.ips.find((i) => i.metadata?.name === req.ipName);
  const cidrText = block.cidr;
  const where = `Subnet ${name} (${cidrText})`;

  let ip: bigint | undefined;
  if (req.requestedIp !== undefined && req.requestedIp.trim() !== '') {
    const text = req.requestedIp.trim();
    const v4Text = commaList(text).find((t) => t.includes('.'));
    const a = parseAddress(v4Text ?? '');
    if (!a || a.family !== 4)
      throw new KubeOvnAddressError(
        'InvalidAddress',
        `${req.ipField} is ${JSON.stringify(text)}, which is not an IPv4 address; write one address of ${where}, e.g. ${formatIPv4(block.first + 10n)}`,
      );
    const cidr = parseCidr(cidrText);
    if (!cidr || !cidrContains(cidr, a) || a.value === block.first || a.value === block.last)
      throw new KubeOvnAddressError(
        'AddressOutOfRange',
        `${req.ipField} ${v4Text} is outside ${where}'s usable addresses ${formatIPv4(block.first + 1n)}-${formatIPv4(block.last - 1n)}; pick an address inside spec.cidrBlock`,
      );
    if (a.value === block.gateway)
      throw new KubeOvnAddressError(
        'AddressConflict',
        `${req.ipField} ${v4Text} is the gateway of ${where}; pick another address`,
      );
    if (isExcluded(block, a.value))
      throw new KubeOvnAddressError(
        'AddressExcluded',
        `${req.ipField} ${v4Text} is in spec.excludeIps of ${where} (${(req.subnet.spec?.excludeIps ?? []).join(', ')}); pick an address outside excludeIps`,
      );
    const holder = usedBy.get(a.value);
    if (holder !== undefined)
      throw new KubeOvnAddressError(
        'AddressConflict',
        `${req.ipField} ${v4Text} of ${where} is already allocated to ${holder} (IP object); pick a free address or release that one`,
      );
    ip = a.value;
  } else {
    const free = (v: bigint) =>
      v > block.first &&
      v < block.last &&
      v !== block.gateway &&
      !isExcluded(block, v) &&
      !usedBy.has(v) &&
      inScope(req.scope, v);
    const kept = mine?.spec?.subnet === name ? parseAddress(ipv4Of(mine) ?? '') : undefined;
    if (kept?.family === 4 && free(kept.value)) ip = kept.value;
    const only = req.scope?.only;
    if (only) {
      // A pool's (or a list's) addresses, in its order, clipped to the subnet.
      for (const [from, to] of only.ranges) {
        const lo = from > block.first ? from : block.first + 1n;
        const hi = to < block.last ? to : block.last - 1n;
        for (let v = lo; ip === undefined && v <= hi; v++) if (free(v)) ip = v;
      }
      if (ip === undefined)
        throw new KubeOvnAddressError(
          'NoAvailableAddress',
          `${only.where} has no free address of ${where} (its addresses: ${commaRanges(only.ranges, formatIPv4) || 'none'}); ` +
            'add addresses to it, or release some',
        );
    }
    for (let v = block.first + 1n; ip === undefined && v < block.last; v++) if (free(v)) ip = v;
    if (ip === undefined)
      throw new KubeOvnAddressError(
        'NoAvailableAddress',
        `${where} has no free address (${usedBy.size} allocated, excludeIps ${JSON.stringify(req.subnet.spec?.excludeIps ?? [])}` +
          `${req.scope?.avoid.length ? `, IPPools ${commaRanges(req.scope.avoid, formatIPv4)}` : ''}); ` +
          'grow spec.cidrBlock, shrink excludeIps, or release addresses',
      );
  }

  const macsInUse = new Map<string, string>();
  for (const o of others)
    if (o.spec?.macAddress) macsInUse.set(o.spec.macAddress.toLowerCase(), o.metadata?.name ?? '');
  let mac: string;
  if (req.requestedMac !== undefined && req.requestedMac.trim() !== '') {
    const text = req.requestedMac.trim();
    if (!isMac(text))
      throw new KubeOvnAddressError(
        'InvalidAddress',
        `${req.macField} is ${JSON.stringify(text)}, which is not a MAC address; write six hex pairs, e.g. 00:00:00:12:34:56`,
      );
    mac = text.replace(/-/g, ':').toLowerCase();
    if ((parseInt(mac.slice(0, 2), 16) & 1) === 1)
      throw new KubeOvnAddressError(
        'InvalidAddress',
        `${req.macField} ${text} is a multicast MAC; the first byte must be even`,
      );
    const holder = macsInUse.get(mac);
    if (holder !== undefined)
      throw new KubeOvnAddressError(
        'AddressConflict',
        `${req.macField} ${text} is already allocated to ${holder} (IP object); pick another MAC`,
      );
  } else {
    const kept = mine?.spec?.macAddress?.toLowerCase();
    mac = kept && isMac(kept) && !macsInUse.has(kept) ? kept : req.randomMac();
    for (let i = 0; macsInUse.has(mac) && i < 16; i++) mac = req.randomMac();
  }
  return {
    subnet: name,
    ip: formatIPv4(ip),
    mac,
    cidr: cidrText,
    gateway: formatIPv4(block.gateway),
    prefix: block.prefix,
  };
}

/** How many IPv4 addresses of the subnet are allocated and how many remain (Subnet status). */
export function subnetV4Usage(subnet: Subnet, ips: readonly IP[]): { using: number; available: number } {
  const block = subnetV4Block(subnet);
  const name = subnet.metadata?.name ?? '';
  const lo = block.first + 1n;
  const hi = block.last - 1n;
  // Excluded ranges clipped to the usable addresses and merged, so each address counts once.
  let reserved = 0n;
  for (const [a, b] of clipAndMerge([...block.excluded, [block.gateway, block.gateway]], lo, hi))
    reserved += b - a + 1n;
  // Only the block's usable addresses: an IP object outside it holds no address of the subnet.
  const used = new Set<bigint>();
  for (const o of ips) {
    if (o.spec?.subnet !== name) continue;
    const a = parseAddress(ipv4Of(o) ?? '');
    if (a?.family === 4 && a.value >= lo && a.value <= hi) used.add(a.value);
  }
  let usedFree = 0n;
  for (const v of used) if (v !== block.gateway && !isExcluded(block, v)) usedFree++;
  return { using: used.size, available: Number(hi - lo + 1n - reserved - usedFree) };
}

/**
 * How many of an IPPool's IPv4 addresses are allocated and how many remain (IPPool status):
 * its entries clipped to the subnet's usable addresses, less the subnet's gateway and excludeIps.
 */
export function ipPoolV4Usage(
  pool: IPPool,
  subnet: Subnet,
  ips: readonly IP[],
): { using: number; available: number } {
  const block = subnetV4Block(subnet);
  const name = subnet.metadata?.name ?? '';
  const lo = block.first + 1n;
  const hi = block.last - 1n;
  const inPool = clipAndMerge(poolV4Ranges(pool), lo, hi);
  const reserved = clipAndMerge([...block.excluded, [block.gateway, block.gateway]], lo, hi);
  let total = 0n;
  for (const [a, b] of inPool) {
    total += b - a + 1n;
    for (const [ra, rb] of reserved) {
      const from = ra > a ? ra : a;
      const to = rb < b ? rb : b;
      if (from <= to) total -= to - from + 1n;
    }
  }
  const used = new Set<bigint>();
  for (const o of ips) {
    if (o.spec?.subnet !== name) continue;
    const a = parseAddress(ipv4Of(o) ?? '');
    if (a?.family !== 4) continue;
    const v = a.value;
    const within = (rs: readonly (readonly [bigint, bigint])[]) => rs.some(([x, y]) => v >= x && v <= y);
    if (within(inPool) && !within(reserved)) used.add(v);
  }
  return { using: used.size, available: Number(total) - used.size };
}

/** The ranges clipped to lo..hi, sorted, with overlapping or adjacent ones joined. */
function clipAndMerge(
  ranges: readonly (readonly [bigint, bigint])[],
  lo: bigint,
  hi: bigint,
): [bigint, bigint][] {
  const sorted = ranges
    .map(([a, b]) => [a < lo ? lo : a, b > hi ? hi : b] as const)
    .filter(([a, b]) => a <= b)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) last[1] = b > last[1] ? b : last[1];
    else out.push([a, b]);
  }
  return out;
}
