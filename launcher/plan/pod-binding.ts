/**
 * How a guest interface on the pod network is bound to the pod's interface (pure), when the
 * launcher runs in its pod's network namespace: KubeVirt's masquerade and bridge bindings.
 * The launcher's network set-up (launcher/network/) performs what this plans.
 */
import { createHash } from 'crypto';
import type { Interface, Network } from '../../api/kubevirt/v1';
import { parseCidr } from '../../api/kubeovn/v1/ip-address';
import {
  DHCP_NTP_SERVERS_MAX,
  DHCP_PRIVATE_OPTION_MAX,
  DHCP_PRIVATE_OPTION_MIN,
  dhcpTextProblem,
  ntpServerIpv4,
} from '../../api/kubevirt/v1/rules/dhcp-options';
import type { ProblemList } from './errors';
import type { ForwardedPorts, Ipv4Cidr, PlannedBinding, PlannedDhcpOptions, PodNetworkState } from './types';

/** KubeVirt's default vmNetworkCIDR for masquerade. */
export const DEFAULT_VM_NETWORK_CIDR = '10.0.2.0/24';
/** The address the bridge of a bridge binding answers DHCP from (KubeVirt's fake bridge IP). */
export const BRIDGE_BINDING_SERVER_IP = '169.254.75.10';

export function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

/** KubeVirt's names: the bridge k6t-<pod interface>, the tap tap<n> for eth<n>, tap<hash> for pod<hash>. */
export function bindingDeviceNames(podInterface: string): { bridge: string; tap: string } {
  const m = /^(?:eth|pod)([0-9a-f]+)$/.exec(podInterface)?.[1];
  return { bridge: `k6t-${podInterface}`, tap: m === undefined ? `tap-${podInterface}` : `tap${m}` };
}

