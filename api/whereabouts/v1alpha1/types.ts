/**
 * whereabouts.cni.cncf.io/v1alpha1: the objects the whereabouts IPAM plugin keeps its
 * cluster-wide address allocations in (field names and types as the plugin reads and writes
 * them; virtkit never writes them itself). Pure.
 */
import { List, MapOf, Obj, Opt, Str, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';

export const WhereaboutsAllocation = Obj('Who holds one address of the pool.', {
  id: Str('The container (sandbox) id the address was given to; the handler uses the pod uid.'),
  podref: Str('The pod that holds the address, as namespace/name.'),
  ifname: Opt(Str('The pod interface the address is on (net1, pod3f2a91c0...).')),
});
export type WhereaboutsAllocation = Static<typeof WhereaboutsAllocation>;

export const WhereaboutsIPPoolSpec = Obj('The addresses handed out from one range.', {
  range: Str('The range in CIDR notation (10.5.0.0/24); the allocation keys count from its first address.'),
  allocations: MapOf(
    'Allocated addresses, keyed by their offset from the first address of the range (a decimal number).',
    WhereaboutsAllocation,
  ),
});
export type WhereaboutsIPPoolSpec = Static<typeof WhereaboutsIPPoolSpec>;

export const OverlappingRangeIPReservationSpec = Obj(
  'One address taken across every range that contains it (the object is named after the address).',
  {
    containerid: Opt(Str('The container (sandbox) id that holds the address.')),
    podref: Str('The pod that holds the address, as namespace/name.'),
    ifname: Opt(Str('The pod interface the address is on.')),
  },
);
export type OverlappingRangeIPReservationSpec = Static<typeof OverlappingRangeIPReservationSpec>;

export const NodeSlicePoolSpec = Obj('A range cut into equal slices, one per node.', {
  range: Str('The whole range in CIDR notation.'),
  sliceSize: Str('The size of each node slice, as a prefix length (/28 or 28).'),
});
export type NodeSlicePoolSpec = Static<typeof NodeSlicePoolSpec>;

export const NodeSliceAllocation = Obj('One slice and the node it is assigned to.', {
  nodeName: Str('The node the slice is assigned to; empty while the slice is free.'),
  sliceRange: Str('The slice in CIDR notation.'),
});

export const NodeSlicePoolStatus = Obj('Which node has which slice.', {
  allocations: List('The slices of the range.', NodeSliceAllocation),
});
export type NodeSlicePoolStatus = Static<typeof NodeSlicePoolStatus>;

export interface WhereaboutsIPPool {
  apiVersion: 'whereabouts.cni.cncf.io/v1alpha1';
  kind: 'IPPool';
  metadata?: ObjectMeta;
  spec?: WhereaboutsIPPoolSpec;
}
