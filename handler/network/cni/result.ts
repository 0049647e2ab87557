/**
 * Reading a plugin's ADD result (pure): the interfaces, addresses, routes and DNS of the
 * spec's 0.3.0–1.0.0 result format, and the pod's addresses as kubelet reports them
 * (status.podIP / podIPs): those on the pod's interface inside its namespace.
 */
import {
  isJsonObject,
  type CniDns,
  type CniInterface,
  type CniIpConfig,
  type CniResult,
  type CniRoute,
  type JsonObject,
} from './types';

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
}

/**
 * The result a list's last plugin printed, read; undefined parts become empty. Throws (a plain
 * Error naming the field; the caller wraps it) when `ips` holds something that is not an address.
 */
export function parseCniResult(raw: JsonObject): CniResult {
  const interfaces: CniInterface[] = (Array.isArray(raw.interfaces) ? raw.interfaces : [])
    .filter(isJsonObject)
    .map((i) => ({
      name: String(i.name ?? ''),
      ...(typeof i.mac === 'string' ? { mac: i.mac } : {}),
      ...(typeof i.sandbox === 'string' && i.sandbox !== '' ? { sandbox: i.sandbox } : {}),
    }));
  const ips: CniIpConfig[] = (Array.isArray(raw.ips) ? raw.ips : []).map((ip, n) => {
    if (!isJsonObject(ip) || typeof ip.address !== 'string' || !ip.address.includes('/'))
      throw new Error(`result ips[${n}] ${JSON.stringify(ip)} has no address in CIDR notation`);
    return {
      address: ip.address,
      ...(typeof ip.gateway === 'string' ? { gateway: ip.gateway } : {}),
      ...(typeof ip.interface === 'number' ? { interface: ip.interface } : {}),
    };
  });
  const routes: CniRoute[] = (Array.isArray(raw.routes) ? raw.routes : [])
    .filter(isJsonObject)
    .filter((r) => typeof r.dst === 'string')
    .map((r) => ({ dst: r.dst as string, ...(typeof r.gw === 'string' ? { gw: r.gw } : {}) }));
  const d = isJsonObject(raw.dns) ? raw.dns : {};
  const dns: CniDns = {
    ...(strings(d.nameservers) ? { nameservers: strings(d.nameservers) } : {}),
    ...(typeof d.domain === 'string' ? { domain: d.domain } : {}),
    ...(strings(d.search) ? { search: strings(d.search) } : {}),
    ...(strings(d.options) ? { options: strings(d.options) } : {}),
  };
  return { cniVersion: String(raw.cniVersion ?? ''), interfaces, ips, routes, dns, raw };
}

/** An address without its prefix length: 10.244.0.5/24 → 10.244.0.5. */
export function addressOf(cidr: string): string {
  return cidr.split('/')[0];
}

/**
 * The pod's IPs, in the result's order: the addresses on interface `ifName` inside the
 * sandbox; when the result does not say which interface an address is on (plugins may omit
 * it), every address. The first is status.podIP.
 */
export function podIpsFromResult(result: CniResult, ifName: string): string[] {
  const onPod = result.ips.filter((ip) => {
    if (ip.interface === undefined) return true;
    const iface = result.interfaces[ip.interface];
    return iface !== undefined && iface.name === ifName && iface.sandbox !== undefined;
  });
  return [...new Set(onPod.map((ip) => addressOf(ip.address)))];
}

/** The interfaces inside the pod's namespace (those with a sandbox). */
export function sandboxInterfaces(result: CniResult): CniInterface[] {
  return result.interfaces.filter((i) => i.sandbox !== undefined);
}
