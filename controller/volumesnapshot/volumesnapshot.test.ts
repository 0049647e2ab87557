import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import type { Claim, StorageClass } from '../datavolume/objects';
import { claimProtectionNeeded } from './claim-protection';
import { planContent } from './content-plan';
import { snapshotOwnership } from './ownership';
import { planSnapshot, type SnapshotFacts, type SnapshotPlan } from './snapshot-plan';
import { snapshotStatus, timeFromNanoseconds } from './status';

const LOCAL = 'virtkit.io/local-volume';
const NOW = new Date('2024-05-01T10:00:00.000Z');
const UID = 'a1b2';

function snapClass(
  name: string,
  driver = LOCAL,
  opts: { isDefault?: boolean; policy?: 'Delete' | 'Retain' } = {},
) {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: {
      name,
      ...(opts.isDefault
        ? { annotations: { 'snapshot.storage.kubernetes.io/is-default-class': 'true' } }
        : {}),
    },
    driver,
    deletionPolicy: opts.policy ?? 'Delete',
  } as VolumeSnapshotClass;
}

function snap(
  source: VolumeSnapshot['spec']['source'],
  className?: string,
  extra: Partial<VolumeSnapshot> = {},
): VolumeSnapshot {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name: 's', namespace: 'ns', uid: UID, resourceVersion: '7' },
    spec: { source, ...(className ? { volumeSnapshotClassName: className } : {}) },
    ...extra,
  };
}

function claim(
  opts: { phase?: string; provisioner?: string; mode?: string; finalizers?: string[] } = {},
): Claim {
  return {
    metadata: {
      name: 'data',
      namespace: 'ns',
      uid: 'c1',
      resourceVersion: '3',
      annotations:
        opts.provisioner === undefined
          ? {}
          : { 'volume.kubernetes.io/storage-provisioner': opts.provisioner },
      ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
    },
    spec: {
      storageClassName: 'local',
      volumeName: opts.phase === 'Bound' ? 'pvc-c1' : undefined,
      ...(opts.mode ? { volumeMode: opts.mode } : {}),
    },
    status: { phase: opts.phase ?? 'Bound' },
  };
}

const boundLocalClaim = (): Claim => claim({ phase: 'Bound', provisioner: LOCAL });

function content(
  name: string,
  extra: Partial<VolumeSnapshotContent['spec']> = {},
  meta: object = {},
  status?: VolumeSnapshotContent['status'],
): VolumeSnapshotContent {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '11', ...meta },
    spec: {
      volumeSnapshotRef: { name: 's', namespace: 'ns', uid: UID },
      deletionPolicy: 'Delete',
      driver: LOCAL,
      source: { volumeHandle: 'pvc-c1' },
      ...extra,
    },
    ...(status ? { status } : {}),
  };
}

function plan(
  s: VolumeSnapshot,
  f: Partial<SnapshotFacts> & { contents?: VolumeSnapshotContent[] } = {},
): SnapshotPlan {
  const contents = f.contents ?? [];
  return planSnapshot({
    snapshot: s,
    classes: f.classes ?? [snapClass('local-snapshots', LOCAL, { isDefault: true })],
    ...(f.claim ? { claim: f.claim } : {}),
    ...(f.claimClass ? { claimClass: f.claimClass } : {}),
    content: (n) => contents.find((c) => c.metadata?.name === n),
    now: NOW,
  });
}

const sync = (p: SnapshotPlan) => {
  if (p.kind !== 'sync') throw new Error(`expected sync, got ${p.kind}`);
  return p;
};

