/**
 * The names KubeVirt's snapshot controller gives things, so virtkit's objects look like any
 * KubeVirt cluster's: finalizers, labels, event reasons, and the names of the content, the
 * VolumeSnapshots and the ControllerRevision copies a snapshot makes. Pure.
 */
import type { VirtualMachineSnapshot } from '../../api/snapshot/v1beta1';

/** On a VirtualMachineSnapshot until its source is unlocked and its content dealt with. */
export const VM_SNAPSHOT_FINALIZER = 'snapshot.kubevirt.io/vmsnapshot-protection';
/** On a VirtualMachineSnapshotContent until its snapshot is gone or terminating. */
export const VM_SNAPSHOT_CONTENT_FINALIZER = 'snapshot.kubevirt.io/vmsnapshotcontent-protection';
/** On the source VirtualMachine while a snapshot of it is in progress (with status.snapshotInProgress). */
export const SNAPSHOT_SOURCE_FINALIZER = 'snapshot.kubevirt.io/snapshot-source-protection';

/** On each VolumeSnapshot a snapshot makes: the VM it was taken of. */
export const SOURCE_VM_NAME_LABEL = 'snapshot.kubevirt.io/source-vm-name';
export const SOURCE_VM_NAMESPACE_LABEL = 'snapshot.kubevirt.io/source-vm-namespace';

/** KubeVirt's Event reasons. */
export const EVENT_CONTENT_CREATED = 'SuccessfulVirtualMachineSnapshotContentCreate';
export const EVENT_VOLUME_SNAPSHOT_CREATED = 'SuccessfulVolumeSnapshotCreate';
export const EVENT_VOLUME_SNAPSHOT_MISSING = 'VolumeSnapshotMissing';
/** virtkit's own: a freeze or thaw of the guest that failed (KubeVirt only logs these). */
export const EVENT_FREEZE_FAILED = 'FreezeFailed';
export const EVENT_UNFREEZE_FAILED = 'UnfreezeFailed';

export const SNAPSHOT_API_VERSION = 'snapshot.kubevirt.io/v1beta1';

/** `vmsnapshot-content-<snapshot uid>`, or the name status already records. */
export function contentNameOf(snapshot: VirtualMachineSnapshot): string {
  return (
    snapshot.status?.virtualMachineSnapshotContentName ?? `vmsnapshot-content-${snapshot.metadata?.uid ?? ''}`
  );
}

/** `vmsnapshot-<snapshot uid>-volume-<volume name>`: the VolumeSnapshot of one volume. */
export function volumeSnapshotNameOf(snapshotUid: string, volumeName: string): string {
  return `vmsnapshot-${snapshotUid}-volume-${volumeName}`;
}

/**
 * The snapshot's copy of an instancetype or preference ControllerRevision: the source VM's name
 * in the revision's name (its first occurrence) replaced by the snapshot's, as KubeVirt names
 * it, so a restore can swap the names back.
 */
export function capturedRevisionName(revisionName: string, vmName: string, snapshotName: string): string {
  return vmName ? revisionName.replace(vmName, snapshotName) : revisionName;
}

/** `<namespace>/<name>` of the snapshot, for messages. */
export function describeSnapshot(s: VirtualMachineSnapshot): string {
  return `VirtualMachineSnapshot ${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
}
