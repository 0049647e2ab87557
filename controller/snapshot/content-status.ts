/**
 * A VirtualMachineSnapshotContent's status from its VolumeSnapshots, as KubeVirt computes it:
 * each VolumeSnapshot's readyToUse, creationTime and error copied; the content is created (its
 * data cut: every VolumeSnapshot has a creationTime, the moment the guest may thaw) and ready
 * (every VolumeSnapshot readyToUse) only when none is missing; the first VolumeSnapshot error,
 * a missing VolumeSnapshot, or one skipped because the snapshot is being deleted is the
 * content's error. Pure.
 */
import type { OperationError, VirtualMachineSnapshotContentStatus } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';

type VolumeSnapshotStatusEntry = NonNullable<
  VirtualMachineSnapshotContentStatus['volumeSnapshotStatus']
>[number];

/** One entry of status.volumeSnapshotStatus. */
export function volumeSnapshotStatusOf(vs: VolumeSnapshot): VolumeSnapshotStatusEntry {
  const s = vs.status;
  const error: OperationError | undefined = s?.error
    ? {
        ...(s.error.time ? { time: s.error.time } : {}),
        ...(s.error.message !== undefined ? { message: s.error.message } : {}),
      }
    : undefined;
  return {
    volumeSnapshotName: vs.metadata?.name ?? '',
    ...(s?.creationTime ? { creationTime: s.creationTime } : {}),
    ...(s?.readyToUse !== undefined ? { readyToUse: s.readyToUse } : {}),
    ...(error ? { error } : {}),
  };
}

export interface ContentProgress {
  /** Every VolumeSnapshot has been cut. */
  readonly created: boolean;
  /** Every VolumeSnapshot can be restored from. */
  readonly ready: boolean;
  /** The content's error, or '' for none. */
  readonly errorMessage: string;
}

export function contentProgress(
  statuses: readonly VolumeSnapshotStatusEntry[],
  missing: readonly string[],
  skipped: readonly string[],
): ContentProgress {
  if (missing.length)
    return { created: false, ready: false, errorMessage: `VolumeSnapshots (${missing.join(',')}) missing` };
  if (skipped.length)
    return {
      created: false,
      ready: false,
      errorMessage: `VolumeSnapshots (${skipped.join(',')}) skipped because vm snapshot is deleted`,
    };
  let created = true;
  let ready = true;
  let errorMessage = '';
  for (const s of statuses) {
    if (!s.creationTime) created = false;
    if (s.readyToUse !== true) ready = false;
    // The first error is the content's (KubeVirt stops looking there; every entry still
    // counts for created and ready here).
    if (s.error?.message && !errorMessage)
      errorMessage = `VolumeSnapshot ${s.volumeSnapshotName} error: ${s.error.message}`;
  }
  return { created, ready, errorMessage };
}
