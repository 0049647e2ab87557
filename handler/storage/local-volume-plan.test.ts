import {
  blockToAttach,
  decideClaim,
  LOCAL_PROVISIONER,
  snapshotSourceOf,
  volumeNode,
  volumeToDelete,
  type ClaimObject,
  type StorageClassObject,
} from './local-volume-plan';

const waiting: StorageClassObject = {
  metadata: { name: 'local' },
  provisioner: LOCAL_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

function claim(
  over: { annotations?: Record<string, string>; spec?: object; status?: object } = {},
): ClaimObject {
  return {
    metadata: {
      name: 'data',
      namespace: 'ns',
      uid: 'u-1',
      annotations: {
        'volume.kubernetes.io/storage-provisioner': LOCAL_PROVISIONER,
        'volume.kubernetes.io/selected-node': 'n1',
        ...over.annotations,
      },
    },
    spec: { storageClassName: 'local', resources: { requests: { storage: '1Gi' } }, ...over.spec },
    status: { phase: 'Pending', ...over.status },
  };
}

describe('which claims this node provisions', () => {
  test('a claim of our class, placed on this node: a directory and a volume pinned to the node', () => {
    const d = decideClaim(claim(), waiting, 'n1', '/var/lib/virtkit/volumes/');
    expect(d).toMatchObject({
      kind: 'provision',
      directory: '/var/lib/virtkit/volumes/pvc-u-1',
      volume: {
        metadata: { name: 'pvc-u-1', annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PROVISIONER } },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          volumeMode: 'Filesystem',
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: 'local',
          local: { path: '/var/lib/virtkit/volumes/pvc-u-1' },
          claimRef: { namespace: 'ns', name: 'data', uid: 'u-1' },
        },
      },
    });
  });

  test("another node's claim, one not placed yet, another provisioner's, a bound one: nothing", () => {
    expect(decideClaim(claim(), waiting, 'n2', '/r').kind).toBe('skip');
    expect(
      decideClaim(claim({ annotations: { 'volume.kubernetes.io/selected-node': '' } }), waiting, 'n1', '/r')
        .kind,
    ).toBe('skip');
    expect(
      decideClaim(
        claim({ annotations: { 'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com' } }),
        waiting,
        'n1',
        '/r',
      ).kind,
    ).toBe('skip');
    expect(decideClaim(claim({ spec: { volumeName: 'pv-1' } }), waiting, 'n1', '/r').kind).toBe('skip');
    expect(decideClaim(claim(), undefined, 'n1', '/r').kind).toBe('skip');
  });

  test('Immediate binding: any node may make it (the volume name decides who wins)', () => {
    const now = { ...waiting, volumeBindingMode: 'Immediate' };
    expect(
      decideClaim(claim({ annotations: { 'volume.kubernetes.io/selected-node': '' } }), now, 'n2', '/r').kind,
    ).toBe('provision');
  });

  test('what one node cannot serve is refused with the fix', () => {
    const refusal = (spec: object): string | undefined => {
      const d = decideClaim(claim({ spec }), waiting, 'n1', '/r');
      return d.kind === 'refuse' ? d.event.message : undefined;
    };
    expect(refusal({ volumeMode: 'Raw' })).toMatch(
      /spec.volumeMode "Raw" is unknown; use Filesystem or Block/,
    );
    expect(refusal({ volumeMode: 'Block', resources: { requests: { storage: '100' } } })).toMatch(
      /requests.storage "100" is not a size a block device can have; use at least 512 bytes/,
    );
    expect(refusal({ accessModes: ['ReadWriteMany'] })).toMatch(
      /ReadWriteMany cannot be served .* use ReadWriteOnce/,
    );
    expect(refusal({ resources: {} })).toMatch(/requests.storage is missing/);
  });

  test('a Block claim: a backing file and a device node in its directory; the volume names the node', () => {
    const d = decideClaim(
      claim({ spec: { volumeMode: 'Block', resources: { requests: { storage: '1000' } } } }),
      waiting,
      'n1',
      '/r',
    );
    expect(d.kind).toBe('provision');
    if (d.kind !== 'provision') return;
    expect(d.directory).toBe('/r/pvc-u-1');
    // Loop devices count 512-byte sectors: 1000 bytes become 1024.
    expect(d.block).toEqual({
      backingFile: '/r/pvc-u-1/block.img',
      deviceNode: '/r/pvc-u-1/device',
      sizeBytes: 1024,
    });
    expect(d.volume.spec).toMatchObject({ volumeMode: 'Block', local: { path: '/r/pvc-u-1/device' } });
    const fsClaim = decideClaim(claim(), waiting, 'n1', '/r');
    expect(fsClaim.kind === 'provision' && fsClaim.block).toBeUndefined();
    expect(fsClaim.kind === 'provision' && fsClaim.volume.spec).toMatchObject({ volumeMode: 'Filesystem' });
  });

  test('a claim uid that would not be a plain directory name is refused, never joined to the root', () => {
    const c = claim();
    const odd = { ...c, metadata: { ...c.metadata, uid: '../../etc' } };
    const d = decideClaim(odd, waiting, 'n1', '/r');
    expect(d.kind).toBe('refuse');
    expect(d.kind === 'refuse' && d.event.message).toMatch(/PersistentVolumeClaim ns\/data metadata.uid/);
  });
});

