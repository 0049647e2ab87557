/**
 * A VolumeSnapshot's status from what the controller observed: the content it is bound to (its
 * readiness, time and size, converted from the content's nanoseconds and bytes to a timestamp and
 * a quantity) or the problem that stops it. An error keeps its first time while its message stays
 * the same, so rewriting it never loops. Pure.
 */
import { formatBytes } from '../../api/quantity';
import type {
  VolumeSnapshotContent,
  VolumeSnapshotError,
  VolumeSnapshotStatus,
} from '../../api/volumesnapshot/v1';
import { metav1Time } from '../../api/k8s/meta';

/** RFC 3339 to the second, as Kubernetes writes times, from nanoseconds since the epoch. */
export function timeFromNanoseconds(ns: number): string {
  return metav1Time(Math.floor(ns / 1e6));
}

function errorRecord(
  message: string,
  previous: VolumeSnapshotError | undefined,
  now: Date,
): VolumeSnapshotError {
  const time = previous?.message === message && previous.time ? previous.time : metav1Time(now);
  return { message, time };
}

export interface StatusFacts {
  /** The content the snapshot is (or is being) bound to. */
  readonly contentName?: string;
  /** That content, when it exists. */
  readonly content?: VolumeSnapshotContent;
  /** What stops the snapshot, when something does. */
  readonly problem?: string;
}

export function snapshotStatus(
  current: VolumeSnapshotStatus | undefined,
  facts: StatusFacts,
  now: Date,
): VolumeSnapshotStatus {
  const status: VolumeSnapshotStatus = {};
  if (facts.contentName) status.boundVolumeSnapshotContentName = facts.contentName;
  const cs = facts.problem ? undefined : facts.content?.status;
  if (cs?.creationTime !== undefined) status.creationTime = timeFromNanoseconds(cs.creationTime);
  status.readyToUse = cs?.readyToUse === true;
  if (cs?.restoreSize !== undefined) status.restoreSize = formatBytes(cs.restoreSize);
  const message = facts.problem ?? cs?.error?.message;
  if (message) {
    // The driver's own error keeps the driver's time.
    status.error = facts.problem ? errorRecord(message, current?.error, now) : { ...cs!.error };
  }
  if (current?.volumeGroupSnapshotName) status.volumeGroupSnapshotName = current.volumeGroupSnapshotName;
  return status;
}
