/**
 * The names KubeVirt's restore controller gives things (pkg/storage/snapshot/restore.go), so a
 * restore on virtkit leaves the same marks as on any KubeVirt cluster: the finalizer, the
 * annotations and labels on restored claims and on the target VM, Event reasons, condition
 * messages, and the names of restored claims and DataVolumes. Pure.
 */
import type { VirtualMachineRestore } from '../../api/snapshot/v1beta1';

/** On a VirtualMachineRestore until its target is unlocked. */
export const VM_RESTORE_FINALIZER = 'snapshot.kubevirt.io/vmrestore-protection';

/** On restored claims and DataVolumes: the restore that made them. */
export const RESTORE_NAME_ANNOTATION = 'restore.kubevirt.io/name';
/** On the target VM and restored claims: `<restore name>-<restore uid>` of the last restore. */
export const LAST_RESTORE_ANNOTATION = 'restore.kubevirt.io/lastRestoreUID';
/** On restored claims: the VM the snapshot was taken of. */
export const RESTORE_SOURCE_NAME_LABEL = 'restore.kubevirt.io/source-vm-name';
export const RESTORE_SOURCE_NAMESPACE_LABEL = 'restore.kubevirt.io/source-vm-namespace';
/** CDI's: the claim already holds the data of the DataVolume of this name. */
export const POPULATED_FOR_ANNOTATION = 'cdi.kubevirt.io/storage.populatedFor';
/** CDI's: the DataVolume's claim is filled by someone else; CDI must not fill it. */
export const PRE_POPULATED_ANNOTATION = 'cdi.kubevirt.io/storage.prePopulated';
/** KubeVirt's label on a VM's backend-storage claim (persistent TPM / EFI): not carried to a restored claim. */
export const BACKEND_STORAGE_LABEL = 'persistent-state-for';

/** Annotation prefixes of the source claim a restored claim does not inherit (binding and CDI state). */
export const RESTORE_ANNOTATION_PREFIXES_DROPPED = [
  'pv.kubernetes.io',
  'volume.beta.kubernetes.io',
  'cdi.kubevirt.io',
  'volume.kubernetes.io',
  'k8s.io/CloneRequest',
  'k8s.io/CloneOf',
] as const;

/** KubeVirt's Event reasons. */
export const EVENT_RESTORE_COMPLETE = 'VirtualMachineRestoreComplete';
export const EVENT_RESTORE_ERROR = 'VirtualMachineRestoreError';
export const EVENT_TARGET_NOT_READY = 'RestoreTargetNotReady';
export const EVENT_DATA_VOLUME_CREATE_ERROR = 'RestoreDataVolumeCreateError';

/** KubeVirt's default grace period for a running target (snapshotv1.DefaultGracePeriod). */
export const DEFAULT_GRACE_PERIOD_MS = 5 * 60_000;

/** KubeVirt's condition messages. */
export const Msg = {
  initializing: 'Initializing VirtualMachineRestore',
  creatingClaims: 'Creating new PVCs',
  waitingClaims: 'Waiting for new PVCs',
  updatingTarget: 'Updating target spec',
  waitingTarget: 'Waiting for target update',
  complete: 'Operation complete',
  failed: 'Operation failed',
  deleting: 'VM restore is deleting',
  waitingReady: 'Waiting for target to be ready',
  targetNotReady: 'Restore target not ready',
  gracePeriodExceeded: 'Restore target failed to be ready within 5m0s',
  existingTarget: 'restore source and restore target are different but restore target already exists',
} as const;

/** `<restore name>-<restore uid>`: the value of LAST_RESTORE_ANNOTATION. */
export function lastRestoreValue(r: VirtualMachineRestore): string {
  return `${r.metadata?.name ?? ''}-${r.metadata?.uid ?? ''}`;
}

/** Whether `annotations` carry this restore's mark (the target, or a claim, is restored). */
export function hasLastRestore(
  r: VirtualMachineRestore,
  annotations: Record<string, string> | undefined,
): boolean {
  return annotations?.[LAST_RESTORE_ANNOTATION] === lastRestoreValue(r);
}

/**
 * The name of the restored claim (or DataVolume) of one volume, as KubeVirt names it: the
 * override's restoreName; the original name under InPlace; `<target>-<volume>` under
 * PrefixTargetName; `restore-<restore uid>-<volume>` otherwise (RandomizeNames, the default).
 */
export function restoredVolumeName(
  r: VirtualMachineRestore,
  volumeName: string,
  originalName: string,
): string {
  const override = r.spec.volumeRestoreOverrides?.find((o) => o.volumeName === volumeName && o.restoreName);
  if (override?.restoreName) return override.restoreName;
  switch (r.spec.volumeRestorePolicy) {
    case 'InPlace':
      return originalName;
    case 'PrefixTargetName':
      return `${r.spec.target.name}-${volumeName}`;
    default:
      return `restore-${r.metadata?.uid ?? ''}-${volumeName}`;
  }
}

/** `VirtualMachineRestore <namespace>/<name>`, for messages. */
export function describeRestore(r: VirtualMachineRestore): string {
  return `VirtualMachineRestore ${r.metadata?.namespace ?? ''}/${r.metadata?.name ?? ''}`;
}
