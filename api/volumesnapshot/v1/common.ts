/** Shapes the snapshot.storage.k8s.io/v1 kinds share: the error record and the deletion policy. */
import { Enum, Obj, Opt, Str, Timestamp, type Static } from '../../schema/dsl';
import { DELETION_POLICIES } from './well-known';

export const VolumeSnapshotError = Obj(
  'The last error met while taking the snapshot; cleared once it succeeds. The snapshot controller keeps retrying.',
  {
    message: Opt(Str('What went wrong, naming the object, the field, the value and the fix.')),
    time: Opt(Timestamp('When the error was met.')),
  },
);
export type VolumeSnapshotError = Static<typeof VolumeSnapshotError>;

export function DeletionPolicyField(description: string) {
  return Enum(
    `${description} Delete removes the VolumeSnapshotContent and the snapshot's data with the VolumeSnapshot; Retain keeps both.`,
    DELETION_POLICIES,
  );
}