describe('which snapshots are ours', () => {
  const other = snapClass('csi', 'csi.example.com');
  const facts = (c?: Claim, classes = [snapClass('local-snapshots', LOCAL, { isDefault: true }), other]) => ({
    classes,
    ...(c ? { claim: c } : {}),
  });

  it('a named class of the local driver, or the default class of a local claim', () => {
    expect(
      snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots'), facts()),
    ).toMatchObject({
      ours: true,
      snapshotClass: { metadata: { name: 'local-snapshots' } },
    });
    expect(
      snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }), facts(boundLocalClaim())),
    ).toMatchObject({
      ours: true,
      snapshotClass: { metadata: { name: 'local-snapshots' } },
    });
  });

  it("leaves another driver's snapshot alone: its class, or a claim of its driver", () => {
    expect(snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }, 'csi'), facts())).toEqual({
      ours: false,
    });
    expect(
      snapshotOwnership(
        snap({ persistentVolumeClaimName: 'data' }),
        facts(claim({ provisioner: 'csi.example.com' })),
      ),
    ).toEqual({ ours: false });
    // A missing class and a claim nobody knows: not ours to judge.
    expect(snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }, 'nope'), facts())).toEqual({
      ours: false,
    });
    // Without a default local class, a snapshot that names nothing is not ours.
    expect(snapshotOwnership(snap({ persistentVolumeClaimName: 'x' }), facts(undefined, [other]))).toEqual({
      ours: false,
    });
  });

  it('reports a class of another driver named for a local claim', () => {
    const o = snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }, 'csi'), facts(boundLocalClaim()));
    expect(o).toEqual({
      ours: true,
      problem:
        'VolumeSnapshot ns/s: spec.volumeSnapshotClassName "csi" is a class of driver "csi.example.com", but PersistentVolumeClaim ns/data is a virtkit.io/local-volume volume, which only that driver can snapshot; name a VolumeSnapshotClass of driver virtkit.io/local-volume (such as local-snapshots) or leave spec.volumeSnapshotClassName out',
    });
  });

  it('reports a missing class, no default and several defaults', () => {
    expect(
      snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }, 'gone'), facts(boundLocalClaim())),
    ).toMatchObject({
      ours: true,
      problem: expect.stringMatching(
        /spec\.volumeSnapshotClassName "gone" names no VolumeSnapshotClass; create it/,
      ),
    });
    expect(
      snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }), facts(boundLocalClaim(), [other])),
    ).toMatchObject({
      ours: true,
      problem: expect.stringMatching(
        /no VolumeSnapshotClass of driver virtkit\.io\/local-volume is marked default/,
      ),
    });
    const two = [snapClass('b', LOCAL, { isDefault: true }), snapClass('a', LOCAL, { isDefault: true })];
    expect(
      snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }), facts(boundLocalClaim(), two)),
    ).toMatchObject({
      problem: expect.stringContaining(
        '2 VolumeSnapshotClasses of driver virtkit.io/local-volume are marked default (a, b)',
      ),
    });
  });

  it('takes the driver from the StorageClass when the claim is not annotated yet', () => {
    const sc: StorageClass = { metadata: { name: 'local' }, provisioner: LOCAL };
    expect(
      snapshotOwnership(snap({ persistentVolumeClaimName: 'data' }), {
        ...facts(claim({ phase: 'Pending' })),
        claimClass: sc,
      }),
    ).toMatchObject({ ours: true });
  });
});

