import { failureDeadlineMs, goDuration, pastDeadline, timeUntilDeadlineMs } from './deadline';
import { capturedRevisionName, contentNameOf, volumeSnapshotNameOf } from './names';
import { snapshotClassFor } from './snapshot-class';
import { claimOfVolume, snapshotVolumes, volumeClaims } from './volumes';
import { content, NOW, snapshot, snapshotClass, storageClasses, vm } from './fixtures.test-helper';

describe('names', () => {
  test('the content is vmsnapshot-content-<snapshot uid>, or the name status recorded', () => {
    expect(contentNameOf(snapshot())).toBe('vmsnapshot-content-snap-uid');
    expect(contentNameOf(snapshot({}, {}, { virtualMachineSnapshotContentName: 'kept-content' }))).toBe(
      'kept-content',
    );
  });

  test('a volume snapshot is vmsnapshot-<snapshot uid>-volume-<volume>', () => {
    expect(volumeSnapshotNameOf('0b3c', 'root')).toBe('vmsnapshot-0b3c-volume-root');
  });

  test("a captured revision swaps the VM's name (first occurrence) for the snapshot's", () => {
    expect(capturedRevisionName('web-u1.small-v1beta1-uid-1', 'web', 'web-snap')).toBe(
      'web-snap-u1.small-v1beta1-uid-1',
    );
    expect(capturedRevisionName('web-web-v1beta1-uid-1', 'web', 'nightly')).toBe('nightly-web-v1beta1-uid-1');
  });
});

describe('failure deadline', () => {
  test('5 minutes when left out, the Go duration when set, none at 0s', () => {
    expect(failureDeadlineMs(snapshot())).toBe(300_000);
    expect(failureDeadlineMs(snapshot({ failureDeadline: '1m30s' }))).toBe(90_000);
    expect(failureDeadlineMs(snapshot({ failureDeadline: '0s' }))).toBe(0);
    expect(failureDeadlineMs(snapshot({ failureDeadline: 'soon' }))).toBe(300_000);
  });

  test('counted from the creationTimestamp; none means never past', () => {
    expect(timeUntilDeadlineMs(snapshot(), NOW)).toBe(240_000);
    expect(pastDeadline(snapshot(), NOW)).toBe(false);
    expect(pastDeadline(snapshot({ failureDeadline: '1m' }), NOW)).toBe(true);
    expect(pastDeadline(snapshot({ failureDeadline: '59s' }), NOW)).toBe(true);
    expect(timeUntilDeadlineMs(snapshot({ failureDeadline: '0s' }), NOW)).toBeUndefined();
    expect(pastDeadline(snapshot({ failureDeadline: '0s' }), new Date('2030-01-01T00:00:00Z'))).toBe(false);
  });

  test('goDuration writes what Go writes', () => {
    expect(goDuration(300_000)).toBe('5m0s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
    expect(goDuration(90_000)).toBe('1m30s');
    expect(goDuration(30_000)).toBe('30s');
    expect(goDuration(1_500)).toBe('1.5s');
    expect(goDuration(250)).toBe('250ms');
    expect(goDuration(0)).toBe('0s');
  });
});

describe('volumes', () => {
  test('claim-backed volumes are snapshottable; containerDisk and cloud-init are not', () => {
    const volumes = vm().spec.template.spec!.volumes!;
    expect(volumes.map((v) => [v.name, claimOfVolume(v)])).toEqual([
      ['root', 'web-root'],
      ['data', 'web-data'],
      ['boot', undefined],
      ['cloudinit', undefined],
    ]);
    expect(claimOfVolume({ name: 'dump', memoryDump: { claimName: 'dump-claim' } })).toBe('dump-claim');
    expect(volumeClaims(vm().spec)).toEqual([
      { volumeName: 'root', claimName: 'web-root' },
      { volumeName: 'data', claimName: 'web-data' },
    ]);
  });

  test('included: volumes with a backup; excluded: the rest; partial when a claim was left out', () => {
    const c = content();
    expect(snapshotVolumes(vm().spec, c.spec.volumeBackups)).toEqual({
      includedVolumes: ['root', 'data'],
      excludedVolumes: ['boot', 'cloudinit'],
      partial: false,
    });
    expect(snapshotVolumes(vm().spec, c.spec.volumeBackups!.slice(0, 1))).toEqual({
      includedVolumes: ['root'],
      excludedVolumes: ['data', 'boot', 'cloudinit'],
      partial: true,
    });
  });
});

describe('VolumeSnapshotClass choice', () => {
  const rbd = (name: string, isDefault?: string) => snapshotClass(name, 'rbd.csi.ceph.com', isDefault);

  test("the only class of the StorageClass's provisioner", () => {
    expect(
      snapshotClassFor('ceph-rbd', storageClasses, [rbd('a'), snapshotClass('n', 'nfs.csi.k8s.io')]),
    ).toEqual({
      className: 'a',
    });
  });

  test('among several, the one with the default-class annotation (any value, as KubeVirt reads it)', () => {
    expect(snapshotClassFor('ceph-rbd', storageClasses, [rbd('a'), rbd('b', '')])).toEqual({
      className: 'b',
    });
  });

  test('several and no default: a problem that says how to choose', () => {
    const r = snapshotClassFor('ceph-rbd', storageClasses, [rbd('a'), rbd('b')]);
    expect(r).toEqual({
      problem:
        '2 matching VolumeSnapshotClasses for ceph-rbd (a, b): annotate one of them snapshot.storage.kubernetes.io/is-default-class: "true"',
    });
  });

  test('no class of the driver, an unknown StorageClass, or none: no class (the volume is left out)', () => {
    expect(snapshotClassFor('nfs', storageClasses, [rbd('a')])).toEqual({
      none: 'no VolumeSnapshotClass has driver "nfs.csi.k8s.io" (the provisioner of StorageClass "nfs")',
    });
    expect(snapshotClassFor('gone', storageClasses, [rbd('a')])).toEqual({
      none: 'StorageClass "gone" does not exist',
    });
    expect(snapshotClassFor(undefined, storageClasses, [rbd('a')])).toEqual({
      none: 'the claim names no StorageClass',
    });
  });
});
