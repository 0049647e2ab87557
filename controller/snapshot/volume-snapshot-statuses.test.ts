import type { DataVolume } from '../../api/cdi/v1beta1';
import type { Claim } from '../datavolume/objects';
import { volumeSnapshotStatuses, type VolumeStatusFacts } from './volume-snapshot-statuses';
import {
  claim,
  dataVolumeOf,
  dvClaim,
  snapshotClass,
  snapshotClasses,
  storageClasses,
  vm,
} from './fixtures.test-helper';

function facts(
  claims: Claim[],
  dataVolumes: DataVolume[] = [],
  classes = snapshotClasses,
): VolumeStatusFacts {
  return {
    claim: (n) => claims.find((c) => c.metadata?.name === n),
    dataVolume: (n) => dataVolumes.find((d) => d.metadata?.name === n),
    storageClasses,
    snapshotClasses: classes,
  };
}

describe('status.volumeSnapshotStatuses', () => {
  test("every volume, in order, with KubeVirt's reasons", () => {
    expect(volumeSnapshotStatuses(vm(), facts([claim('web-root'), dvClaim('web-data')]))).toEqual([
      { name: 'root', enabled: true },
      { name: 'data', enabled: true },
      { name: 'boot', enabled: false, reason: 'Snapshot is not supported for this volumeSource type [boot]' },
      {
        name: 'cloudinit',
        enabled: false,
        reason: 'Snapshot is not supported for this volumeSource type [cloudinit]',
      },
    ]);
  });

  test('a claim that does not exist yet, or whose class has no VolumeSnapshotClass', () => {
    const s = volumeSnapshotStatuses(vm(), facts([claim('web-root', {}, 'nfs')]));
    expect(s?.slice(0, 2)).toEqual([
      {
        name: 'root',
        enabled: false,
        reason:
          'No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [nfs] [root]',
      },
      { name: 'data', enabled: false, reason: 'PVC not found' },
    ]);
  });

  test("a DataVolume's class is read from it before its claim exists; an ambiguous choice is the reason", () => {
    const dv = dataVolumeOf('web-data', 'Pending');
    dv.spec = { storage: { storageClassName: 'ceph-rbd' } };
    const two = [snapshotClass('a', 'rbd.csi.ceph.com'), snapshotClass('b', 'rbd.csi.ceph.com')];
    expect(volumeSnapshotStatuses(vm(), facts([claim('web-root')], [dv]))?.[1]).toEqual({
      name: 'data',
      enabled: true,
    });
    expect(volumeSnapshotStatuses(vm(), facts([claim('web-root')], [dv], two))?.[1]).toEqual({
      name: 'data',
      enabled: false,
      reason:
        '2 matching VolumeSnapshotClasses for ceph-rbd (a, b): annotate one of them snapshot.storage.kubernetes.io/is-default-class: "true"',
    });
  });

  test('a VM without volumes has none', () => {
    const v = vm();
    v.spec.template.spec!.volumes = [];
    expect(volumeSnapshotStatuses(v, facts([]))).toBeUndefined();
  });
});