describe('a dynamic snapshot', () => {
  it('of a Bound local claim: finalizer, claim protection, the content, status bound', () => {
    const p = sync(
      plan(snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots'), { claim: boundLocalClaim() }),
    );
    expect(p.addFinalizer).toBe(true);
    expect(p.protectClaim).toEqual({ namespace: 'ns', name: 'data' });
    expect(p.createContent).toEqual({
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotContent',
      metadata: {
        name: `snapcontent-${UID}`,
        finalizers: ['snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection'],
      },
      spec: {
        volumeSnapshotRef: {
          apiVersion: 'snapshot.storage.k8s.io/v1',
          kind: 'VolumeSnapshot',
          name: 's',
          namespace: 'ns',
          uid: UID,
          resourceVersion: '7',
        },
        deletionPolicy: 'Delete',
        driver: LOCAL,
        source: { volumeHandle: 'pvc-c1' },
        volumeSnapshotClassName: 'local-snapshots',
        sourceVolumeMode: 'Filesystem',
      },
    });
    expect(p.status).toEqual({ boundVolumeSnapshotContentName: `snapcontent-${UID}`, readyToUse: false });
    expect(p.events.map((e) => e.reason)).toEqual(['CreatingSnapshot']);
  });

  it('a Retain class makes a content without the finalizer, and a Block claim says Block', () => {
    const p = sync(
      plan(snap({ persistentVolumeClaimName: 'data' }, 'keep'), {
        classes: [snapClass('keep', LOCAL, { policy: 'Retain' })],
        claim: claim({ phase: 'Bound', provisioner: LOCAL, mode: 'Block' }),
      }),
    );
    expect(p.createContent?.metadata).toEqual({ name: `snapcontent-${UID}` });
    expect(p.createContent?.spec).toMatchObject({ deletionPolicy: 'Retain', sourceVolumeMode: 'Block' });
  });

  it('of a missing claim: status.error naming it, a Warning once, no content', () => {
    const p = sync(plan(snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots')));
    const message =
      'VolumeSnapshot ns/s: spec.source.persistentVolumeClaimName "data" names no PersistentVolumeClaim in namespace ns; create the claim or fix the name (the snapshot is taken once the claim exists and is Bound)';
    expect(p).toEqual({
      kind: 'sync',
      addFinalizer: false,
      status: { readyToUse: false, error: { message, time: '2024-05-01T10:00:00Z' } },
      events: [{ type: 'Warning', reason: 'SnapshotCreationFailed', message }],
    });
    // The same error again: same time, no second Event.
    const again = sync(
      plan(snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots', { status: p.status }), {}),
    );
    expect(again.status.error?.time).toBe('2024-05-01T10:00:00Z');
    expect(again.events).toEqual([]);
  });

  it('of a Pending claim or one being deleted: waits with the reason', () => {
    expect(
      sync(
        plan(snap({ persistentVolumeClaimName: 'data' }), {
          claim: claim({ phase: 'Pending', provisioner: LOCAL }),
        }),
      ).status.error?.message,
    ).toBe(
      'VolumeSnapshot ns/s: PersistentVolumeClaim ns/data is Pending, not Bound; the snapshot is taken once the claim is bound to a volume (a WaitForFirstConsumer claim is bound when a pod first uses it)',
    );
    const deleting = {
      ...boundLocalClaim(),
      metadata: { ...boundLocalClaim().metadata, deletionTimestamp: 'x' },
    };
    expect(
      sync(plan(snap({ persistentVolumeClaimName: 'data' }), { claim: deleting })).status.error?.message,
    ).toMatch(/is being deleted; a snapshot cannot be taken of it/);
  });

  it('bound to its content: status from the content, ready once the node says so', () => {
    const c = content(
      `snapcontent-${UID}`,
      {},
      {},
      {
        readyToUse: true,
        creationTime: 1714557604500000000,
        restoreSize: 64 * 2 ** 20,
        snapshotHandle: 'node-a/x',
      },
    );
    const s = snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots', {
      metadata: {
        name: 's',
        namespace: 'ns',
        uid: UID,
        finalizers: ['snapshot.storage.kubernetes.io/volumesnapshot-bound-protection'],
      },
      status: { boundVolumeSnapshotContentName: `snapcontent-${UID}`, readyToUse: false },
    });
    const p = sync(plan(s, { claim: boundLocalClaim(), contents: [c] }));
    expect(p.createContent).toBeUndefined();
    expect(p.addFinalizer).toBe(false);
    expect(p.status).toEqual({
      boundVolumeSnapshotContentName: `snapcontent-${UID}`,
      readyToUse: true,
      creationTime: '2024-05-01T10:00:04Z',
      restoreSize: '64Mi',
    });
    expect(p.events).toEqual([
      { type: 'Normal', reason: 'SnapshotReady', message: 'VolumeSnapshot ns/s is ready to use' },
    ]);
  });

  it('whose content is gone says its data is gone', () => {
    const s = snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots', {
      status: { boundVolumeSnapshotContentName: 'snapcontent-a1b2', readyToUse: true },
    });
    expect(sync(plan(s, { claim: boundLocalClaim() })).status).toMatchObject({
      boundVolumeSnapshotContentName: 'snapcontent-a1b2',
      readyToUse: false,
      error: {
        message: expect.stringMatching(
          /names a VolumeSnapshotContent that no longer exists, so the snapshot's data is gone; delete this VolumeSnapshot/,
        ),
      },
    });
  });

  it("of another driver's class is ignored: no write at all", () => {
    expect(
      plan(snap({ persistentVolumeClaimName: 'data' }, 'csi'), {
        classes: [snapClass('csi', 'csi.example.com')],
      }),
    ).toEqual({ kind: 'ignore' });
  });
});

