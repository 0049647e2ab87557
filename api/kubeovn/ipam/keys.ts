/**
 * Names Kube-OVN's IPAM works with (pure): providers, the pod annotations of one provider's
 * interface, and IP object names. The default (pod) network's provider is `ovn`; a
 * NetworkAttachmentDefinition of type kube-ovn is the provider `<nad>.<namespace>.ovn`.
 */

/** The default network's provider. */
export const OVN_PROVIDER = 'ovn';

/** The CNI type of a NetworkAttachmentDefinition Kube-OVN serves. */
export const KUBE_OVN_CNI_TYPE = 'kube-ovn';

/** The provider of an attachment through the NetworkAttachmentDefinition `<namespace>/<nad>`. */
export function attachmentProvider(nad: string, namespace: string): string {
  return `${nad}.${namespace}.${OVN_PROVIDER}`;
}

/** `<provider>.kubernetes.io/<key>`. */
export function kubeOvnAnnotationKey(provider: string, key: string): string {
  return `${provider}.kubernetes.io/${key}`;
}

/** The keys of one provider's annotations that Kube-OVN reads (requests) and writes (allocation). */
export const KUBE_OVN_KEYS = {
  /** Request: the Subnet (logical switch) to allocate from. Written back with the chosen one. */
  logicalSwitch: 'logical_switch',
  /** Request: a fixed address. Written back with the allocated one. */
  ipAddress: 'ip_address',
  /** Request: an IPPool's name, or a list of addresses, to take the address from. */
  ipPool: 'ip_pool',
  /** Request: a fixed MAC. Written back with the allocated one. */
  macAddress: 'mac_address',
  /** Allocation: "true" once the addresses below are written. */
  allocated: 'allocated',
  cidr: 'cidr',
  gateway: 'gateway',
  podNicType: 'pod_nic_type',
  vlanId: 'vlan_id',
  providerNetwork: 'provider_network',
  /** virtkit's own: "true" when the subnet NATs traffic leaving it (the node's data plane reads it). */
  natOutgoing: 'nat_outgoing',
  mtu: 'mtu',
} as const;

/**
 * The IP object of one interface: `<owner>.<namespace>` on the default network,
 * `<owner>.<namespace>.<provider>` on an attachment (Kube-OVN's port names). The owner of a VM's
 * pod is the VM, so the address outlives the pod.
 */
export function ipObjectName(owner: string, namespace: string, provider: string): string {
  return provider === OVN_PROVIDER ? `${owner}.${namespace}` : `${owner}.${namespace}.${provider}`;
}
