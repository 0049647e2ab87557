/**
 * Kind definitions of snapshot.storage.k8s.io/v1 (Kubernetes' volume snapshots, the
 * external-snapshotter's CRDs), with their upstream names, short names and printer columns.
 * virtkit installs these CRDs in local mode only, and only where the cluster has none.
 */
import { defineKind } from '../../kind';
import { volumeSnapshotClassFields } from './class';
import { VolumeSnapshotContentSpec, VolumeSnapshotContentStatus } from './content';
import { volumeSnapshotContentRules, volumeSnapshotRules } from './rules';
import { VolumeSnapshotSpec, VolumeSnapshotStatus } from './snapshot';
import { VOLUME_SNAPSHOT_GROUP, VOLUME_SNAPSHOT_VERSION } from './well-known';

const group = VOLUME_SNAPSHOT_GROUP;
const version = VOLUME_SNAPSHOT_VERSION;
const age = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' } as const;
const readyToUse = {
  name: 'ReadyToUse',
  type: 'boolean',
  jsonPath: '.status.readyToUse',
  description: 'Whether a volume can be restored from the snapshot.',
} as const;

export const VolumeSnapshotClassKind = defineKind({
  group,
  version,
  kind: 'VolumeSnapshotClass',
  plural: 'volumesnapshotclasses',
  singular: 'volumesnapshotclass',
  shortNames: ['vsclass', 'vsclasses'],
  scope: 'Cluster',
  description:
    'Which driver takes the snapshots of a class, with what parameters, and whether their data outlives the VolumeSnapshot.',
  fields: volumeSnapshotClassFields,
  requiredFields: ['driver', 'deletionPolicy'],
  printerColumns: [
    { name: 'Driver', type: 'string', jsonPath: '.driver' },
    {
      name: 'DeletionPolicy',
      type: 'string',
      jsonPath: '.deletionPolicy',
      description: 'Whether a content made through this class goes with its VolumeSnapshot.',
    },
    age,
  ],
});

export const VolumeSnapshotKind = defineKind({
  group,
  version,
  kind: 'VolumeSnapshot',
  plural: 'volumesnapshots',
  singular: 'volumesnapshot',
  shortNames: ['vs'],
  scope: 'Namespaced',
  description:
    "A user's request for a point-in-time snapshot of a PersistentVolumeClaim, or to use a snapshot that exists.",
  fields: { spec: VolumeSnapshotSpec, status: VolumeSnapshotStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    readyToUse,
    {
      name: 'SourcePVC',
      type: 'string',
      jsonPath: '.spec.source.persistentVolumeClaimName',
      description: 'The claim the snapshot is (or will be) taken of.',
    },
    {
      name: 'SourceSnapshotContent',
      type: 'string',
      jsonPath: '.spec.source.volumeSnapshotContentName',
      description: 'The content of an existing snapshot this one uses.',
    },
    {
      name: 'RestoreSize',
      type: 'string',
      jsonPath: '.status.restoreSize',
      description: 'The smallest volume the snapshot can be restored into.',
    },
    {
      name: 'SnapshotClass',
      type: 'string',
      jsonPath: '.spec.volumeSnapshotClassName',
      description: 'The VolumeSnapshotClass asked for.',
    },
    {
      name: 'SnapshotContent',
      type: 'string',
      jsonPath: '.status.boundVolumeSnapshotContentName',
      description: 'The VolumeSnapshotContent the snapshot is bound to.',
    },
    {
      name: 'CreationTime',
      type: 'date',
      jsonPath: '.status.creationTime',
      description: 'When the point-in-time snapshot was taken.',
    },
    age,
  ],
  rules: volumeSnapshotRules,
});

export const VolumeSnapshotContentKind = defineKind({
  group,
  version,
  kind: 'VolumeSnapshotContent',
  plural: 'volumesnapshotcontents',
  singular: 'volumesnapshotcontent',
  shortNames: ['vsc', 'vscs'],
  scope: 'Cluster',
  description: 'A snapshot as the storage holds it, bound to one VolumeSnapshot.',
  fields: { spec: VolumeSnapshotContentSpec, status: VolumeSnapshotContentStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    readyToUse,
    {
      name: 'RestoreSize',
      type: 'integer',
      jsonPath: '.status.restoreSize',
      description: 'The size of the snapshot in bytes.',
    },
    {
      name: 'DeletionPolicy',
      type: 'string',
      jsonPath: '.spec.deletionPolicy',
      description: 'Whether the content and its data go with the VolumeSnapshot.',
    },
    {
      name: 'Driver',
      type: 'string',
      jsonPath: '.spec.driver',
      description: 'The driver holding the snapshot.',
    },
    {
      name: 'VolumeSnapshotClass',
      type: 'string',
      jsonPath: '.spec.volumeSnapshotClassName',
      description: 'The class the snapshot was taken with.',
    },
    {
      name: 'VolumeSnapshot',
      type: 'string',
      jsonPath: '.spec.volumeSnapshotRef.name',
      description: 'The VolumeSnapshot this content is bound to.',
    },
    {
      name: 'VolumeSnapshotNamespace',
      type: 'string',
      jsonPath: '.spec.volumeSnapshotRef.namespace',
      description: 'The namespace of that VolumeSnapshot.',
    },
    age,
  ],
  rules: volumeSnapshotContentRules,
});
