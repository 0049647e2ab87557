/**
 * What binding a guest interface to the pod's interface takes, as steps (pure): iproute2
 * commands, a per-namespace sysctl, an nftables ruleset. The launcher runs them in the pod's
 * network namespace before QEMU starts (./bind.ts); the namespace (and all of this with it)
 * goes when the handler tears the pod's network down.
 *
 * masquerade (KubeVirt's): a bridge k6t-eth0 holding the gateway address of vmNetworkCIDR (and
 * KubeVirt's fixed MAC, STATIC_MASQUERADE_BRIDGE_MAC, the same in every pod of the VMI), a
 * tap for QEMU on it, IPv4 forwarding on, and NAT: what arrives on the pod interface goes to
 * the guest (all ports, or those the interface lists) except the two ports KubeVirt reserves
 * for live migration, which stay with the pod (a migration target's QEMU listens on them);
 * what the guest sends out leaves with the pod's address.
 *
 * bridge (KubeVirt's): the pod interface gives its address to the guest and joins the bridge
 * with the tap (learning off on it: see bindingSteps); the guest takes its MAC (the pod
 * interface takes another); the bridge keeps a link-local address to answer DHCP from.
 *
 * Both: a permanent neighbour entry for the guest's address and MAC on the bridge, so the DHCP
 * server can answer the guest by unicast (./dhcp/server.ts says why).
 */
import { BLOCK_MIGRATION_PORT, MIGRATION_PORT } from '../api/protocol';
import type { PlannedBinding } from '../plan/types';
import { STATIC_MASQUERADE_BRIDGE_MAC } from '../../api/kubevirt/v1/networks';

export type BindingStep =
  | { readonly kind: 'ip'; readonly args: readonly string[] }
  | { readonly kind: 'sysctl'; readonly path: string; readonly value: string }
  | { readonly kind: 'nft'; readonly ruleset: string };

/** Who owns the tap (QEMU's user): QEMU opens it by name without any capability. */
export interface TapOwner {
  readonly uid: number;
  readonly gid: number;
}

/** The nftables table the masquerade binding's rules live in (one per pod namespace). */
export const NAT_TABLE = 'virtkit_nat';

const ip = (...args: string[]): BindingStep => ({ kind: 'ip', args });

function tapSteps(b: PlannedBinding, owner: TapOwner | undefined): BindingStep[] {
  const own = owner ? ['user', String(owner.uid), 'group', String(owner.gid)] : [];
  return [
    ip('tuntap', 'add', 'dev', b.tap, 'mode', 'tap', ...own, ...((b.queues ?? 1) > 1 ? ['multi_queue'] : [])),
    ip('link', 'set', 'dev', b.tap, 'mtu', String(b.mtu)),
    ip('link', 'set', 'dev', b.tap, 'master', b.bridge),
    ip('link', 'set', 'dev', b.tap, 'up'),
  ];
}

/** The guest address of a masquerade binding (the planner always sets one). */
function masqueradeGuest(b: PlannedBinding): { ip: string; prefixLength: number } {
  if (!b.guest) throw new Error(`masquerade binding of ${b.podInterface} without a guest address`);
  return b.guest;
}

/**
 * The ports KubeVirt reserves for live migration in every launcher pod: QEMU's migration stream
 * and the NBD server of block migration. They are never forwarded to the guest, even when the
 * interface lists them (KubeVirt documents that a migration cannot work then).
 */
export const MIGRATION_RESERVED_PORTS: readonly number[] = [MIGRATION_PORT, BLOCK_MIGRATION_PORT];

/** The nft ruleset of a masquerade binding (pure; names and addresses come checked from the plan). */
export function masqueradeRuleset(b: PlannedBinding): string {
  const guest = masqueradeGuest(b).ip;
  // First in the chain: a reserved port returns before any rule can send it to the guest.
  const reserved = `    tcp dport { ${MIGRATION_RESERVED_PORTS.join(', ')} } counter return`;
  const forwards = b.ports.length
    ? b.ports.map(
        (p) =>
          `    meta l4proto ${p.protocol} th dport ${p.end === undefined ? p.port : `${p.port}-${p.end}`} counter dnat to ${guest}`,
      )
    : [`    counter dnat to ${guest}`];
  const inbound = [reserved, ...forwards];
  return [
    `table ip ${NAT_TABLE} {`,
    '  chain KUBEVIRT_PREINBOUND {',
    ...inbound,
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority -100; policy accept;',
    `    iifname "${b.podInterface}" counter jump KUBEVIRT_PREINBOUND`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority 100; policy accept;',
    `    oifname "${b.podInterface}" ip saddr ${guest} counter masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The steps of one binding, in order. */
export function bindingSteps(b: PlannedBinding, owner: TapOwner | undefined): BindingStep[] {
  const neighbour = (address: string): BindingStep =>
    ip('neigh', 'replace', address, 'lladdr', b.guestMac, 'dev', b.bridge, 'nud', 'permanent');
  if (b.kind === 'masquerade') {
    const guest = masqueradeGuest(b);
    return [
      // KubeVirt's fixed gateway MAC: the guest's ARP entry stays right after a migration.
      ip('link', 'add', b.bridge, 'address', STATIC_MASQUERADE_BRIDGE_MAC, 'type', 'bridge'),
      ip('link', 'set', 'dev', b.bridge, 'mtu', String(b.mtu)),
      ip('addr', 'add', `${b.serverIp}/${guest.prefixLength}`, 'dev', b.bridge),
      ...tapSteps(b, owner),
      ip('link', 'set', 'dev', b.bridge, 'up'),
      neighbour(guest.ip),
      { kind: 'sysctl', path: '/proc/sys/net/ipv4/ip_forward', value: '1' },
      { kind: 'nft', ruleset: masqueradeRuleset(b) },
    ];
  }
  const pod = b.podInterface;
  const address = b.podAddress ?? b.guest;
  return [
    ip('link', 'set', 'dev', pod, 'down'),
    ...(address ? [ip('addr', 'del', `${address.ip}/${address.prefixLength}`, 'dev', pod)] : []),
    ...(b.podMac ? [ip('link', 'set', 'dev', pod, 'address', b.podMac)] : []),
    ip('link', 'add', b.bridge, 'type', 'bridge'),
    ip('link', 'set', 'dev', b.bridge, 'mtu', String(b.mtu)),
    ip('link', 'set', 'dev', pod, 'master', b.bridge),
    // The node's bridge sends the guest's own broadcasts back (hairpin mode, as kubelet's CNI
    // bridges have it): learning on the pod interface would then move the guest's MAC there,
    // and the DHCP answer and everything else for the guest would leave through it.
    ip('link', 'set', 'dev', pod, 'type', 'bridge_slave', 'learning', 'off'),
    ...tapSteps(b, owner),
    ip('link', 'set', 'dev', pod, 'up'),
    ip('link', 'set', 'dev', b.bridge, 'up'),
    // With an address for the guest: the DHCP server answers from the bridge (a network without
    // IPAM is plain layer 2 and has no DHCP).
    ...(b.guest
      ? [
          ip('addr', 'add', `${b.serverIp}/32`, 'dev', b.bridge),
          ip('route', 'add', `${b.guest.ip}/32`, 'dev', b.bridge),
          neighbour(b.guest.ip),
        ]
      : []),
  ];
}