describe('a pre-provisioned snapshot', () => {
  const pre = (meta: object = {}) =>
    content(
      'imported',
      {
        source: { snapshotHandle: 'node-a/snapcontent-old' },
        volumeSnapshotRef: { name: 's', namespace: 'ns' },
      },
      meta,
    );

  it('binds the content to itself by UID, guarded by the reference', () => {
    const p = sync(plan(snap({ volumeSnapshotContentName: 'imported' }), { contents: [pre()] }));
    expect(p.bindContent).toEqual({
      name: 'imported',
      patch: [
        { op: 'test', path: '/spec/volumeSnapshotRef', value: { name: 's', namespace: 'ns' } },
        { op: 'replace', path: '/spec/volumeSnapshotRef', value: { name: 's', namespace: 'ns', uid: UID } },
      ],
    });
    expect(p.addFinalizer).toBe(true);
    expect(p.status).toEqual({ boundVolumeSnapshotContentName: 'imported', readyToUse: false });
  });

  it('refuses a content bound to another snapshot, or to an earlier one of its name', () => {
    const elsewhere = content('imported', {
      source: { snapshotHandle: 'n/d' },
      volumeSnapshotRef: { name: 'other', namespace: 'ns' },
    });
    expect(
      sync(plan(snap({ volumeSnapshotContentName: 'imported' }), { contents: [elsewhere] })).status.error
        ?.message,
    ).toBe(
      'VolumeSnapshot ns/s: VolumeSnapshotContent imported (spec.source.volumeSnapshotContentName) is bound to VolumeSnapshot ns/other (its spec.volumeSnapshotRef), not to this one; set its spec.volumeSnapshotRef to ns/s or use another content',
    );
    const earlier = content('imported', {
      source: { snapshotHandle: 'n/d' },
      volumeSnapshotRef: { name: 's', namespace: 'ns', uid: 'old' },
    });
    expect(
      sync(plan(snap({ volumeSnapshotContentName: 'imported' }), { contents: [earlier] })).status.error
        ?.message,
    ).toMatch(
      /belongs to an earlier VolumeSnapshot of this name \(its spec\.volumeSnapshotRef\.uid is old\)/,
    );
  });

  it('refuses a snapshotHandle that is no <node>/<directory>', () => {
    const bad = content('imported', {
      source: { snapshotHandle: '../etc' },
      volumeSnapshotRef: { name: 's', namespace: 'ns' },
    });
    expect(
      sync(plan(snap({ volumeSnapshotContentName: 'imported' }), { contents: [bad] })).status.error?.message,
    ).toMatch(/spec\.source\.snapshotHandle "\.\.\/etc" has a node part that is not a DNS subdomain/);
  });

  it('of a missing content reports it when the local driver has a default class', () => {
    expect(sync(plan(snap({ volumeSnapshotContentName: 'nope' }))).status.error?.message).toMatch(
      /^VolumeSnapshot ns\/s: spec\.source\.volumeSnapshotContentName "nope" names no VolumeSnapshotContent; create it/,
    );
    expect(plan(snap({ volumeSnapshotContentName: 'nope' }), { classes: [] })).toEqual({ kind: 'ignore' });
  });
});

describe('deleting a snapshot', () => {
  const deleting = (finalizers = ['snapshot.storage.kubernetes.io/volumesnapshot-bound-protection']) =>
    snap({ persistentVolumeClaimName: 'data' }, 'local-snapshots', {
      metadata: {
        name: 's',
        namespace: 'ns',
        uid: UID,
        deletionTimestamp: '2024-05-01T11:00:00Z',
        finalizers,
      },
      status: { boundVolumeSnapshotContentName: `snapcontent-${UID}` },
    });

  it('deletes a Delete content (UID precondition) and lets go', () => {
    expect(plan(deleting(), { contents: [content(`snapcontent-${UID}`)] })).toEqual({
      kind: 'delete',
      deleteContent: { name: `snapcontent-${UID}`, uid: `uid-snapcontent-${UID}` },
      removeFinalizer: true,
    });
  });

  it('keeps a Retain content, and does not delete twice', () => {
    expect(
      plan(deleting(), { contents: [content(`snapcontent-${UID}`, { deletionPolicy: 'Retain' })] }),
    ).toEqual({
      kind: 'delete',
      removeFinalizer: true,
    });
    expect(
      plan(deleting(), { contents: [content(`snapcontent-${UID}`, {}, { deletionTimestamp: 'x' })] }),
    ).toEqual({ kind: 'delete', removeFinalizer: true });
  });

  it('lets go when the bound content is gone; ignores what has no finalizer of ours', () => {
    expect(plan(deleting(), { classes: [] })).toEqual({ kind: 'delete', removeFinalizer: true });
    expect(plan(deleting([]), {})).toEqual({ kind: 'ignore' });
    const foreign = content(`snapcontent-${UID}`, { driver: 'csi.example.com' });
    expect(plan(deleting(), { classes: [], contents: [foreign] })).toEqual({ kind: 'ignore' });
  });
});

