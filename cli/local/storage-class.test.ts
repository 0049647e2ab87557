import { VolumeSnapshotClassKind } from '../../api/volumesnapshot/v1';
import { validateAs } from '../../api/validation/validate';
import { localSnapshotClass, localStorageClass } from './storage-class';

test("local mode's snapshot class is a valid default class of the local StorageClass's driver", () => {
  const cls = localSnapshotClass();
  expect(validateAs(VolumeSnapshotClassKind, cls)).toEqual([]);
  expect(cls).toMatchObject({
    metadata: {
      name: 'local-snapshots',
      annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' },
    },
    driver: localStorageClass().provisioner,
    deletionPolicy: 'Delete',
  });
});
