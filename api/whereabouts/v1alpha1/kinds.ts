/**
 * Kind definitions of whereabouts.cni.cncf.io/v1alpha1 (namespaced; the plugin keeps them in the
 * namespace of its kubeconfig's context, kube-system in local mode). They are installed with the
 * network CRDs but are not part of virtkit's validated API (api/registry.ts): the plugin owns
 * them, nobody authors them.
 */
import { defineKind } from '../../kind';
import {
  NodeSlicePoolSpec,
  NodeSlicePoolStatus,
  OverlappingRangeIPReservationSpec,
  WhereaboutsIPPoolSpec,
} from './types';

const group = 'whereabouts.cni.cncf.io';
const version = 'v1alpha1';

export const WhereaboutsIPPoolKind = defineKind({
  group,
  version,
  kind: 'IPPool',
  plural: 'ippools',
  singular: 'ippool',
  scope: 'Namespaced',
  description:
    'The whereabouts IPAM allocations of one range (named <network_name>-<range> or after the range).',
  fields: { spec: WhereaboutsIPPoolSpec },
  printerColumns: [{ name: 'Range', type: 'string', jsonPath: '.spec.range' }],
});

export const OverlappingRangeIPReservationKind = defineKind({
  group,
  version,
  kind: 'OverlappingRangeIPReservation',
  plural: 'overlappingrangeipreservations',
  singular: 'overlappingrangeipreservation',
  scope: 'Namespaced',
  description: 'An address whereabouts reserved across overlapping ranges, named after the address.',
  fields: { spec: OverlappingRangeIPReservationSpec },
  requiredFields: ['spec'],
  printerColumns: [{ name: 'Pod', type: 'string', jsonPath: '.spec.podref' }],
});

export const NodeSlicePoolKind = defineKind({
  group,
  version,
  kind: 'NodeSlicePool',
  plural: 'nodeslicepools',
  singular: 'nodeslicepool',
  scope: 'Namespaced',
  description: "A range whereabouts' node-slice controller cuts into per-node slices (Fast IPAM).",
  fields: { spec: NodeSlicePoolSpec, status: NodeSlicePoolStatus },
});
