import type { VolumeSnapshot, VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import { decideRestore } from './local-restore-plan';
import type { ClaimObject } from './local-volume-plan';

const LOCAL = 'virtkit.io/local-volume';

const claim = (size = '1Gi', mode?: string): ClaimObject => ({
  metadata: { name: 'restored', namespace: 'ns', uid: 'c2' },
  spec: {
    resources: { requests: { storage: size } },
    ...(mode ? { volumeMode: mode } : {}),
    dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'before' },
  },
});

const snapshot = (ready = true): VolumeSnapshot => ({
  apiVersion: 'snapshot.storage.k8s.io/v1',
  kind: 'VolumeSnapshot',
  metadata: { name: 'before', namespace: 'ns', uid: 's1' },
  spec: { source: { persistentVolumeClaimName: 'data' } },
  status: { boundVolumeSnapshotContentName: 'snapcontent-s1', readyToUse: ready },
});

function content(
  spec: Partial<VolumeSnapshotContent['spec']> = {},
  status: VolumeSnapshotContent['status'] = {},
  annotations?: Record<string, string>,
): VolumeSnapshotContent {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name: 'snapcontent-s1', ...(annotations ? { annotations } : {}) },
    spec: {
      volumeSnapshotRef: { name: 'before', namespace: 'ns', uid: 's1' },
      deletionPolicy: 'Delete',
      driver: LOCAL,
      source: { volumeHandle: 'pvc-1' },
      sourceVolumeMode: 'Filesystem',
      ...spec,
    },
    status: { readyToUse: true, snapshotHandle: 'n1/snapcontent-s1', restoreSize: 2 ** 30, ...status },
  };
}

const decide = (over: Partial<Parameters<typeof decideRestore>[0]> = {}) =>
  decideRestore({
    claim: claim(),
    snapshotName: 'before',
    snapshot: snapshot(),
    content: content(),
    waitsForConsumer: true,
    nodeName: 'n1',
    root: '/r',
    ...over,
  });

test('a ready snapshot of this node is restored from its directory', () => {
  expect(decide()).toEqual({
    kind: 'restore',
    directory: '/r/snapshots/snapcontent-s1',
    handle: 'n1/snapcontent-s1',
    volumeMode: 'Filesystem',
  });
});

test('a missing snapshot waits with a Warning; one not ready waits quietly', () => {
  expect(decide({ snapshot: undefined })).toEqual({
    kind: 'wait',
    why: 'VolumeSnapshot ns/before does not exist',
    event: {
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message:
        'PersistentVolumeClaim ns/restored: spec.dataSource names VolumeSnapshot ns/before, which does not exist; create it or fix spec.dataSource.name (the claim waits for it)',
    },
  });
  expect(decide({ snapshot: snapshot(false) })).toEqual({
    kind: 'wait',
    why: 'VolumeSnapshot ns/before is not ready to use yet',
  });
  expect(decide({ content: undefined }).kind).toBe('wait');
});

test("another node's snapshot: refused on a placed claim, naming both nodes and the fix; skipped with Immediate binding", () => {
  const held = {
    content: content({}, { snapshotHandle: 'n2/snapcontent-s1' }, { 'virtkit.io/snapshot-node': 'n2' }),
  };
  expect(decide(held)).toEqual({
    kind: 'refuse',
    event: {
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message:
        'PersistentVolumeClaim ns/restored: VolumeSnapshot ns/before is held on node n2 (VolumeSnapshotContent snapcontent-s1), but the claim was placed on node n1 (annotation volume.kubernetes.io/selected-node); a local snapshot can only be restored on its own node: run the pod that uses the claim on n2 (e.g. nodeSelector kubernetes.io/hostname: n2) and create the claim again',
    },
  });
  expect(decide({ ...held, waitsForConsumer: false })).toEqual({ kind: 'skip' });
});

test('a claim smaller than the restore size is refused with both sizes', () => {
  const d = decide({ claim: claim('512Mi') });
  expect(d.kind === 'refuse' && d.event.message).toBe(
    'PersistentVolumeClaim ns/restored: spec.resources.requests.storage "512Mi" is smaller than the restore size of VolumeSnapshot ns/before (status.restoreSize 1Gi); request at least 1Gi',
  );
  expect(decide({ claim: claim('2Gi') }).kind).toBe('restore');
});

test('another volume mode, another driver, a content bound elsewhere: refused', () => {
  const mode = decide({ claim: claim('1Gi', 'Block') });
  expect(mode.kind === 'refuse' && mode.event.message).toMatch(
    /spec\.volumeMode Block differs from the volume mode of VolumeSnapshot ns\/before \(Filesystem\); set spec\.volumeMode: Filesystem/,
  );
  const driver = decide({ content: content({ driver: 'csi.example.com' }) });
  expect(driver.kind === 'refuse' && driver.event.message).toMatch(/was taken by driver "csi\.example\.com"/);
  const other = decide({
    content: content({ volumeSnapshotRef: { name: 'before', namespace: 'ns', uid: 'older' } }),
  });
  expect(other.kind === 'refuse' && other.event.message).toMatch(
    /that content is bound to VolumeSnapshot ns\/before \(uid older\); a snapshot and its content must name each other/,
  );
  const handle = decide({ content: content({}, { snapshotHandle: 'nonsense' }) });
  expect(handle.kind === 'refuse' && handle.event.message).toMatch(
    /status\.snapshotHandle "nonsense" is not <node>\/<directory>/,
  );
});
