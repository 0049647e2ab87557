/** VMI networks: where each named interface of the guest is connected. */
import { Obj, Opt, Str, Bool, type Static } from '../../schema/dsl';
import { claimRequestFields } from './domain-common';

/**
 * The MAC address of the masquerade binding's in-pod bridge (the guest's gateway), KubeVirt's:
 * the same in every launcher pod, so a guest that migrated still reaches its gateway through the
 * entry its ARP cache holds. An interface with masquerade may not take it.
 */
export const STATIC_MASQUERADE_BRIDGE_MAC = '02:00:00:00:00:00';

export const PodNetwork = Obj('The default pod network of the launcher pod.', {
  vmNetworkCIDR: Opt(Str('IPv4 CIDR used inside the guest with masquerade; defaults to 10.0.2.0/24.')),
  vmIPv6NetworkCIDR: Opt(Str('IPv6 CIDR used inside the guest with masquerade; defaults to fd10:0:2::/120.')),
});
export type PodNetwork = Static<typeof PodNetwork>;

export const MultusNetwork = Obj('A secondary network from a Multus NetworkAttachmentDefinition.', {
  networkName: Str(
    'The NetworkAttachmentDefinition, as name or namespace/name; the namespace defaults to that of the VMI.',
  ),
  default: Opt(Bool('Use this network as the default pod network (the multus default-network annotation).')),
});
export type MultusNetwork = Static<typeof MultusNetwork>;

export const NetworkClaimRequest = Obj(
  'A network device allocated through a DRA claim of spec.resourceClaims (alpha, needs the NetworkDevicesWithDRA feature gate).',
  claimRequestFields(),
);
export type NetworkClaimRequest = Static<typeof NetworkClaimRequest>;

export const Network = Obj(
  'A named network; the interface of the same name attaches to it. Exactly one source is set.',
  {
    name: Str('Name of the network, a DNS label unique within the VMI.'),
    pod: Opt(PodNetwork),
    multus: Opt(MultusNetwork),
    resourceClaim: Opt(NetworkClaimRequest),
  },
);
export type Network = Static<typeof Network>;
