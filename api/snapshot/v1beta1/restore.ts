/** snapshot.kubevirt.io/v1beta1 VirtualMachineRestore: bring a VM back to a snapshot. */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Enum,
  List,
  ListSet,
  StringList,
  StringMap,
  Timestamp,
  Type,
  type Static,
} from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { TypedLocalObjectReference } from '../../k8s/storage';
import { OperationCondition } from './common';

export const TARGET_READINESS_POLICIES = [
  'StopTarget',
  'WaitGracePeriod',
  'FailImmediate',
  'WaitEventually',
] as const;
export const VOLUME_RESTORE_POLICIES = ['RandomizeNames', 'InPlace', 'PrefixTargetName'] as const;
export const VOLUME_OWNERSHIP_POLICIES = ['Vm', 'None'] as const;

export const VolumeRestoreOverride = Obj('How one restored volume is named and labelled.', {
  volumeName: Opt(Str('Name of the volume in the snapshot.')),
  restoreName: Opt(Str('Name to give the restored PVC.')),
  labels: Opt(StringMap('Labels to add to the restored PVC.')),
  annotations: Opt(StringMap('Annotations to add to the restored PVC.')),
});

export const VirtualMachineRestoreSpec = Obj('Which snapshot to restore, onto which VM, and how.', {
  target: TypedLocalObjectReference,
  virtualMachineSnapshotName: Str('Name of the VirtualMachineSnapshot to restore.'),
  targetReadinessPolicy: Opt(
    Enum(
      'What to do while the target VM is running. WaitGracePeriod when left out.',
      TARGET_READINESS_POLICIES,
    ),
  ),
  volumeRestorePolicy: Opt(
    Enum('How restored PVCs are named. RandomizeNames when left out.', VOLUME_RESTORE_POLICIES),
  ),
  volumeOwnershipPolicy: Opt(
    Enum('Who owns the restored volumes: the VM, or nobody.', VOLUME_OWNERSHIP_POLICIES),
  ),
  volumeRestoreOverrides: Opt(List('Per-volume naming and labels for restored PVCs.', VolumeRestoreOverride)),
  patches: Opt(
    StringList(
      'JSON Patch operations, one JSON object a string, applied to a target VM that is created by the restore.',
    ),
  ),
});
export type VirtualMachineRestoreSpec = Static<typeof VirtualMachineRestoreSpec>;

export const VolumeRestore = Obj('One restored volume.', {
  volumeName: Str('Name of the volume in the VM.'),
  persistentVolumeClaim: Str('Name of the PVC restored for it.'),
  volumeSnapshotName: Str('VolumeSnapshot the PVC was restored from.'),
  dataVolumeName: Opt(Str('DataVolume created for the PVC, if any.')),
});

export const VirtualMachineRestoreStatus = Obj('Observed state of a restore.', {
  restores: Opt(List('The restored volumes.', VolumeRestore)),
  restoreTime: Opt(Timestamp('When the restore completed.')),
  deletedDataVolumes: Opt(ListSet('DataVolumes deleted because the restore replaced them.', Type.String())),
  complete: Opt(Bool('True once the restore is done.')),
  conditions: Opt(List('Ready and Progressing conditions.', OperationCondition)),
});
export type VirtualMachineRestoreStatus = Static<typeof VirtualMachineRestoreStatus>;

export interface VirtualMachineRestore {
  apiVersion: 'snapshot.kubevirt.io/v1beta1';
  kind: 'VirtualMachineRestore';
  metadata?: ObjectMeta;
  spec: VirtualMachineRestoreSpec;
  status?: VirtualMachineRestoreStatus;
}
