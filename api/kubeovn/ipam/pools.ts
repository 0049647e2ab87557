/**
 * Kube-OVN's IP pools in the IPAM (pure): which addresses of its Subnet an interface may take
 * automatically.
 *
 * - `<provider>.kubernetes.io/ip_pool: <IPPool name>`: only that pool's addresses (its Subnet is
 *   then the interface's Subnet, unless logical_switch names another: refused);
 * - `<provider>.kubernetes.io/ip_pool: a,b,c`: the first free address of that list (Kube-OVN's
 *   fixed-address list for workloads);
 * - else the IPPools of the Subnet whose `spec.namespaces` list the pod's namespace: only their
 *   addresses (several pools may bind one namespace);
 * - else anything in the Subnet outside all of its IPPools.
 *
 * A pool's effective addresses are its entries clipped to the Subnet; the Subnet's excludeIps
 * and gateway stay reserved inside a pool. A fixed `ip_address` is not limited by pools.
 */
import { parseAddress, parseAddressOrRange, parseCidr, type IPPool, type Subnet } from '../v1';
import { KubeOvnAddressError } from './errors';
import { KUBE_OVN_KEYS, kubeOvnAnnotationKey } from './keys';

/** An inclusive range of IPv4 addresses. */
export type V4Range = readonly [bigint, bigint];

/** Where an interface's automatic address may come from. */
export interface AddressScope {
  /** Only these addresses, tried in this order (IPPools, or an ip_pool list); `where` names them. */
  readonly only?: { readonly ranges: readonly V4Range[]; readonly where: string };
  /** Never these automatically (the Subnet's IPPools, for an interface that uses none). */
  readonly avoid: readonly V4Range[];
}

/** What an interface's ip_pool annotation asks for. */
export type PoolRequest =
  | { readonly kind: 'pool'; readonly name: string; readonly field: string }
  | { readonly kind: 'list'; readonly addresses: readonly string[]; readonly field: string };

/** The ip_pool annotation of `provider`'s interface, read: a pool name or a list of addresses. */
export function poolRequestOf(
  provider: string,
  annotations: Readonly<Record<string, string>>,
): PoolRequest | undefined {
  const key = kubeOvnAnnotationKey(provider, KUBE_OVN_KEYS.ipPool);
  const text = annotations[key]?.trim();
  if (!text) return undefined;
  const field = `annotation ${key}`;
  // ',' and ';' both separate entries (';' appears in Kube-OVN's dual-stack lists); only the
  // IPv4 addresses are used.
  const items = text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length > 0 && items.every((i) => parseAddress(i) !== undefined))
    return { kind: 'list', addresses: items, field };
  if (items.length !== 1 || items.some((i) => parseAddress(i) !== undefined))
    throw new KubeOvnAddressError(
      'InvalidAddress',
      `${field} is ${JSON.stringify(text)}; write the name of one IPPool, or a comma-separated list of IP addresses`,
    );
  return { kind: 'pool', name: items[0], field };
}

/** The IPv4 ranges a pool's `spec.ips` entries cover (malformed entries are the IPPool rules' to report). */
export function poolV4Ranges(pool: IPPool): V4Range[] {
  const out: V4Range[] = [];
  for (const raw of pool.spec?.ips ?? []) {
    const entry = raw.trim();
    if (entry.includes('/')) {
      const c = parseCidr(entry);
      if (c?.family === 4) out.push([c.first, c.last]);
      continue;
    }
    const p = parseAddressOrRange(entry);
    if ('problem' in p) continue;
    if (p.kind === 'address' && p.address.family === 4) out.push([p.address.value, p.address.value]);
    if (p.kind === 'range' && p.from.family === 4) out.push([p.from.value, p.to.value]);
  }
  return sortRanges(out);
}

