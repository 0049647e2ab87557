import type { VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import { decideContent, snapshotLayout } from './local-snapshot-plan';
import type { VolumeObject } from './local-volume-plan';

const LOCAL = 'virtkit.io/local-volume';
const FINALIZER = 'snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection';

function content(
  meta: Partial<NonNullable<VolumeSnapshotContent['metadata']>> = {},
  spec: Partial<VolumeSnapshotContent['spec']> = {},
  status?: VolumeSnapshotContent['status'],
): VolumeSnapshotContent {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name: 'snapcontent-u1', resourceVersion: '5', finalizers: [FINALIZER], ...meta },
    spec: {
      volumeSnapshotRef: { name: 's', namespace: 'ns', uid: 'u1' },
      deletionPolicy: 'Delete',
      driver: LOCAL,
      source: { volumeHandle: 'pvc-1' },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function volume(node = 'n1', over: { mode?: string; capacity?: string; path?: string } = {}): VolumeObject {
  const dir = '/r/pvc-1';
  return {
    metadata: { name: 'pvc-1', annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL } },
    spec: {
      capacity: { storage: over.capacity ?? '1Gi' },
      local: { path: over.path ?? (over.mode === 'Block' ? `${dir}/device` : dir) },
      ...(over.mode ? { volumeMode: over.mode } : {}),
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] },
          ],
        },
      },
    },
  };
}

const claimed = { annotations: { 'virtkit.io/snapshot-node': 'n1' } };

describe('taking a snapshot of a volume', () => {
  test('the node of the volume claims the content first, guarded by its resourceVersion', () => {
    expect(decideContent(content(), volume(), 'n1', '/r')).toEqual({
      kind: 'claim',
      patch: [
        { op: 'test', path: '/metadata/resourceVersion', value: '5' },
        { op: 'add', path: '/metadata/annotations', value: { 'virtkit.io/snapshot-node': 'n1' } },
      ],
    });
    expect(decideContent(content({ annotations: { other: 'x' } }), volume(), 'n1', '/r')).toMatchObject({
      patch: [
        expect.anything(),
        { op: 'add', path: '/metadata/annotations/virtkit.io~1snapshot-node', value: 'n1' },
      ],
    });
  });

  test('then copies its directory into snapshots/<content name> through a partial directory', () => {
    expect(decideContent(content(claimed), volume(), 'n1', '/r/')).toEqual({
      kind: 'take',
      volume: 'pvc-1',
      source: { directory: '/r/pvc-1' },
      target: { directory: '/r/snapshots/snapcontent-u1', partial: '/r/snapshots/.partial-snapcontent-u1' },
      handle: 'n1/snapcontent-u1',
      volumeMode: 'Filesystem',
      restoreSize: 2 ** 30,
    });
  });

  test('of a Block volume only its backing file', () => {
    expect(decideContent(content(claimed), volume('n1', { mode: 'Block' }), 'n1', '/r')).toMatchObject({
      kind: 'take',
      source: { directory: '/r/pvc-1', files: ['block.img'] },
      volumeMode: 'Block',
    });
  });

  test("another node's volume, another node's claim, another driver, a ready content: nothing", () => {
    expect(decideContent(content(), volume('n2'), 'n1', '/r')).toEqual({ kind: 'skip' });
    expect(
      decideContent(content({ annotations: { 'virtkit.io/snapshot-node': 'n2' } }), volume(), 'n1', '/r'),
    ).toEqual({
      kind: 'skip',
    });
    expect(decideContent(content({}, { driver: 'csi.example.com' }), volume(), 'n1', '/r')).toEqual({
      kind: 'skip',
    });
    expect(
      decideContent(
        content(claimed, {}, { readyToUse: true, snapshotHandle: 'n1/snapcontent-u1' }),
        volume(),
        'n1',
        '/r',
      ),
    ).toEqual({ kind: 'skip' });
    // A volume not in this node's root is not ours to copy.
    expect(decideContent(content(), volume('n1', { path: '/elsewhere/pvc-1' }), 'n1', '/r')).toEqual({
      kind: 'skip',
    });
  });

  test('a claimed content whose volume is gone fails, naming the volume and the fix', () => {
    expect(decideContent(content(claimed), undefined, 'n1', '/r')).toEqual({
      kind: 'fail',
      message:
        'VolumeSnapshotContent snapcontent-u1: PersistentVolume pvc-1 (spec.source.volumeHandle) no longer exists, so no snapshot can be taken of it; delete the VolumeSnapshot ns/s',
    });
    expect(decideContent(content(), undefined, 'n1', '/r')).toEqual({ kind: 'skip' });
  });

  test('a volume without a readable capacity fails', () => {
    expect(decideContent(content(claimed), volume('n1', { capacity: 'lots' }), 'n1', '/r')).toMatchObject({
      kind: 'fail',
      message: expect.stringMatching(/spec\.capacity\.storage "lots" is not a size/),
    });
  });
});