describe('a content on its own', () => {
  const snapshotFor = (uid: string): VolumeSnapshot =>
    snap({ persistentVolumeClaimName: 'data' }, undefined, { metadata: { name: 's', namespace: 'ns', uid } });

  it('is deleted when its bound snapshot is gone and its policy is Delete', () => {
    expect(planContent(content('c'), undefined)).toEqual({
      kind: 'delete',
      uid: 'uid-c',
      snapshot: { namespace: 'ns', name: 's', uid: UID },
    });
    expect(planContent(content('c'), snapshotFor('newer'))).toMatchObject({ kind: 'delete' });
    expect(planContent(content('c', { deletionPolicy: 'Retain' }), undefined)).toEqual({ kind: 'none' });
    expect(planContent(content('c', { driver: 'csi.example.com' }), undefined)).toEqual({ kind: 'none' });
  });

  it('gets the finalizer once bound with policy Delete', () => {
    expect(planContent(content('c'), snapshotFor(UID))).toEqual({
      kind: 'protect',
      patch: [
        { op: 'test', path: '/metadata/resourceVersion', value: '11' },
        {
          op: 'add',
          path: '/metadata/finalizers',
          value: ['snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection'],
        },
      ],
    });
  });

  it('deleted before any node claimed it: released by the controller; a claimed one is the node\u2019s', () => {
    const fin = ['snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection'];
    expect(planContent(content('c', {}, { deletionTimestamp: 'x', finalizers: fin }), undefined)).toEqual({
      kind: 'release',
      patch: [
        { op: 'test', path: '/metadata/resourceVersion', value: '11' },
        { op: 'replace', path: '/metadata/finalizers', value: [] },
      ],
    });
    expect(
      planContent(
        content(
          'c',
          {},
          { deletionTimestamp: 'x', finalizers: fin, annotations: { 'virtkit.io/snapshot-node': 'n' } },
        ),
        undefined,
      ),
    ).toEqual({ kind: 'none' });
  });
});

describe('claim protection', () => {
  const ours = () => true;
  const of = (status?: VolumeSnapshot['status'], meta: object = {}) =>
    snap({ persistentVolumeClaimName: 'data' }, undefined, {
      status,
      metadata: { name: 's', namespace: 'ns', uid: UID, ...meta },
    });

  it('is needed while a snapshot of ours is not ready, and not after', () => {
    expect(claimProtectionNeeded(boundLocalClaim(), [of({ readyToUse: false })], ours)).toBe(true);
    expect(claimProtectionNeeded(boundLocalClaim(), [of({ readyToUse: true })], ours)).toBe(false);
    expect(claimProtectionNeeded(boundLocalClaim(), [of(undefined, { deletionTimestamp: 'x' })], ours)).toBe(
      false,
    );
    expect(claimProtectionNeeded(boundLocalClaim(), [of()], () => false)).toBe(false);
    expect(
      claimProtectionNeeded(boundLocalClaim(), [snap({ persistentVolumeClaimName: 'other' })], ours),
    ).toBe(false);
  });
});

describe('status', () => {
  it('turns nanoseconds into an RFC 3339 time to the second and bytes into a quantity', () => {
    expect(timeFromNanoseconds(1714557604500000000)).toBe('2024-05-01T10:00:04Z');
    expect(
      snapshotStatus(
        undefined,
        { contentName: 'c', content: content('c', {}, {}, { readyToUse: true, restoreSize: 1000 }) },
        NOW,
      ),
    ).toEqual({ boundVolumeSnapshotContentName: 'c', readyToUse: true, restoreSize: '1000' });
  });

  it("copies the driver's error from the content", () => {
    const c = content(
      'c',
      {},
      {},
      { readyToUse: false, error: { message: 'copy failed', time: '2024-05-01T09:00:00Z' } },
    );
    expect(snapshotStatus(undefined, { contentName: 'c', content: c }, NOW)).toEqual({
      boundVolumeSnapshotContentName: 'c',
      readyToUse: false,
      error: { message: 'copy failed', time: '2024-05-01T09:00:00Z' },
    });
  });
});
