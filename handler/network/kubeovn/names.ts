/**
 * How the handler names its Kube-OVN data plane (pure). Each Subnet a handler wires is one
 * Linux bridge, `vko<8 hex>`: a hash of the handler's instance tag (the one its namespaces and
 * its `vkbr<tag>` bridge carry, from its state directory) and the Subnet's name, so two handlers
 * on one machine never share a bridge and a name fits Linux's 15 characters. The CNI network of
 * a Subnet is `kube-ovn-<subnet>`; the default network's name in network-status is `kube-ovn`,
 * the cluster network's name a Kube-OVN cluster's Multus reports.
 *
 * A VLAN underlay is one bridge per (ProviderNetwork, VLAN id), `vkvl<8 hex>` (a hash of the
 * handler's tag, the ProviderNetwork and the id: the Subnets of one VLAN share it), and its
 * uplink (the VLAN sub-interface or the VXLAN device over the provider NIC) is `vkvu` + the same
 * 8 hex. The uplink is never named `<nic>.<id>`: a hashed name always fits 15 characters and the
 * node's release can tell the devices it made from an administrator's own `eth1.100`.
 */
import { createHash } from 'crypto';

export const KUBE_OVN_BRIDGE_PREFIX = 'vko';
const BRIDGE_NAME = new RegExp(`^${KUBE_OVN_BRIDGE_PREFIX}[0-9a-f]{8}$`);
export const KUBE_OVN_VLAN_BRIDGE_PREFIX = 'vkvl';
export const KUBE_OVN_UPLINK_PREFIX = 'vkvu';
const VLAN_BRIDGE_NAME = new RegExp(`^${KUBE_OVN_VLAN_BRIDGE_PREFIX}[0-9a-f]{8}$`);
const UPLINK_NAME = new RegExp(`^${KUBE_OVN_UPLINK_PREFIX}[0-9a-f]{8}$`);
/** The default network's name (network-status `name`) when Kube-OVN wires eth0. */
export const KUBE_OVN_DEFAULT_NETWORK = 'kube-ovn';

/** The bridge of `subnet` on the handler whose instance tag is `handlerTag` (cni/names.ts instanceTag). */
export function kubeOvnBridgeName(handlerTag: string, subnet: string): string {
  const hash = createHash('sha256').update(`virtkit-kube-ovn:${handlerTag}:${subnet}`).digest('hex');
  return `${KUBE_OVN_BRIDGE_PREFIX}${hash.slice(0, 8)}`;
}

/** Whether `name` has the shape of a Kube-OVN bridge virtkit makes (a Subnet's or a VLAN's). */
export function isKubeOvnBridgeName(name: string): boolean {
  return BRIDGE_NAME.test(name) || VLAN_BRIDGE_NAME.test(name);
}

/** The bridge of VLAN `vlanId` of ProviderNetwork `providerNetwork` on the handler tagged `handlerTag`. */
export function kubeOvnVlanBridgeName(handlerTag: string, providerNetwork: string, vlanId: number): string {
  const hash = createHash('sha256')
    .update(`virtkit-kube-ovn-vlan:${handlerTag}:${providerNetwork}:${vlanId}`)
    .digest('hex');
  return `${KUBE_OVN_VLAN_BRIDGE_PREFIX}${hash.slice(0, 8)}`;
}

/** Whether `name` has the shape of a VLAN bridge virtkit makes. */
export function isKubeOvnVlanBridgeName(name: string): boolean {
  return VLAN_BRIDGE_NAME.test(name);
}

/** The uplink device of a VLAN bridge (`vkvl<h>` -> `vkvu<h>`); throws for any other name. */
export function kubeOvnUplinkName(vlanBridge: string): string {
  if (!VLAN_BRIDGE_NAME.test(vlanBridge))
    throw new Error(
      `${vlanBridge} is not a Kube-OVN VLAN bridge name (${KUBE_OVN_VLAN_BRIDGE_PREFIX}<8 hex>)`,
    );
  return `${KUBE_OVN_UPLINK_PREFIX}${vlanBridge.slice(KUBE_OVN_VLAN_BRIDGE_PREFIX.length)}`;
}

/** Whether `name` has the shape of a VLAN uplink virtkit makes. */
export function isKubeOvnUplinkName(name: string): boolean {
  return UPLINK_NAME.test(name);
}

/** The CNI network name of a Subnet's configuration list. */
export function kubeOvnNetworkName(subnet: string): string {
  return `kube-ovn-${subnet}`;
}
