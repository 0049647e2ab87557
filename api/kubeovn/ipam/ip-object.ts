/**
 * What Kube-OVN's IPAM writes for one allocated interface (pure): the cluster-scoped IP object
 * and the pod annotations the node's CNI reads (`<provider>.kubernetes.io/allocated`,
 * `ip_address`, `mac_address`, `cidr`, `gateway`, `logical_switch`, ...).
 */
import type { IP, Subnet } from '../v1';
import type { Allocation } from './allocate';
import { KUBE_OVN_KEYS, kubeOvnAnnotationKey } from './keys';

/** Labels Kube-OVN puts on IP objects, and virtkit's record of who allocated one and for what. */
export const IP_SUBNET_LABEL = 'ovn.kubernetes.io/subnet';
export const IP_MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const IP_MANAGED_BY = 'virtkit-controller';
/** `VirtualMachine` or `VirtualMachineInstance`: which object's life the address follows. */
export const IP_OWNER_KIND_ANNOTATION = 'virtkit.io/ip-owner-kind';

export interface IpOwner {
  readonly kind: 'VirtualMachine' | 'VirtualMachineInstance';
  readonly name: string;
  readonly namespace: string;
}

export function renderIpObject(ipName: string, owner: IpOwner, a: Allocation, nodeName = ''): IP {
  return {
    apiVersion: 'kubeovn.io/v1',
    kind: 'IP',
    metadata: {
      name: ipName,
      labels: { [IP_SUBNET_LABEL]: a.subnet, [IP_MANAGED_BY_LABEL]: IP_MANAGED_BY },
      annotations: { [IP_OWNER_KIND_ANNOTATION]: owner.kind },
    },
    spec: {
      podName: owner.name,
      namespace: owner.namespace,
      subnet: a.subnet,
      attachSubnets: [],
      nodeName,
      ipAddress: a.ip,
      v4IpAddress: a.ip,
      v6IpAddress: '',
      attachIps: [],
      macAddress: a.mac,
      attachMacs: [],
      containerID: '',
      podType: owner.kind === 'VirtualMachine' ? 'VirtualMachine' : '',
    },
  };
}

/** The underlay details of a VLAN subnet: its Vlan's ID and provider network. */
export interface UnderlayInfo {
  readonly vlanId: number;
  readonly providerNetwork: string;
}

/** The pod annotations of `provider`'s allocated interface. */
export function allocationAnnotations(
  provider: string,
  a: Allocation,
  subnet: Subnet,
  underlay?: UnderlayInfo,
): Record<string, string> {
  const k = (key: string) => kubeOvnAnnotationKey(provider, key);
  const out: Record<string, string> = {
    [k(KUBE_OVN_KEYS.allocated)]: 'true',
    [k(KUBE_OVN_KEYS.ipAddress)]: a.ip,
    [k(KUBE_OVN_KEYS.macAddress)]: a.mac,
    [k(KUBE_OVN_KEYS.cidr)]: a.cidr,
    [k(KUBE_OVN_KEYS.gateway)]: a.gateway,
    [k(KUBE_OVN_KEYS.logicalSwitch)]: a.subnet,
    [k(KUBE_OVN_KEYS.podNicType)]: 'veth-pair',
  };
  if (subnet.spec?.natOutgoing === true) out[k(KUBE_OVN_KEYS.natOutgoing)] = 'true';
  if (subnet.spec?.mtu !== undefined && subnet.spec.mtu > 0)
    out[k(KUBE_OVN_KEYS.mtu)] = String(subnet.spec.mtu);
  if (underlay) {
    out[k(KUBE_OVN_KEYS.vlanId)] = String(underlay.vlanId);
    out[k(KUBE_OVN_KEYS.providerNetwork)] = underlay.providerNetwork;
  }
  return out;
}
