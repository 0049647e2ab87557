/**
 * snapshot.storage.k8s.io/v1 VolumeSnapshot: a user's request for a point-in-time snapshot of a
 * PersistentVolumeClaim (`spec.source.persistentVolumeClaimName`), or to use a snapshot that
 * exists already (`spec.source.volumeSnapshotContentName`).
 */
import { Bool, Obj, Opt, Quantity, Str, Timestamp, WithCel, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { VolumeSnapshotError } from './common';

export const VolumeSnapshotSource = WithCel(
  Obj('Where the snapshot comes from; exactly one member is set, and it never changes.', {
    persistentVolumeClaimName: Opt(
      Str(
        'The PersistentVolumeClaim (in the snapshot namespace) to take a snapshot of. Set it to take a new snapshot.',
        { minLength: 1 },
      ),
    ),
    volumeSnapshotContentName: Opt(
      Str('The VolumeSnapshotContent of a snapshot that exists already. Set it to use that snapshot here.', {
        minLength: 1,
      }),
    ),
  }),
  [
    {
      rule: 'has(self.persistentVolumeClaimName) != has(self.volumeSnapshotContentName)',
      message:
        'exactly one of spec.source.persistentVolumeClaimName and spec.source.volumeSnapshotContentName must be set',
    },
    { rule: 'self == oldSelf', message: 'spec.source is immutable; create another VolumeSnapshot' },
  ],
);
export type VolumeSnapshotSource = Static<typeof VolumeSnapshotSource>;

export const VolumeSnapshotSpec = Obj('The snapshot asked for.', {
  source: VolumeSnapshotSource,
  volumeSnapshotClassName: Opt(
    Str(
      'The VolumeSnapshotClass to use; when left out, the default class of the source claim\'s driver (annotated snapshot.storage.kubernetes.io/is-default-class: "true").',
      { minLength: 1 },
    ),
  ),
});
export type VolumeSnapshotSpec = Static<typeof VolumeSnapshotSpec>;

export const VolumeSnapshotStatus = Obj(
  'What the snapshot controller observed. Check that the VolumeSnapshot and its VolumeSnapshotContent name each other before using it.',
  {
    boundVolumeSnapshotContentName: Opt(Str('The VolumeSnapshotContent this snapshot is bound to.')),
    creationTime: Opt(Timestamp('When the point-in-time snapshot was taken.')),
    readyToUse: Opt(Bool('True once a volume can be restored from the snapshot.')),
    restoreSize: Opt(
      Quantity(
        'The smallest size a volume restored from this snapshot may have; a smaller claim is refused.',
      ),
    ),
    error: Opt(VolumeSnapshotError),
    volumeGroupSnapshotName: Opt(Str('The VolumeGroupSnapshot this snapshot is part of, if any.')),
  },
);
export type VolumeSnapshotStatus = Static<typeof VolumeSnapshotStatus>;

export interface VolumeSnapshot {
  apiVersion: 'snapshot.storage.k8s.io/v1';
  kind: 'VolumeSnapshot';
  metadata?: ObjectMeta;
  spec: VolumeSnapshotSpec;
  status?: VolumeSnapshotStatus;
}
