/**
 * The pod's network as the CNI plugins left it, read from inside the pod's namespace (where
 * the handler starts the launcher): the pod interface's MAC, MTU, IPv4 addresses and routes
 * (`ip -j`), and the DNS servers and search domains of resolv.conf. The parsers are pure.
 */
import * as fs from 'fs';
import { isIPv4 } from 'net';
import { runIp } from '../../common/ip-command';
import type { Ipv4Cidr, Ipv4Route, PodNetworkState } from '../plan/types';

export class PodNetworkStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PodNetworkStateError';
  }
}

interface IpAddrJson {
  ifname?: string;
  mtu?: number;
  address?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

interface IpRouteJson {
  dst?: string;
  gateway?: string;
}

/** The interface of `ip -j addr show dev NAME` (pure). */
export function parseIpAddr(json: string, name: string): PodNetworkState['iface'] & { routes: [] } {
  let links: IpAddrJson[];
  try {
    links = JSON.parse(json) as IpAddrJson[];
  } catch {
    throw new PodNetworkStateError(`ip -j addr show dev ${name} printed no JSON: ${json.slice(0, 200)}`);
  }
  const link = Array.isArray(links) ? links.find((l) => l.ifname === name) : undefined;
  if (!link)
    throw new PodNetworkStateError(`the pod interface ${name} does not exist in this network namespace`);
  const addresses: Ipv4Cidr[] = (link.addr_info ?? [])
    .filter((a) => a.family === 'inet' && typeof a.local === 'string' && isIPv4(a.local))
    .map((a) => ({ ip: a.local!, prefixLength: a.prefixlen ?? 32 }));
  const mac = (link.address ?? '').toLowerCase();
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac))
    throw new PodNetworkStateError(
      `the pod interface ${name} has no Ethernet address (got ${JSON.stringify(link.address)})`,
    );
  return { name, mac, mtu: link.mtu ?? 1500, addresses, routes: [] };
}

/** The default gateway and the other routes through a gateway of `ip -j -4 route show dev NAME` (pure). */
export function parseIpRoutes(json: string): { gateway?: string; routes: Ipv4Route[] } {
  let rows: IpRouteJson[];
  try {
    rows = JSON.parse(json) as IpRouteJson[];
  } catch {
    throw new PodNetworkStateError(`ip -j route printed no JSON: ${json.slice(0, 200)}`);
  }
  let gateway: string | undefined;
  const routes: Ipv4Route[] = [];
  for (const r of Array.isArray(rows) ? rows : []) {
    if (!r.gateway || !isIPv4(r.gateway) || !r.dst) continue;
    if (r.dst === 'default') {
      gateway ??= r.gateway;
      continue;
    }
    const [destination, prefix] = r.dst.split('/');
    if (!isIPv4(destination)) continue;
    routes.push({
      destination,
      prefixLength: prefix === undefined ? 32 : Number(prefix),
      gateway: r.gateway,
    });
  }
  return { gateway, routes };
}

/**
 * The IPv4 name servers and the search domains of a resolv.conf (pure; the last search line
 * wins, as in glibc; the root domain `.` is no search domain).
 */
export function parseResolvConf(text: string): PodNetworkState['dns'] {
  const nameservers: string[] = [];
  let searches: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0] && isIPv4(values[0]) && !nameservers.includes(values[0]))
      nameservers.push(values[0]);
    // `search .` (the root: no search domain, as kubelet writes it when the node has none)
    // adds nothing a guest could use.
    else if (key === 'search' || key === 'domain') searches = values.filter((v) => v.length > 0 && v !== '.');
  }
  return { nameservers, searches };
}

/** One interface with its routes (I/O). */
async function readInterface(name: string): Promise<PodNetworkState['iface']> {
  const iface = parseIpAddr(await runIp(['-j', 'addr', 'show', 'dev', name]), name);
  const { gateway, routes } = parseIpRoutes(await runIp(['-j', '-4', 'route', 'show', 'dev', name]));
  return { ...iface, gateway, routes };
}

/** The names of the interfaces in this network namespace (I/O). */
async function interfaceNames(): Promise<Set<string>> {
  const links = JSON.parse(await runIp(['-j', 'link', 'show'])) as { ifname?: string }[];
  return new Set(links.flatMap((l) => (l.ifname ? [l.ifname] : [])));
}

/**
 * Reads the pod interface, the Multus attachments among `secondary` that exist (a missing one
 * is the planner's to report, naming its network), and the pod's resolv.conf (I/O).
 */
export async function readPodNetworkState(
  name: string,
  secondary: readonly string[] = [],
  resolvConf = '/etc/resolv.conf',
): Promise<PodNetworkState> {
  const iface = await readInterface(name);
  const present = secondary.length ? await interfaceNames() : new Set<string>();
  const found: Record<string, PodNetworkState['iface']> = {};
  for (const s of secondary) if (present.has(s)) found[s] = await readInterface(s);
  let dnsText = '';
  try {
    dnsText = fs.readFileSync(resolvConf, 'utf8');
  } catch {
    // No resolv.conf: the guest gets no DNS servers, as a pod without one would.
  }
  return {
    iface,
    dns: parseResolvConf(dnsText),
    ...(Object.keys(found).length ? { secondary: found } : {}),
  };
}
