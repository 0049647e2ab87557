/**
 * The pod (VMI template) annotations Kube-OVN reads to place an interface on a subnet
 * with a fixed address or MAC. The default network uses the `ovn` prefix; a network
 * attached through Multus uses its NAD's provider (`<nad>.<namespace>` or
 * `<nad>.<namespace>.ovn`) as the prefix.
 */

import { kubeOvnAnnotationKey, OVN_PROVIDER } from '../../../api/kubeovn/ipam/keys';

export { kubeOvnAnnotationKey };

/** Prefix of the default (pod) network's Kube-OVN annotations. */
export const DEFAULT_NETWORK_PROVIDER = OVN_PROVIDER;

/** What to pin on one Kube-OVN interface. */
export interface KubeOvnAddressing {
  /** Subnet (logical switch) the interface joins. */
  readonly logicalSwitch?: string;
  /** Fixed IP address (or `v4,v6` for dual stack). */
  readonly ipAddress?: string;
  /** Fixed MAC address. */
  readonly macAddress?: string;
}

/** The annotations for an interface whose Kube-OVN provider is `provider` (pure). */
export function kubeOvnAnnotations(provider: string, addressing: KubeOvnAddressing): Record<string, string> {
  const out: Record<string, string> = {};
  if (addressing.logicalSwitch !== undefined) {
    out[kubeOvnAnnotationKey(provider, 'logical_switch')] = addressing.logicalSwitch;
  }
  if (addressing.ipAddress !== undefined)
    out[kubeOvnAnnotationKey(provider, 'ip_address')] = addressing.ipAddress;
  if (addressing.macAddress !== undefined)
    out[kubeOvnAnnotationKey(provider, 'mac_address')] = addressing.macAddress;
  return out;
}
