/**
 * The prefixes this host already uses (I/O read, pure check): its interface addresses and its
 * main routing table, so a pod CIDR that would shadow one of them is refused before any pod
 * gets an address from it.
 */
import { cidrsOverlap, parseCidr, type Cidr } from './cidr';
import { runIp } from '../../../common/ip-command';

/** One prefix in use on the host: where it is and what it is. */
export interface HostNetwork {
  readonly cidr: string;
  readonly dev: string;
  readonly what: 'address' | 'route';
}

interface IpAddrJson {
  ifname?: string;
  addr_info?: { local?: string; prefixlen?: number }[];
}
interface IpRouteJson {
  dst?: string;
  dev?: string;
}

/** Reads the host's prefixes from `ip -j addr` and `ip -j route` (both families). */
export async function hostNetworks(): Promise<HostNetwork[]> {
  const out: HostNetwork[] = [];
  const addrs = JSON.parse((await runIp(['-j', 'addr', 'show'])) || '[]') as IpAddrJson[];
  for (const link of addrs)
    for (const a of link.addr_info ?? [])
      if (a.local && a.prefixlen !== undefined)
        out.push({ cidr: `${a.local}/${a.prefixlen}`, dev: link.ifname ?? '', what: 'address' });
  for (const family of ['-4', '-6'])
    for (const r of JSON.parse((await runIp(['-j', family, 'route', 'show'])) || '[]') as IpRouteJson[])
      if (r.dst && r.dst !== 'default')
        out.push({
          cidr: r.dst.includes('/') ? r.dst : `${r.dst}/${family === '-4' ? 32 : 128}`,
          dev: r.dev ?? '',
          what: 'route',
        });
  return out;
}

/**
 * The host prefixes `podCidr` overlaps, leaving out those on `ownBridge` (the pod network's
 * own bridge carries the pod CIDR once pods exist). Pure.
 */
export function cidrClashes(podCidr: Cidr, host: readonly HostNetwork[], ownBridge: string): HostNetwork[] {
  return host.filter((h) => {
    if (h.dev === ownBridge) return false;
    const c = parseCidr(h.cidr);
    return typeof c !== 'string' && cidrsOverlap(podCidr, c);
  });
}