describe('which volumes this node deletes', () => {
  const pv = (over: object = {}) => ({
    metadata: { name: 'pvc-u-1', annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PROVISIONER } },
    spec: { persistentVolumeReclaimPolicy: 'Delete', local: { path: '/r/pvc-u-1' } },
    status: { phase: 'Released' },
    ...over,
  });

  test('a Released volume of ours under our root, with policy Delete', () => {
    expect(volumeToDelete(pv(), '/r')).toEqual({ directory: '/r/pvc-u-1' });
    expect(volumeToDelete(pv({ status: { phase: 'Bound' } }), '/r')).toBeUndefined();
    expect(
      volumeToDelete(
        pv({ spec: { persistentVolumeReclaimPolicy: 'Retain', local: { path: '/r/pvc-u-1' } } }),
        '/r',
      ),
    ).toBeUndefined();
  });

  test('a Block volume: its loop device is kept while it lives, its files go when it is Released', () => {
    const block = (phase: string, path = '/r/pvc-u-1/device') =>
      pv({
        spec: { persistentVolumeReclaimPolicy: 'Delete', volumeMode: 'Block', local: { path } },
        status: { phase },
      });
    const files = { backingFile: '/r/pvc-u-1/block.img', deviceNode: '/r/pvc-u-1/device' };
    expect(blockToAttach(block('Bound'), '/r')).toEqual(files);
    expect(blockToAttach(block('Available'), '/r')).toEqual(files);
    expect(blockToAttach(block('Released'), '/r')).toBeUndefined();
    expect(volumeToDelete(block('Released'), '/r')).toEqual({ directory: '/r/pvc-u-1', block: files });
    // A Block volume whose path is not our node in our directory is never ours.
    for (const p of ['/dev/sda', '/r/pvc-u-1', '/r/pvc-u-1/block.img', '/r/other/device'])
      expect(
        blockToAttach(block('Bound', p), '/r') ?? volumeToDelete(block('Released', p), '/r'),
      ).toBeUndefined();
    // A filesystem volume is never attached.
    expect(blockToAttach(pv({ status: { phase: 'Bound' } }), '/r')).toBeUndefined();
  });

  test('never a path outside the root or not named after the volume', () => {
    for (const p of ['/etc', '/r/../etc', '/r/other', '/r2/pvc-u-1'])
      expect(
        volumeToDelete(pv({ spec: { persistentVolumeReclaimPolicy: 'Delete', local: { path: p } } }), '/r'),
      ).toBeUndefined();
    expect(volumeToDelete(pv({ metadata: { name: 'pvc-u-1' } }), '/r')).toBeUndefined();
  });
});

describe('a claim with a data source', () => {
  const snapshotSource = { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 'before' };

  test('a VolumeSnapshot (dataSource or dataSourceRef) is provisioned with restoreFrom', () => {
    const d = decideClaim(claim({ spec: { dataSource: snapshotSource } }), waiting, 'n1', '/r');
    expect(d).toMatchObject({ kind: 'provision', directory: '/r/pvc-u-1', restoreFrom: 'before' });
    expect(snapshotSourceOf(claim({ spec: { dataSourceRef: { ...snapshotSource, name: 'ref' } } }))).toEqual({
      snapshot: 'ref',
    });
    expect(snapshotSourceOf(claim())).toBeUndefined();
    const empty = decideClaim(claim(), waiting, 'n1', '/r');
    expect(empty.kind === 'provision' && empty.restoreFrom).toBeUndefined();
  });

  test('any other source is refused instead of ignored, naming the field and the fix', () => {
    const d = decideClaim(
      claim({ spec: { dataSource: { kind: 'PersistentVolumeClaim', name: 'other' } } }),
      waiting,
      'n1',
      '/r',
    );
    expect(d.kind === 'refuse' && d.event.message).toBe(
      'PersistentVolumeClaim ns/data: spec.dataSource {"apiGroup":"","kind":"PersistentVolumeClaim","name":"other"} is not a source the virtkit.io/local-volume provisioner can fill a volume from; it restores VolumeSnapshots (apiGroup snapshot.storage.k8s.io, kind VolumeSnapshot); to copy a claim use a DataVolume with spec.source.pvc',
    );
    expect(
      snapshotSourceOf(claim({ spec: { dataSourceRef: { ...snapshotSource, namespace: 'elsewhere' } } })),
    ).toEqual({
      problem: expect.stringMatching(
        /spec\.dataSourceRef\.namespace "elsewhere" is another namespace; a virtkit\.io\/local-volume volume restores only a VolumeSnapshot of its own namespace/,
      ),
    });
  });
});

describe('the node a volume is pinned to', () => {
  const pinned = (values: string[], key = 'kubernetes.io/hostname') => ({
    spec: {
      nodeAffinity: {
        required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator: 'In', values }] }] },
      },
    },
  });

  test('one hostname, or none', () => {
    expect(volumeNode(pinned(['n1']))).toBe('n1');
    expect(volumeNode(pinned(['n1', 'n2']))).toBeUndefined();
    expect(volumeNode(pinned(['n1'], 'zone'))).toBeUndefined();
    expect(volumeNode({})).toBeUndefined();
  });
});
