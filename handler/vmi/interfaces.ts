/**
 * Pure: a running VMI's `status.interfaces`, merged from what each source knows, the way
 * KubeVirt's virt-handler merges them:
 * - the domain (infoSource `domain`): one entry per guest NIC, with the addresses the host side
 *   gave it (the pod's addresses for the pod network, the attachment's for a Multus network);
 * - the guest agent's `guest-network-get-interfaces` (`guest-agent`): matched to a NIC by MAC,
 *   it names the guest's interface (`interfaceName`) and brings the guest's addresses. Per
 *   address family, addresses the host side already reported stay (so a masquerade NIC keeps
 *   showing the pod IP, not the guest's 10.0.2.2) and the guest's fill a family the host side
 *   has none of; a family the guest reports no address of is cleared (the guest cannot be
 *   reached on it). Guest interfaces that match no NIC (loopback aside) are appended with the
 *   infoSource `guest-agent` alone;
 * - the Multus network-status (`multus-status`), added last to the NICs on an attachment.
 * The infoSource lists the contributors in that order (`domain, guest-agent, multus-status`),
 * and the pod network's NIC comes first (the VMI's printer columns read the first entry).
 */
import { isIPv4, isIPv6 } from 'net';
import type { DomainStatus } from '../../launcher/runtime/domain-types';
import type { GuestNetworkInterface } from '../../launcher/qga/protocol';

export const INFO_SOURCE_DOMAIN = 'domain';
export const INFO_SOURCE_GUEST_AGENT = 'guest-agent';
export const INFO_SOURCE_MULTUS = 'multus-status';

/** One entry of a VMI's `status.interfaces` (KubeVirt's field names). */
export interface InterfaceStatus {
  /** The spec interface's name; absent for a guest interface that matches none. */
  name?: string;
  mac?: string;
  ipAddress?: string;
  ipAddresses?: string[];
  /** The guest's name for the interface (eth0), from the guest agent. */
  interfaceName?: string;
  podInterfaceName?: string;
  infoSource: string;
  /** The NIC's queue pairs (the domain's). */
  queueCount?: number;
  /** `up`: the launcher starts every NIC with its link up (it refuses `state: down`). */
  linkState?: 'up' | 'down';
}

type DomainInterface = DomainStatus['interfaces'][number];

interface Entry {
  status: InterfaceStatus;
  sources: string[];
  primary: boolean;
  multus: boolean;
}

function withAddresses(status: InterfaceStatus, ips: readonly string[]): InterfaceStatus {
  const { ipAddress: _a, ipAddresses: _b, ...rest } = status;
  return ips.length > 0 ? { ...rest, ipAddress: ips[0], ipAddresses: [...ips] } : rest;
}

function fromDomain(i: DomainInterface, podIPs: readonly string[]): Entry {
  const entry = domainEntry(i, podIPs);
  return { ...entry, status: { ...entry.status, queueCount: i.queueCount ?? 1, linkState: 'up' } };
}

function domainEntry(i: DomainInterface, podIPs: readonly string[]): Entry {
  if (i.podInterfaceName && i.podInterfaceName !== 'eth0') {
    // A Multus attachment: the address its IPAM gave, which the guest got by DHCP.
    return {
      status: withAddresses(
        { name: i.name, mac: i.mac, podInterfaceName: i.podInterfaceName, infoSource: '' },
        i.ipAddress ? [i.ipAddress] : [],
      ),
      sources: [INFO_SOURCE_DOMAIN],
      primary: false,
      multus: true,
    };
  }
  if (i.backend === 'user' || i.podInterfaceName) {
    // The pod network shows the pod's addresses, as KubeVirt's does (masquerade maps them to
    // the guest, bridge hands them to it).
    return {
      status: withAddresses(
        { name: i.name, mac: i.mac, podInterfaceName: i.podInterfaceName ?? 'eth0', infoSource: '' },
        podIPs,
      ),
      sources: [INFO_SOURCE_DOMAIN],
      primary: true,
      multus: false,
    };
  }
  return {
    status: { name: i.name, mac: i.mac, infoSource: '' },
    sources: [INFO_SOURCE_DOMAIN],
    primary: false,
    multus: false,
  };
}

function byFamily(ips: readonly string[]): { v4: string[]; v6: string[] } {
  return { v4: ips.filter((ip) => isIPv4(ip)), v6: ips.filter((ip) => isIPv6(ip)) };
}

/** The host side's addresses, per family, unless the guest reports none of that family or the host side has none. */
function mergedAddresses(current: readonly string[], guest: GuestNetworkInterface): string[] {
  const have = byFamily(current);
  const g = byFamily(guest.ipAddresses.map((a) => a.address));
  const v4 = have.v4.length === 0 || g.v4.length === 0 ? g.v4 : have.v4;
  const v6 = have.v6.length === 0 || g.v6.length === 0 ? g.v6 : have.v6;
  return [...v4, ...v6];
}

/** A guest interface of its own: its first IPv4 address is the main one (else its first). */
function guestOnly(g: GuestNetworkInterface): Entry {
  const ips = g.ipAddresses.map((a) => a.address);
  const main = g.ipAddresses.find((a) => a.type === 'ipv4')?.address ?? ips[0];
  return {
    status: {
      ...(g.mac ? { mac: g.mac } : {}),
      ...(main ? { ipAddress: main, ipAddresses: ips } : {}),
      interfaceName: g.name,
      infoSource: '',
    },
    sources: [INFO_SOURCE_GUEST_AGENT],
    primary: false,
    multus: false,
  };
}

export function interfaceStatuses(
  domain: readonly DomainInterface[],
  /** The launcher pod's addresses (status.podIPs). */
  podIPs: readonly string[],
  /** What the guest agent reported; undefined without a connected agent (or without the command). */
  agent?: readonly GuestNetworkInterface[],
): InterfaceStatus[] {
  const entries = domain.map((i) => fromDomain(i, podIPs));
  for (const g of agent ?? []) {
    if (g.name === 'lo') continue;
    const mac = g.mac?.toLowerCase();
    const hit = mac ? entries.find((e) => e.status.mac?.toLowerCase() === mac) : undefined;
    if (!hit) {
      entries.push(guestOnly(g));
      continue;
    }
    hit.status = withAddresses(
      { ...hit.status, interfaceName: g.name },
      mergedAddresses(hit.status.ipAddresses ?? [], g),
    );
    if (!hit.sources.includes(INFO_SOURCE_GUEST_AGENT)) hit.sources.push(INFO_SOURCE_GUEST_AGENT);
  }
  const first = entries.findIndex((e) => e.primary);
  if (first > 0) entries.unshift(...entries.splice(first, 1));
  return entries.map((e) => ({
    ...e.status,
    infoSource: [...e.sources, ...(e.multus ? [INFO_SOURCE_MULTUS] : [])].join(', '),
  }));
}
