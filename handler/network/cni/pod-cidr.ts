/**
 * Which pod range and bridge a handler's default network uses (pure). Several handlers can
 * share one machine (parallel test runtimes, `virtkit up` with more nodes), so each gets its own
 * bridge, named from its state directory, and its own /24 of 10.244.0.0/16 (the customary
 * cluster CIDR, one node range each as kube-controller-manager hands them out), the first one
 * that no host address or route overlaps and no other handler has claimed.
 */
import { cidrsOverlap, parseCidr, type Cidr } from './cidr';
import { cidrClashes, type HostNetwork } from './host-networks';
import { instanceTag } from './names';

/** The range node ranges are taken from. */
export const POD_CIDR_POOL = '10.244.0.0/16';
/** The size of one node's range (253 pods). */
export const NODE_RANGE_PREFIX = 24;
export const BRIDGE_PREFIX = 'vkbr';

/** What a handler's default network was set up with (kept in its state dir, so restarts keep it). */
export interface NodeNetworkChoice {
  readonly podCidr: string;
  readonly bridge: string;
}

/** The bridge of a handler's default network: `vkbr` + 8 hex digits of its state dir (12 bytes). */
export function bridgeNameFor(stateDir: string): string {
  return `${BRIDGE_PREFIX}${instanceTag(stateDir)}`;
}

/** The /24 ranges of the pool, in order (10.244.0.0/24, 10.244.1.0/24, ...). */
export function nodeRangeCandidates(pool = POD_CIDR_POOL): string[] {
  const p = parseCidr(pool);
  if (typeof p === 'string' || p.family !== 'ipv4' || p.prefix > NODE_RANGE_PREFIX)
    throw new Error(`pod CIDR pool ${pool}: give an IPv4 prefix of /${NODE_RANGE_PREFIX} or wider`);
  const base = p.address.split('.').reduce((n, o) => n * 256 + Number(o), 0) >>> 0;
  const size = 2 ** (NODE_RANGE_PREFIX - p.prefix);
  const start = base - (base % 2 ** (32 - p.prefix));
  const out: string[] = [];
  for (let i = 0; i < size; i++) {
    const n = start + i * 256;
    out.push(`${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${NODE_RANGE_PREFIX}`);
  }
  return out;
}

/**
 * The first candidate that overlaps neither a host prefix (other than those on `ownBridge`) nor
 * a range claimed by another handler; undefined when none is left.
 */
export function pickPodCidr(
  candidates: readonly string[],
  host: readonly HostNetwork[],
  claimed: readonly string[],
  ownBridge: string,
): string | undefined {
  const taken = claimed.map((c) => parseCidr(c)).filter((c): c is Cidr => typeof c !== 'string');
  return candidates.find((text) => {
    const c = parseCidr(text) as Cidr;
    return cidrClashes(c, host, ownBridge).length === 0 && !taken.some((t) => cidrsOverlap(c, t));
  });
}

/** The file name of a machine-wide claim of `podCidr` (`10.244.3.0_24`). */
export function claimFileName(podCidr: string): string {
  return podCidr.replace(/[/:]/g, '_');
}
