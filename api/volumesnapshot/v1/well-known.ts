/**
 * The names of Kubernetes' volume snapshot API that are not fields: its group and version, the
 * finalizers and annotations of the external-snapshotter, the default-class annotation and the
 * name the common controller gives a dynamically made VolumeSnapshotContent. Facts of the
 * upstream API, so virtkit's objects look like any cluster's. Pure.
 */

export const VOLUME_SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const VOLUME_SNAPSHOT_VERSION = 'v1';
export const VOLUME_SNAPSHOT_API_VERSION = `${VOLUME_SNAPSHOT_GROUP}/${VOLUME_SNAPSHOT_VERSION}`;

/** On a VolumeSnapshotClass: the class used by snapshots of its driver that name none. */
export const DEFAULT_SNAPSHOT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

/** On a VolumeSnapshot bound to a content: its deletion passes through the snapshot controller. */
export const SNAPSHOT_BOUND_FINALIZER = 'snapshot.storage.kubernetes.io/volumesnapshot-bound-protection';
/** On a VolumeSnapshotContent whose deletionPolicy is Delete: kept until its data is gone. */
export const CONTENT_BOUND_FINALIZER =
  'snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection';
/** On a PersistentVolumeClaim while a snapshot of it is being taken. */
export const PVC_AS_SOURCE_FINALIZER = 'snapshot.storage.kubernetes.io/pvc-as-source-protection';

export const DELETION_POLICIES = ['Delete', 'Retain'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

/** The name of the content the common controller makes for a snapshot: `snapcontent-<snapshot uid>`. */
export function snapshotContentNameFor(snapshotUid: string): string {
  return `snapcontent-${snapshotUid}`;
}

/** A VolumeSnapshot as a claim's `spec.dataSource` / `spec.dataSourceRef` names it. */
export const VOLUME_SNAPSHOT_DATA_SOURCE = {
  apiGroup: VOLUME_SNAPSHOT_GROUP,
  kind: 'VolumeSnapshot',
} as const;