function sortRanges(ranges: V4Range[]): V4Range[] {
  return ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const live = (p: IPPool) => !p.metadata?.deletionTimestamp;

/** The Subnet an ip_pool annotation implies (its pool's), when it names a pool; throws IPPoolNotFound. */
export function poolSubnetName(
  provider: string,
  annotations: Readonly<Record<string, string>>,
  pools: readonly IPPool[],
): string | undefined {
  const req = poolRequestOf(provider, annotations);
  if (req?.kind !== 'pool') return undefined;
  return namedPool(req, pools).spec?.subnet;
}

function namedPool(req: Extract<PoolRequest, { kind: 'pool' }>, pools: readonly IPPool[]): IPPool {
  const pool = pools.find((p) => p.metadata?.name === req.name && live(p));
  if (!pool)
    throw new KubeOvnAddressError(
      'IPPoolNotFound',
      `${req.field} names IPPool ${JSON.stringify(req.name)}, which does not exist; create it or name an existing IPPool`,
    );
  return pool;
}

export interface ScopeRequest {
  readonly provider: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly namespace: string;
  /** The interface's Subnet (select.ts). */
  readonly subnet: Subnet;
  /** Every IPPool of the cluster. */
  readonly pools: readonly IPPool[];
}

/** Where `req`'s interface may take an automatic address from; throws KubeOvnAddressError. */
export function addressScope(req: ScopeRequest): AddressScope {
  const subnetName = req.subnet.metadata?.name ?? '';
  const own = req.pools.filter((p) => p.spec?.subnet === subnetName && live(p));
  const ask = poolRequestOf(req.provider, req.annotations);
  if (ask?.kind === 'list') {
    const ranges = ask.addresses
      .map(parseAddress)
      .filter((a) => a?.family === 4)
      .map((a) => [a!.value, a!.value] as const);
    if (ranges.length === 0)
      throw new KubeOvnAddressError(
        'InvalidAddress',
        `${ask.field} lists no IPv4 address (${ask.addresses.join(', ')}); virtkit allocates IPv4 addresses only`,
      );
    return { only: { ranges, where: `the addresses of ${ask.field}` }, avoid: [] };
  }
  if (ask?.kind === 'pool') {
    const pool = namedPool(ask, req.pools);
    if (pool.spec?.subnet !== subnetName)
      throw new KubeOvnAddressError(
        'IPPoolMismatch',
        `${ask.field} names IPPool ${ask.name} of Subnet ${pool.spec?.subnet ?? '(none)'}, but the interface takes its address from Subnet ${subnetName}; ` +
          `name a pool of ${subnetName}, or drop the logical_switch annotation that picks ${subnetName}`,
      );
    return { only: { ranges: poolV4Ranges(pool), where: `IPPool ${ask.name}` }, avoid: [] };
  }
  const bound = own
    .filter((p) => (p.spec?.namespaces ?? []).includes(req.namespace))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (bound.length > 0)
    return {
      only: {
        ranges: sortRanges(bound.flatMap(poolV4Ranges)),
        where: `IPPool ${bound.map((p) => p.metadata?.name ?? '').join(', ')} (bound to namespace ${req.namespace})`,
      },
      avoid: [],
    };
  return { avoid: sortRanges(own.flatMap(poolV4Ranges)) };
}

export const inRanges = (ranges: readonly V4Range[], v: bigint) => ranges.some(([a, b]) => v >= a && v <= b);

/** Whether `value` may be taken automatically under `scope`. */
export function inScope(scope: AddressScope | undefined, value: bigint): boolean {
  if (!scope) return true;
  if (scope.only && !inRanges(scope.only.ranges, value)) return false;
  return !inRanges(scope.avoid, value);
}

/** Text of one pool's IPv4 addresses for messages, e.g. "10.0.0.10-10.0.0.20, 10.0.0.30". */
export function commaRanges(ranges: readonly V4Range[], format: (v: bigint) => string): string {
  return ranges.map(([a, b]) => (a === b ? format(a) : `${format(a)}-${format(b)}`)).join(', ');
}