/** A locally administered MAC for the pod interface once the guest took its own. */
export function podReplacementMac(podMac: string): string {
  const h = createHash('sha256').update(`virtkit-pod-mac/${podMac}`).digest();
  return ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** The gateway (first host) and guest (second host) addresses of a masquerade vmNetworkCIDR. */
export function masqueradeAddresses(cidrText: string): { gateway: Ipv4Cidr; guest: Ipv4Cidr } | string {
  const cidr = parseCidr(cidrText);
  if (!cidr || cidr.family !== 4) return 'is not an IPv4 CIDR such as 10.0.2.0/24';
  if (cidr.prefix > 30)
    return 'leaves no room for a gateway and a guest; use a /30 or wider (KubeVirt uses /24)';
  return {
    gateway: { ip: ipv4Text(cidr.first + 1n), prefixLength: cidr.prefix },
    guest: { ip: ipv4Text(cidr.first + 2n), prefixLength: cidr.prefix },
  };
}

export interface PodBindingInput {
  readonly iface: Interface;
  readonly ipath: string;
  readonly net: Network;
  readonly npath: string;
  /** The MAC the planner chose (spec.macAddress or derived). */
  readonly mac: string;
  /** Whether spec.macAddress set it. */
  readonly macFromSpec: boolean;
  readonly hostname: string;
  /** The pod interface it binds to: eth0, or the Multus attachment's (pod<hash>). */
  readonly podInterfaceName: string;
  readonly pod: PodNetworkState | undefined;
}

/**
 * The interface's dhcpOptions, checked where the launcher's DHCP server will use them (admission
 * checks them too; a VMI stored without the webhook meets the same rules here): undefined when
 * there are none, 'invalid' after adding the problems. Both bindings serve them, as KubeVirt's do.
 */
export function planDhcpOptions(
  iface: Interface,
  ipath: string,
  problems: ProblemList,
): PlannedDhcpOptions | undefined | 'invalid' {
  const o = iface.dhcpOptions;
  if (!o) return undefined;
  const at = `${ipath}.dhcpOptions`;
  const before = problems.items.length;
  const text = (value: string | undefined, field: string): string | undefined => {
    if (value === undefined || value === '') return undefined;
    const problem = dhcpTextProblem(value);
    if (problem) problems.add(field, problem, value);
    return value;
  };
  const tftpServerName = text(o.tftpServerName, `${at}.tftpServerName`);
  const bootFileName = text(o.bootFileName, `${at}.bootFileName`);
  const ntpServers: string[] = [];
  for (const [j, server] of (o.ntpServers ?? []).entries()) {
    const ip = typeof server === 'string' ? ntpServerIpv4(server) : undefined;
    if (ip) ntpServers.push(ip);
    else
      problems.add(
        `${at}.ntpServers[${j}]`,
        'NTP servers must be IPv4 addresses (DHCP option 42); write one such as 192.0.2.1',
        server,
      );
  }
  if ((o.ntpServers ?? []).length > DHCP_NTP_SERVERS_MAX)
    problems.add(
      `${at}.ntpServers`,
      `DHCP option 42 holds at most ${DHCP_NTP_SERVERS_MAX} servers; list fewer`,
      (o.ntpServers ?? []).length,
    );
  const privateOptions: { option: number; value: string }[] = [];
  const first = new Map<number, number>();
  for (const [j, p] of (o.privateOptions ?? []).entries()) {
    const pAt = `${at}.privateOptions[${j}]`;
    if (
      !Number.isInteger(p.option) ||
      p.option < DHCP_PRIVATE_OPTION_MIN ||
      p.option > DHCP_PRIVATE_OPTION_MAX
    ) {
      problems.add(
        `${pAt}.option`,
        `a private DHCP option has a code from ${DHCP_PRIVATE_OPTION_MIN} to ${DHCP_PRIVATE_OPTION_MAX}; use one in that range`,
        p.option,
      );
      continue;
    }
    const k = first.get(p.option);
    if (k !== undefined) {
      problems.add(
        `${pAt}.option`,
        `option ${p.option} is already given by ${at}.privateOptions[${k}]; give each code once`,
        p.option,
      );
      continue;
    }
    first.set(p.option, j);
    const value = typeof p.value === 'string' ? p.value : '';
    const problem = dhcpTextProblem(value);
    if (problem) problems.add(`${pAt}.value`, problem, value);
    privateOptions.push({ option: p.option, value });
  }
  if (problems.items.length > before) return 'invalid';
  return {
    ...(tftpServerName !== undefined ? { tftpServerName } : {}),
    ...(bootFileName !== undefined ? { bootFileName } : {}),
    ntpServers,
    privateOptions,
  };
}

/** The pod interface `name` as the launcher found it, if it did. */
function podIface(pod: PodNetworkState | undefined, name: string): PodNetworkState['iface'] | undefined {
  if (!pod) return undefined;
  return pod.iface.name === name ? pod.iface : pod.secondary?.[name];
}

/** The binding of an interface on the pod network or a Multus network, or undefined after adding the problem. */
export function planPodBinding(input: PodBindingInput, problems: ProblemList): PlannedBinding | undefined {
  const { iface, ipath, net, npath } = input;
  const found = podIface(input.pod, input.podInterfaceName);
  if (!found) {
    problems.add(
      net.multus ? `${npath}.multus` : npath,
      net.multus
        ? `the pod interface ${input.podInterfaceName} of Multus network ${JSON.stringify(net.multus.networkName)} was not found in the launcher's network namespace; the node did not attach it`
        : `the pod interface ${input.podInterfaceName} was not found in the launcher's network namespace; the pod network was not set up`,
      net.name,
    );
    return undefined;
  }
  const dhcpOptions = planDhcpOptions(iface, ipath, problems);
  if (dhcpOptions === 'invalid') return undefined;
  const pod = { iface: found, dns: input.pod!.dns };
  const primary = input.podInterfaceName === input.pod!.iface.name;
  const names = bindingDeviceNames(input.podInterfaceName);
  const common = {
    podInterface: input.podInterfaceName,
    ...names,
    mtu: pod.iface.mtu,
    hostname: input.hostname,
    // The pod's DNS goes to the guest through its primary interface only.
    dns: primary ? pod.dns : { nameservers: [], searches: [] },
    ...(dhcpOptions ? { dhcpOptions } : {}),
  };
  if (net.multus && iface.bridge === undefined) {
    problems.add(
      `${ipath}`,
      'an interface on a Multus network needs the bridge binding (bridge: {}); masquerade binds only the pod network',
      iface.name,
    );
    return undefined;
  }
  if (iface.bridge !== undefined) {
    // KubeVirt's bridge binding: the guest takes the pod interface's MAC (unless the spec sets
    // one) and its address, if it has one (a Multus network without IPAM is plain layer 2); the
    // pod interface gets another MAC.
    const address = pod.iface.addresses[0];
    if (!address && primary) {
      problems.add(
        `${ipath}.bridge`,
        `the pod interface ${input.podInterfaceName} has no IPv4 address to hand to the guest; use masquerade`,
        {},
      );
      return undefined;
    }
    if (!address && dhcpOptions) {
      // No address, no DHCP server: the options would never reach the guest.
      problems.add(
        `${ipath}.dhcpOptions`,
        `the pod interface ${input.podInterfaceName} has no IPv4 address (the network has no IPAM), so no DHCP server answers this guest and dhcpOptions would never reach it; remove dhcpOptions or give the network IPAM`,
        iface.dhcpOptions,
      );
      return undefined;
    }
    const guestMac = input.macFromSpec ? input.mac : pod.iface.mac;
    return {
      kind: 'bridge',
      ...common,
      guestMac,
      ...(address ? { guest: address, podAddress: address } : {}),
      serverIp: BRIDGE_BINDING_SERVER_IP,
      gateway: pod.iface.gateway,
      routes: pod.iface.routes,
      ports: [],
      podMac: guestMac === pod.iface.mac ? podReplacementMac(pod.iface.mac) : undefined,
    };
  }
  const cidrText = net.pod?.vmNetworkCIDR ?? DEFAULT_VM_NETWORK_CIDR;
  const addresses = masqueradeAddresses(cidrText);
  if (typeof addresses === 'string') {
    problems.add(`${npath}.pod.vmNetworkCIDR`, addresses, cidrText);
    return undefined;
  }
  const ports: ForwardedPorts[] = [];
  const protocolOf = (value: string | undefined, field: string): 'tcp' | 'udp' | undefined => {
    const protocol = (value ?? 'TCP').toLowerCase();
    if (protocol === 'tcp' || protocol === 'udp') return protocol;
    problems.add(field, 'masquerade forwards TCP or UDP ports; use TCP or UDP', value);
    return undefined;
  };
  const portOk = (value: number, field: string): boolean => {
    if (Number.isInteger(value) && value >= 1 && value <= 65535) return true;
    problems.add(field, 'must be a port number from 1 to 65535', value);
    return false;
  };
  for (const [j, p] of (iface.ports ?? []).entries()) {
    const protocol = protocolOf(p.protocol, `${ipath}.ports[${j}].protocol`);
    if (protocol && portOk(p.port, `${ipath}.ports[${j}].port`)) ports.push({ protocol, port: p.port });
  }
  for (const [j, r] of (iface.portRanges ?? []).entries()) {
    const at = `${ipath}.portRanges[${j}]`;
    const protocol = protocolOf(r.protocol, `${at}.protocol`);
    if (!protocol || !portOk(r.start, `${at}.start`) || !portOk(r.end, `${at}.end`)) continue;
    if (r.end < r.start) {
      problems.add(`${at}.end`, `must not be below start (${r.start})`, r.end);
      continue;
    }
    ports.push({ protocol, port: r.start, end: r.end });
  }
  return {
    kind: 'masquerade',
    ...common,
    guestMac: input.mac,
    guest: addresses.guest,
    serverIp: addresses.gateway.ip,
    gateway: addresses.gateway.ip,
    routes: [],
    ports,
  };
}
