/**
 * A VLAN underlay on the node (pure): which host NIC a ProviderNetwork gives this node, and the
 * `ip` commands that make a VLAN's bridge and its uplink on that NIC.
 *
 * Kube-OVN bridges the provider NIC into an OVS bridge and tags the pod's port with the VLAN.
 * virtkit makes one Linux bridge per (ProviderNetwork, VLAN id), `vkvl<hash>`, without an address
 * (the gateway is the physical router, reached over the uplink), and one uplink device on it:
 *
 * - where the kernel has 802.1Q, a VLAN sub-interface of the NIC with the VLAN's id;
 * - where it has not (no 8021q module), a VXLAN device over the NIC whose VNI is the VLAN id,
 *   multicast group 239.1.<id high byte>.<id low byte>, UDP port 4789, MAC learning on: the
 *   far side (the switch or router of that network) must speak the same VXLAN segment.
 */
import type { KubeOvnUnderlay } from './annotations';

/** The ProviderNetwork fields read here (kubeovn.io/v1, api/kubeovn/v1/provider-network.ts). */
export interface ProviderNetworkJson {
  readonly metadata?: { readonly name?: string };
  readonly spec?: {
    readonly defaultInterface?: string;
    readonly customInterfaces?: readonly {
      readonly interface?: string;
      readonly nodes?: readonly string[];
    }[];
    readonly excludeNodes?: readonly string[];
  };
}

/** This node's interface on a ProviderNetwork, or why it has none (and the fix). */
export type ProviderInterface =
  { readonly nic: string } | { readonly problem: string; readonly fix: string; readonly nic?: string };

/**
 * Linux interface names: 1 to 15 characters, here letters, digits, `_`, `.`, `-` and `@`, not
 * starting with `-` or `.` (never an option to `ip`, never `.`/`..` or a path under /sys).
 */
const INTERFACE_NAME = /^[A-Za-z0-9_@][A-Za-z0-9_.@-]{0,14}$/;

export function isInterfaceName(name: string): boolean {
  return INTERFACE_NAME.test(name);
}

/**
 * The NIC `pn` gives `node`: none when the node is in excludeNodes; a customInterfaces entry
 * listing the node wins over defaultInterface. `node` undefined (the pod names no node): only
 * defaultInterface applies. The name is checked for shape, not for presence on the host.
 */
export function providerInterface(pn: ProviderNetworkJson, node: string | undefined): ProviderInterface {
  const spec = pn.spec ?? {};
  const onNode = node !== undefined && node !== '';
  if (onNode && (spec.excludeNodes ?? []).includes(node))
    return {
      problem: `node ${JSON.stringify(node)} is in its spec.excludeNodes`,
      fix: 'remove the node from spec.excludeNodes, or keep the VM off this node (a nodeSelector or affinity)',
    };
  const custom = onNode
    ? (spec.customInterfaces ?? []).find((c) => (c.nodes ?? []).includes(node))
    : undefined;
  const nic = custom ? custom.interface : spec.defaultInterface;
  const field = custom ? 'spec.customInterfaces[].interface' : 'spec.defaultInterface';
  if (nic === undefined || nic === '')
    return {
      problem: `it names no interface for ${onNode ? `node ${JSON.stringify(node)}` : 'this node'} (${field} is empty)`,
      fix: 'set spec.defaultInterface (or a customInterfaces entry for the node) to the NIC that carries the physical network',
    };
  if (!isInterfaceName(nic))
    return {
      nic,
      problem: `${field} is not a network interface name`,
      fix: 'give a Linux interface name of at most 15 characters (letters, digits, "_", ".", "-", "@"), e.g. eth1',
    };
  return { nic };
}

/** How a VLAN reaches the NIC: an 802.1Q sub-interface, or a VXLAN segment with VNI = the VLAN id. */
export type UplinkCarrier = 'vlan' | 'vxlan';

export interface UplinkPlanInput {
  readonly underlay: KubeOvnUnderlay;
  readonly nic: string;
  /** The VLAN's bridge (names.ts kubeOvnVlanBridgeName) and its uplink (kubeOvnUplinkName). */
  readonly bridge: string;
  readonly uplink: string;
  /** Whether the kernel makes 802.1Q devices. */
  readonly dot1q: boolean;
}

export interface UplinkPlan {
  readonly carrier: UplinkCarrier;
  /** `ip` argument lists that make the bridge (when it does not exist yet), in order. */
  readonly bridgeCommands: readonly (readonly string[])[];
  /** `ip` argument lists that make the uplink and put it on the bridge, in order. */
  readonly uplinkCommands: readonly (readonly string[])[];
  /** One line for the log and the docs. */
  readonly description: string;
}

/** The VXLAN multicast group of VLAN `id`: 239.1.<id >> 8>.<id & 255> (administratively scoped). */
export function vxlanGroup(id: number): string {
  return `239.1.${id >> 8}.${id & 255}`;
}

export const VXLAN_PORT = 4789;

/** The commands that make the VLAN's bridge and uplink. Throws for an id outside 1..4094. */
export function uplinkPlan(o: UplinkPlanInput): UplinkPlan {
  const id = o.underlay.vlanId;
  if (!Number.isInteger(id) || id < 1 || id > 4094) throw new Error(`VLAN id ${id} is not 1 to 4094`);
  const bridgeCommands = [
    ['link', 'add', 'name', o.bridge, 'type', 'bridge'],
    ['link', 'set', 'dev', o.bridge, 'up'],
  ];
  const add = o.dot1q
    ? ['link', 'add', 'link', o.nic, 'name', o.uplink, 'type', 'vlan', 'id', String(id)]
    : [
        'link',
        'add',
        'name',
        o.uplink,
        'type',
        'vxlan',
        'id',
        String(id),
        'dev',
        o.nic,
        'group',
        vxlanGroup(id),
        'dstport',
        String(VXLAN_PORT),
        'learning',
      ];
  return {
    carrier: o.dot1q ? 'vlan' : 'vxlan',
    bridgeCommands,
    uplinkCommands: [
      add,
      ['link', 'set', 'dev', o.uplink, 'master', o.bridge],
      ['link', 'set', 'dev', o.uplink, 'up'],
    ],
    description: o.dot1q
      ? `VLAN ${id} on ${o.nic} as 802.1Q sub-interface ${o.uplink} on bridge ${o.bridge}`
      : `VLAN ${id} on ${o.nic} carried as VXLAN VNI ${id}: this kernel has no 802.1Q (group ${vxlanGroup(id)}, port ${VXLAN_PORT}, device ${o.uplink} on bridge ${o.bridge})`,
  };
}
