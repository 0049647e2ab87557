/** snapshot.kubevirt.io/v1beta1 VirtualMachineSnapshot: a point-in-time copy of a VM and its volumes. */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Enum,
  OpenEnum,
  Quantity,
  List,
  ListSet,
  Timestamp,
  Type,
  type Static,
} from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { TypedLocalObjectReference } from '../../k8s/storage';
import { OperationCondition, OperationError } from './common';

export const DELETION_POLICIES = ['Delete', 'Retain'] as const;
export const SNAPSHOT_MODES = ['Direct', 'External'] as const;

export const VirtualMachineSnapshotSpec = Obj('What to snapshot and how.', {
  source: TypedLocalObjectReference,
  deletionPolicy: Opt(
    Enum(
      'What happens to the VirtualMachineSnapshotContent when the snapshot is deleted.',
      DELETION_POLICIES,
    ),
  ),
  failureDeadline: Opt(
    Str(
      'How long the snapshot may take before it is marked failed, as a duration such as 5m0s. 5 minutes when left out.',
    ),
  ),
  snapshotMode: Opt(
    Enum(
      'How a running VM is snapshotted: Direct keeps the guest frozen until every volume snapshot exists; External writes to overlays so the guest thaws sooner. Direct when left out.',
      SNAPSHOT_MODES,
    ),
  ),
  overlayScratchSize: Opt(
    Quantity('Size of the scratch volume for External mode overlays; only with snapshotMode External.'),
  ),
});
export type VirtualMachineSnapshotSpec = Static<typeof VirtualMachineSnapshotSpec>;

export const SNAPSHOT_PHASES = ['InProgress', 'Succeeded', 'Failed', 'Deleting', 'Unknown'] as const;
export const SNAPSHOT_INDICATIONS = [
  'Online',
  'NoGuestAgent',
  'GuestAgent',
  'QuiesceTimeout',
  'Paused',
  'PartialSnapshot',
] as const;

export const SourceIndication = Obj('A fact about the source VM when the snapshot was taken.', {
  indication: OpenEnum('The indication.', SNAPSHOT_INDICATIONS),
  message: Str('What the indication means for this snapshot.'),
});

export const SnapshotVolumesLists = Obj('Which volumes the snapshot covers.', {
  includedVolumes: Opt(ListSet('Volumes included in the snapshot.', Type.String())),
  excludedVolumes: Opt(
    ListSet('Volumes left out, for example because their storage cannot snapshot.', Type.String()),
  ),
});

export const VirtualMachineSnapshotStatus = Obj('Observed state of a snapshot.', {
  sourceUID: Opt(Str('UID of the VM that was snapshotted.')),
  virtualMachineSnapshotContentName: Opt(Str('Name of the VirtualMachineSnapshotContent holding the data.')),
  creationTime: Opt(Timestamp('When the snapshot was taken.')),
  phase: Opt(OpenEnum('Progress of the snapshot.', SNAPSHOT_PHASES)),
  readyToUse: Opt(Bool('True once the snapshot can be restored from.')),
  error: Opt(OperationError),
  conditions: Opt(List('Ready and Progressing conditions.', OperationCondition)),
  indications: Opt(ListSet('Deprecated list of indications; see sourceIndications.', Type.String())),
  sourceIndications: Opt(List('Facts about the source VM when the snapshot was taken.', SourceIndication)),
  snapshotVolumes: Opt(SnapshotVolumesLists),
});
export type VirtualMachineSnapshotStatus = Static<typeof VirtualMachineSnapshotStatus>;

export interface VirtualMachineSnapshot {
  apiVersion: 'snapshot.kubevirt.io/v1beta1';
  kind: 'VirtualMachineSnapshot';
  metadata?: ObjectMeta;
  spec: VirtualMachineSnapshotSpec;
  status?: VirtualMachineSnapshotStatus;
}
