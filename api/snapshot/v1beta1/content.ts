/** snapshot.kubevirt.io/v1beta1 VirtualMachineSnapshotContent: the data behind a snapshot. */
import { Obj, Opt, Str, Bool, Enum, List, Timestamp, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { VirtualMachineSpec } from '../../kubevirt/v1';
import { VirtualMachineStatus } from '../../kubevirt/v1/vm-status';
import { PersistentVolumeClaimSpec } from '../../k8s/storage';
import { EmbeddedObjectMeta, OperationError } from './common';
import { SNAPSHOT_MODES } from './snapshot';

export const SnapshotVirtualMachine = Obj('The VirtualMachine as it was when the snapshot was taken.', {
  metadata: Opt(EmbeddedObjectMeta),
  spec: Opt(VirtualMachineSpec),
  status: Opt(VirtualMachineStatus),
});

export const SourceSpec = Obj('The snapshotted object; one member is set.', {
  virtualMachine: Opt(SnapshotVirtualMachine),
});
export type SourceSpec = Static<typeof SourceSpec>;

export const SnapshotPersistentVolumeClaim = Obj(
  'The PersistentVolumeClaim of a snapshotted volume, as it was.',
  {
    metadata: Opt(EmbeddedObjectMeta),
    spec: Opt(PersistentVolumeClaimSpec),
  },
);

export const VolumeBackup = Obj('What is needed to restore one volume.', {
  volumeName: Str('Name of the volume in the VM.'),
  persistentVolumeClaim: SnapshotPersistentVolumeClaim,
  volumeSnapshotName: Opt(Str('Name of the VolumeSnapshot holding the data.')),
});
export type VolumeBackup = Static<typeof VolumeBackup>;

export const VirtualMachineSnapshotContentSpec = Obj(
  'The snapshot data: the VM definition and a backup per volume.',
  {
    virtualMachineSnapshotName: Opt(Str('Name of the VirtualMachineSnapshot this content belongs to.')),
    source: SourceSpec,
    volumeBackups: Opt(List('One entry per snapshotted volume.', VolumeBackup)),
  },
);
export type VirtualMachineSnapshotContentSpec = Static<typeof VirtualMachineSnapshotContentSpec>;

export const VolumeSnapshotStatus = Obj('State of one VolumeSnapshot.', {
  volumeSnapshotName: Str('Name of the VolumeSnapshot.'),
  creationTime: Opt(Timestamp('When the VolumeSnapshot was cut.')),
  readyToUse: Opt(Bool('True once the VolumeSnapshot can be restored from.')),
  error: Opt(OperationError),
});

export const VirtualMachineSnapshotContentStatus = Obj('Observed state of the snapshot content.', {
  creationTime: Opt(Timestamp('When the content was created.')),
  readyToUse: Opt(Bool('True once every volume snapshot is ready.')),
  error: Opt(OperationError),
  volumeSnapshotStatus: Opt(List('State of each VolumeSnapshot.', VolumeSnapshotStatus)),
  snapshotMode: Opt(Enum('The mode the snapshot was actually taken with.', SNAPSHOT_MODES)),
});
export type VirtualMachineSnapshotContentStatus = Static<typeof VirtualMachineSnapshotContentStatus>;

export interface VirtualMachineSnapshotContent {
  apiVersion: 'snapshot.kubevirt.io/v1beta1';
  kind: 'VirtualMachineSnapshotContent';
  metadata?: ObjectMeta;
  spec: VirtualMachineSnapshotContentSpec;
  status?: VirtualMachineSnapshotContentStatus;
}
