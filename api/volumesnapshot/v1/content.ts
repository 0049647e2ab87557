/**
 * snapshot.storage.k8s.io/v1 VolumeSnapshotContent (cluster-scoped): a snapshot as the storage
 * holds it, bound to one VolumeSnapshot. Made by the snapshot controller for a new snapshot
 * (`spec.source.volumeHandle`), or by an administrator for a snapshot that exists
 * (`spec.source.snapshotHandle`).
 */
import { Bool, CrdOverride, Enum, Int64, Obj, Opt, Str, Type, WithCel, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { PERSISTENT_VOLUME_MODES } from '../../k8s/storage';
import { DeletionPolicyField, VolumeSnapshotError } from './common';

export const VolumeSnapshotContentSource = WithCel(
  Obj('What the content is made from; exactly one member is set, and it never changes.', {
    volumeHandle: Opt(
      Str('The volume to take the snapshot of (for virtkit local volumes: the PersistentVolume name).', {
        minLength: 1,
      }),
    ),
    snapshotHandle: Opt(
      Str('A snapshot that exists on the storage (for virtkit local volumes: <node>/<directory>).', {
        minLength: 1,
      }),
    ),
  }),
  [
    {
      rule: 'has(self.volumeHandle) != has(self.snapshotHandle)',
      message: 'exactly one of spec.source.volumeHandle and spec.source.snapshotHandle must be set',
    },
    { rule: 'self == oldSelf', message: 'spec.source is immutable; create another VolumeSnapshotContent' },
  ],
);
export type VolumeSnapshotContentSource = Static<typeof VolumeSnapshotContentSource>;

const objectReference = Obj(
  'The VolumeSnapshot this content is bound to; its name and namespace are required.',
  {
    apiVersion: Opt(Str('API version of the VolumeSnapshot: snapshot.storage.k8s.io/v1.')),
    kind: Opt(Str('Kind of the referent: VolumeSnapshot.')),
    name: Opt(Str('Name of the VolumeSnapshot.')),
    namespace: Opt(Str('Namespace of the VolumeSnapshot.')),
    uid: Opt(
      Str(
        'UID of the VolumeSnapshot, written by the snapshot controller when it binds the two; a content with another UID belongs to another snapshot.',
      ),
    ),
    resourceVersion: Opt(Str('The resourceVersion of the VolumeSnapshot this reference was made from.')),
    fieldPath: Opt(Str('A part of the referent; unused here.')),
  },
);

export const VolumeSnapshotReference = WithCel(
  { ...objectReference, 'x-kubernetes-map-type': 'atomic' } as typeof objectReference,
  [
    {
      rule: 'has(self.name) && has(self.__namespace__)',
      message: 'both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set',
    },
  ],
);
export type VolumeSnapshotReference = Static<typeof VolumeSnapshotReference>;

export const VolumeSnapshotContentSpec = Obj('The snapshot as the storage holds it.', {
  volumeSnapshotRef: VolumeSnapshotReference,
  deletionPolicy: DeletionPolicyField(
    'What happens to this content and its data when its VolumeSnapshot is deleted.',
  ),
  driver: Str('The driver that holds the snapshot (for virtkit local volumes: virtkit.io/local-volume).', {
    minLength: 1,
  }),
  source: VolumeSnapshotContentSource,
  volumeSnapshotClassName: Opt(Str('The VolumeSnapshotClass the snapshot was taken with.')),
  sourceVolumeMode: Opt(
    WithCel(Enum('The volumeMode of the volume the snapshot was taken of.', PERSISTENT_VOLUME_MODES), [
      { rule: 'self == oldSelf', message: 'spec.sourceVolumeMode is immutable' },
    ]),
  ),
});
export type VolumeSnapshotContentSpec = Static<typeof VolumeSnapshotContentSpec>;

const NANOSECONDS = 'When the point-in-time snapshot was taken, in nanoseconds since the Unix epoch.';

export const VolumeSnapshotContentStatus = Obj('What the driver observed.', {
  snapshotHandle: Opt(
    Str('The driver-specific name of the snapshot (for virtkit local volumes: <node>/<directory>).'),
  ),
  // Nanoseconds since the epoch pass 2^53, past what a JSON number carries exactly: checked as a
  // plain number at runtime, published as the int64 it is.
  creationTime: Opt(
    CrdOverride(Type.Number({ description: NANOSECONDS }), { type: 'integer', format: 'int64' }),
  ),
  readyToUse: Opt(Bool('True once a volume can be restored from the snapshot.')),
  restoreSize: Opt(
    Int64('The size of the snapshot in bytes: the smallest volume it can be restored into.', {
      minimum: 0,
    }),
  ),
  error: Opt(VolumeSnapshotError),
  volumeGroupSnapshotHandle: Opt(Str('The driver-specific name of the group snapshot this one is part of.')),
});
export type VolumeSnapshotContentStatus = Static<typeof VolumeSnapshotContentStatus>;

export interface VolumeSnapshotContent {
  apiVersion: 'snapshot.storage.k8s.io/v1';
  kind: 'VolumeSnapshotContent';
  metadata?: ObjectMeta;
  spec: VolumeSnapshotContentSpec;
  status?: VolumeSnapshotContentStatus;
}