describe('a pre-provisioned content', () => {
  const pre = (meta = {}) => content(meta, { source: { snapshotHandle: 'n1/snapcontent-old' } });

  test("is claimed and imported by its handle's node only", () => {
    expect(decideContent(pre(), undefined, 'n1', '/r').kind).toBe('claim');
    expect(decideContent(pre(claimed), undefined, 'n1', '/r')).toEqual({
      kind: 'import',
      directory: '/r/snapshots/snapcontent-old',
      handle: 'n1/snapcontent-old',
    });
    expect(decideContent(pre(), undefined, 'n2', '/r')).toEqual({ kind: 'skip' });
    const bad = content({}, { source: { snapshotHandle: 'n1/../etc' } });
    expect(decideContent(bad, undefined, 'n1', '/r')).toEqual({ kind: 'skip' });
  });
});

describe('a deleted content', () => {
  const deleting = { deletionTimestamp: '2024-05-01T10:00:00Z', ...claimed };

  test('loses its data on its node, then its finalizer', () => {
    expect(
      decideContent(content(deleting, {}, { snapshotHandle: 'n1/snapcontent-u1' }), undefined, 'n1', '/r'),
    ).toEqual({
      kind: 'remove',
      target: { directory: '/r/snapshots/snapcontent-u1', partial: '/r/snapshots/.partial-snapcontent-u1' },
      patch: [
        { op: 'test', path: '/metadata/finalizers', value: [FINALIZER] },
        { op: 'replace', path: '/metadata/finalizers', value: [] },
      ],
    });
  });

  test('with deletionPolicy Retain keeps its data; elsewhere or without our finalizer: nothing', () => {
    expect(decideContent(content(deleting, { deletionPolicy: 'Retain' }), undefined, 'n1', '/r')).toEqual({
      kind: 'remove',
      patch: expect.any(Array),
    });
    expect(decideContent(content(deleting), undefined, 'n2', '/r')).toEqual({ kind: 'skip' });
    expect(decideContent(content({ ...deleting, finalizers: [] }), undefined, 'n1', '/r')).toEqual({
      kind: 'skip',
    });
    // Unclaimed and dynamic: no node holds data; the controller lets it go.
    expect(decideContent(content({ deletionTimestamp: 'x' }), undefined, 'n1', '/r')).toEqual({
      kind: 'skip',
    });
  });
});

test('snapshot directories stay inside <root>/snapshots', () => {
  expect(() => snapshotLayout('/r', '../pvc-1', 'c')).toThrow(/contains a '\.\.' segment/);
  expect(() => snapshotLayout('/r', 'a/b', 'c')).not.toThrow();
  expect(snapshotLayout('/r', 'x', 'c')).toEqual({
    directory: '/r/snapshots/x',
    partial: '/r/snapshots/.partial-c',
  });
});
