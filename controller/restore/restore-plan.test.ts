import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { ControllerRevision } from '../vm/instancetype-revision';
import {
  LAST_RESTORE_ANNOTATION,
  POPULATED_FOR_ANNOTATION,
  PRE_POPULATED_ANNOTATION,
  VM_RESTORE_FINALIZER,
} from './names';
import { planRestore, type RestoreAction, type RestoreFacts, type RestorePlan } from './restore-plan';

const NS = 'ns';
const NOW = new Date('2026-12-03T12:00:00Z');
const CREATED = '2026-12-03T11:59:00Z';

function vm(name: string, uid: string, extra: Partial<VirtualMachine['spec']> = {}): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS, uid, resourceVersion: '7', labels: { app: name } },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
          volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root-disk' } }],
        },
      },
      ...extra,
    },
  };
}

/** The VM the content holds: a claim volume and a DataVolume template volume. */
function snapshotVmSpec(): VirtualMachine['spec'] {
  return {
    runStrategy: 'Always',
    instancetype: {
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype',
      revisionName: 'src-snap1-u1.small-1',
    },
    dataVolumeTemplates: [
      {
        metadata: { name: 'data-dv' },
        spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } },
      },
    ],
    template: {
      spec: {
        domain: {
          devices: {
            disks: [
              { name: 'root', disk: { bus: 'virtio' } },
              { name: 'data', disk: { bus: 'virtio' } },
            ],
            interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:01' }],
          },
        },
        networks: [{ name: 'default', pod: {} }],
        volumes: [
          { name: 'root', persistentVolumeClaim: { claimName: 'root-disk' } },
          { name: 'data', dataVolume: { name: 'data-dv' } },
        ],
      },
    },
  } as VirtualMachine['spec'];
}

function snapshot(): VirtualMachineSnapshot {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name: 'snap1', namespace: NS, uid: 's-uid' },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' } },
    status: {
      readyToUse: true,
      phase: 'Succeeded',
      sourceUID: 'src-uid',
      virtualMachineSnapshotContentName: 'content1',
    },
  } as VirtualMachineSnapshot;
}

function content(): VirtualMachineSnapshotContent {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshotContent',
    metadata: { name: 'content1', namespace: NS },
    spec: {
      virtualMachineSnapshotName: 'snap1',
      source: {
        virtualMachine: {
          metadata: { name: 'src', namespace: NS, labels: { app: 'src' } },
          spec: snapshotVmSpec(),
        },
      },
      volumeBackups: [
        {
          volumeName: 'root',
          persistentVolumeClaim: {
            metadata: {
              name: 'root-disk',
              labels: { disk: 'root', 'persistent-state-for': 'x' },
              annotations: {
                'pv.kubernetes.io/bind-completed': 'yes',
                'cdi.kubevirt.io/storage.import.endpoint': 'u',
                team: 'a',
              },
            },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'local',
              volumeMode: 'Filesystem',
              resources: { requests: { storage: '1Gi' } },
            },
          },
          volumeSnapshotName: 'vs-root',
        },
        {
          volumeName: 'data',
          persistentVolumeClaim: {
            metadata: { name: 'data-dv' },
            spec: { storageClassName: 'local', resources: { requests: { storage: '1Gi' } } },
          },
          volumeSnapshotName: 'vs-data',
        },
      ],
    },
    status: { readyToUse: true },
  } as VirtualMachineSnapshotContent;
}

function restore(
  spec: Partial<VirtualMachineRestore['spec']> = {},
  status?: VirtualMachineRestore['status'],
): VirtualMachineRestore {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineRestore',
    metadata: {
      name: 'r1',
      namespace: NS,
      uid: 'r-uid',
      creationTimestamp: CREATED,
      finalizers: [VM_RESTORE_FINALIZER],
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          name: 'src',
          uid: 'src-uid',
          controller: true,
        },
      ],
    },
    spec: {
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' },
      virtualMachineSnapshotName: 'snap1',
      ...spec,
    },
    status: status ?? { complete: false, conditions: [] },
  };
}

const vs = (name: string, restoreSize = '2Gi'): VolumeSnapshot =>
  ({
    metadata: { name, namespace: NS },
    spec: { source: {} },
    status: { readyToUse: true, restoreSize },
  }) as VolumeSnapshot;
const claim = (name: string, phase: string, extra: Partial<NonNullable<Claim['metadata']>> = {}): Claim => ({
  metadata: { name, namespace: NS, uid: `${name}-uid`, ...extra },
  spec: { storageClassName: 'local' },
  status: { phase },
});

interface World {
  target?: VirtualMachine;
  targetHasVmi?: boolean;
  claims?: Claim[];
  dvs?: DataVolume[];
  classes?: StorageClass[];
  revisions?: ControllerRevision[];
  snapshot?: VirtualMachineSnapshot | null;
  content?: VirtualMachineSnapshotContent | null;
  volumeSnapshots?: VolumeSnapshot[];
}

function plan(r: VirtualMachineRestore, w: World = {}): RestorePlan {
  const byName =
    <T extends { metadata?: { name?: string } }>(list: T[] | undefined) =>
    (n: string) =>
      list?.find((o) => o.metadata?.name === n);
  const facts: RestoreFacts = {
    restore: r,
    ...(w.target ? { target: w.target } : {}),
    targetHasVmi: w.targetHasVmi ?? false,
    ...(w.snapshot === null ? {} : { snapshot: w.snapshot ?? snapshot() }),
    ...(w.content === null ? {} : { content: w.content ?? content() }),
    claim: byName(w.claims),
    dataVolume: byName(w.dvs),
    volumeSnapshot: byName(w.volumeSnapshots ?? [vs('vs-root'), vs('vs-data', '512Mi')]),
    storageClass: byName(
      w.classes ?? [{ metadata: { name: 'local' }, volumeBindingMode: 'WaitForFirstConsumer' }],
    ),
    revision: byName(
      w.revisions ?? [
        {
          metadata: { name: 'src-snap1-u1.small-1', labels: { kind: 'it' } },
          data: { spec: { cpu: 1 } },
          revision: 1,
        },
      ],
    ),
    now: NOW,
  };
  return planRestore(facts);
}

const kinds = (p: RestorePlan): string[] => p.actions.map((a) => a.kind);
const action = <K extends RestoreAction['kind']>(p: RestorePlan, kind: K) =>
  p.actions.filter((a): a is Extract<RestoreAction, { kind: K }> => a.kind === kind);
const cond = (p: RestorePlan, type: string) => p.status.conditions?.find((c) => c.type === type);

/** status.restores as step 7 writes it. */
const listed = (dataVolumeName?: string) => [
  { volumeName: 'root', persistentVolumeClaim: 'restore-r-uid-root', volumeSnapshotName: 'vs-root' },
  {
    volumeName: 'data',
    persistentVolumeClaim: 'restore-r-uid-data',
    volumeSnapshotName: 'vs-data',
    ...(dataVolumeName ? { dataVolumeName } : {}),
  },
];

describe('planRestore', () => {
  test('a new restore gets an initial status and nothing else', () => {
    const p = plan({ ...restore(), status: undefined });
    expect(p.actions).toEqual([]);
    expect(p.status.complete).toBe(false);
    expect(cond(p, 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'Initializing VirtualMachineRestore',
    });
    expect(cond(p, 'Ready')).toMatchObject({ status: 'False' });
  });

  test('a target that is not a VirtualMachine is an error, and nothing is done', () => {
    const p = plan(restore({ target: { apiGroup: 'apps', kind: 'Deployment', name: 'src' } }));
    expect(p.error).toMatch(/^unknown target .*spec.target must name a VirtualMachine/);
    expect(p.actions).toEqual([]);
  });

  test('the finalizer is added and the existing target becomes the owner', () => {
    const r = restore();
    r.metadata!.finalizers = [];
    delete r.metadata!.ownerReferences;
    const p = plan(r, { target: vm('src', 'src-uid') });
    expect(kinds(p).slice(0, 2)).toEqual(['setOwner', 'addFinalizer']);
    expect(action(p, 'setOwner')[0]!.owner).toMatchObject({
      kind: 'VirtualMachine',
      name: 'src',
      uid: 'src-uid',
      controller: true,
    });
  });

  describe('a target that still runs', () => {
    const running = { target: vm('src', 'src-uid'), targetHasVmi: true };
    test('WaitGracePeriod (the default) waits, says why once, and looks again when the grace period ends', () => {
      const p = plan(restore(), running);
      expect(cond(p, 'Progressing')).toMatchObject({
        status: 'False',
        reason: 'Waiting for target to be ready',
      });
      expect(p.events).toEqual([
        { type: 'Normal', reason: 'RestoreTargetNotReady', message: 'Restore target VMI still exists' },
      ]);
      expect(p.requeueAfterMs).toBe(4 * 60_000 + 1_000);
      expect(kinds(p)).not.toContain('lockTarget');
      // Said once: the next round with the condition recorded records no second event.
      expect(plan(restore({}, p.status), running).events).toEqual([]);
    });
    test('WaitGracePeriod fails the restore after 5 minutes', () => {
      const r = restore();
      r.metadata!.creationTimestamp = '2026-12-03T11:54:00Z';
      const p = plan(r, running);
      expect(cond(p, 'Failure')).toMatchObject({
        status: 'True',
        reason: 'Restore target failed to be ready within 5m0s',
      });
      expect(cond(p, 'Progressing')).toMatchObject({ status: 'False', reason: 'Operation failed' });
    });
    test('StopTarget stops it; FailImmediate fails; WaitEventually waits without a deadline', () => {
      expect(kinds(plan(restore({ targetReadinessPolicy: 'StopTarget' }), running))).toContain('stopTarget');
      expect(
        cond(plan(restore({ targetReadinessPolicy: 'FailImmediate' }), running), 'Failure'),
      ).toMatchObject({
        status: 'True',
        reason: 'Restore target not ready',
      });
      const w = plan(restore({ targetReadinessPolicy: 'WaitEventually' }), running);
      expect(w.requeueAfterMs).toBeUndefined();
      expect(cond(w, 'Failure')).toBeUndefined();
    });
  });

  test('a missing, failed or unready snapshot is an error the conditions state', () => {
    expect(plan(restore(), { snapshot: null }).error).toMatch(
      /^VMSnapshot ns\/snap1 does not exist; create it/,
    );
    const failed = snapshot();
    failed.status = { ...failed.status, phase: 'Failed' };
    expect(plan(restore(), { snapshot: failed }).error).toMatch(/failed and is invalid to use/);
    const unready = snapshot();
    unready.status = { ...unready.status, readyToUse: false };
    const p = plan(restore(), { snapshot: unready });
    expect(p.error).toMatch(/^VMSnapshot ns\/snap1 not ready/);
    expect(cond(p, 'Progressing')).toMatchObject({ status: 'False', reason: p.error });
    expect(plan(restore(), { content: null }).error).toBe('VMSnapshotContent ns/content1 does not exist');
  });

  test('an existing VM other than the snapshot source is not overwritten', () => {
    const p = plan(restore({ target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'other' } }), {
      target: vm('other', 'other-uid'),
    });
    expect(p.error).toMatch(
      /^restore source and restore target are different but restore target already exists: VirtualMachine ns\/other/,
    );
    expect(p.actions.filter((a) => a.kind !== 'setOwner')).toEqual([]);
  });

  test('the target is locked, and a target locked by another restore is an error', () => {
    expect(kinds(plan(restore(), { target: vm('src', 'src-uid') }))).toContain('lockTarget');
    const held = vm('src', 'src-uid');
    held.status = { restoreInProgress: 'r0' };
    expect(plan(restore(), { target: held }).error).toMatch(/^vm restore r0 in progress/);
  });

  test('status.restores names each restored claim first (RandomizeNames), then the claims are created', () => {
    const target = vm('src', 'src-uid');
    target.status = { restoreInProgress: 'r1' };
    const first = plan(restore(), { target });
    expect(first.status.restores).toEqual(listed());
    expect(kinds(first)).not.toContain('createClaim');

    const second = plan(restore({}, first.status), { target });
    const claims = action(second, 'createClaim').map((a) => a.claim);
    expect(claims.map((c) => c.metadata?.name)).toEqual(['restore-r-uid-root', 'restore-r-uid-data']);
    const root = claims[0]!;
    expect(root.metadata?.labels).toEqual({
      disk: 'root',
      'restore.kubevirt.io/source-vm-name': 'src',
      'restore.kubevirt.io/source-vm-namespace': NS,
    });
    expect(root.metadata?.annotations).toEqual({
      team: 'a',
      'restore.kubevirt.io/name': 'r1',
      [LAST_RESTORE_ANNOTATION]: 'r1-r-uid',
    });
    expect(root.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'VirtualMachine', name: 'src', uid: 'src-uid' }),
    ]);
    // The larger of the source request and the snapshot's restore size.
    expect(root.spec?.resources?.requests?.storage).toBe('2Gi');
    expect(claims[1]!.spec?.resources?.requests?.storage).toBe('1Gi');
    expect(root.spec?.dataSource).toEqual({
      apiGroup: 'snapshot.storage.k8s.io',
      kind: 'VolumeSnapshot',
      name: 'vs-root',
    });
    expect(root.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'local',
      volumeMode: 'Filesystem',
    });
    expect(cond(second, 'Progressing')).toMatchObject({ status: 'True', reason: 'Creating new PVCs' });
  });

  describe('a VolumeSnapshot of the content is gone: nothing is restored', () => {
    const onlyRoot = [vs('vs-root')];
    const fix =
      /^missing volumeSnapshot vs-data: VolumeSnapshot ns\/vs-data \(volume data of VirtualMachineSnapshotContent ns\/content1\) does not exist.*nothing was restored.*restore from another VirtualMachineSnapshot$/;

    test('a content that was complete: the restore says which and what to do, before locking the VM', () => {
      const created = content();
      created.status = { ...created.status, creationTime: CREATED, readyToUse: false };
      const unready = snapshot();
      unready.status = { ...unready.status, readyToUse: false };
      const p = plan(restore(), {
        target: vm('src', 'src-uid'),
        snapshot: unready,
        content: created,
        volumeSnapshots: onlyRoot,
      });
      expect(p.error).toMatch(fix);
      expect(p.actions).toEqual([]);
      expect(cond(p, 'Ready')).toMatchObject({ status: 'False', reason: p.error });
      expect(cond(p, 'Progressing')).toMatchObject({ status: 'False', reason: p.error });
      expect(p.status.complete).toBe(false);
    });

    test('gone while the content still reads ready: no claim is created, not even of the volumes that have one', () => {
      const target = vm('src', 'src-uid');
      target.status = { restoreInProgress: 'r1' };
      const p = plan(restore({}, { complete: false, conditions: [], restores: listed() }), {
        target,
        volumeSnapshots: onlyRoot,
      });
      expect(p.error).toMatch(fix);
      expect(p.actions).toEqual([]);
      // The claim of a volume already restored needs no VolumeSnapshot any more.
      const withRoot = plan(restore({}, { complete: false, conditions: [], restores: listed() }), {
        target,
        volumeSnapshots: [vs('vs-data')],
        claims: [claim('restore-r-uid-root', 'Bound')],
      });
      expect(withRoot.error).toBeUndefined();
      expect(action(withRoot, 'createClaim').map((a) => a.claim.metadata?.name)).toEqual([
        'restore-r-uid-data',
      ]);
    });
  });

  test('volumeOwnershipPolicy None, overrides and PrefixTargetName', () => {
    const target = vm('src', 'src-uid');
    target.status = { restoreInProgress: 'r1' };
    const spec = {
      volumeOwnershipPolicy: 'None' as const,
      volumeRestorePolicy: 'PrefixTargetName' as const,
      volumeRestoreOverrides: [{ volumeName: 'root', restoreName: 'my-root', labels: { tier: 'gold' } }],
    };
    const first = plan(restore(spec), { target });
    expect(first.status.restores?.map((x) => x.persistentVolumeClaim)).toEqual(['my-root', 'src-data']);
    const claims = action(plan(restore(spec, first.status), { target }), 'createClaim').map((a) => a.claim);
    expect(claims[0]!.metadata?.ownerReferences).toBeUndefined();
    expect(claims[0]!.metadata?.labels?.tier).toBe('gold');
  });

  test('a restored claim Pending on a WaitForFirstConsumer class is not waited for; on an Immediate class it is', () => {
    const target = vm('src', 'src-uid', {});
    target.status = { restoreInProgress: 'r1' };
    const r = restore({}, { complete: false, restores: listed() });
    const claims = [claim('restore-r-uid-root', 'Pending'), claim('restore-r-uid-data', 'Pending')];
    expect(kinds(plan(r, { target, claims }))).toContain('markClaimForDataVolume');
    const immediate = plan(r, {
      target,
      claims,
      classes: [{ metadata: { name: 'local' }, volumeBindingMode: 'Immediate' }],
    });
    expect(cond(immediate, 'Ready')).toMatchObject({ reason: 'Waiting for new PVCs' });
    expect(kinds(immediate)).not.toContain('writeTarget');
    expect(plan(r, { target, claims: [claim('restore-r-uid-root', 'Lost'), claims[1]!] }).error).toBe(
      'PVC ns/restore-r-uid-root in status "Lost"',
    );
  });

  test('InPlace deletes the old claim (its DataVolume marked pre-populated) before restoring in its place', () => {
    const target = vm('src', 'src-uid');
    target.status = { restoreInProgress: 'r1' };
    const r = restore({ volumeRestorePolicy: 'InPlace' });
    const first = plan(r, { target });
    expect(first.status.restores?.map((x) => x.persistentVolumeClaim)).toEqual(['root-disk', 'data-dv']);
    const old = [
      claim('root-disk', 'Bound'),
      claim('data-dv', 'Bound', {
        ownerReferences: [
          {
            apiVersion: 'cdi.kubevirt.io/v1beta1',
            kind: 'DataVolume',
            name: 'data-dv',
            uid: 'dv',
            controller: true,
          },
        ],
      }),
    ];
    const p = plan(restore({ volumeRestorePolicy: 'InPlace' }, first.status), { target, claims: old });
    expect(p.actions.filter((a) => a.kind !== 'lockTarget')).toEqual([
      { kind: 'deleteClaim', name: 'root-disk', uid: 'root-disk-uid' },
      { kind: 'prepopulateDataVolume', name: 'data-dv' },
      { kind: 'deleteClaim', name: 'data-dv', uid: 'data-dv-uid' },
    ]);
    expect(p.status.restores?.[1]?.dataVolumeName).toBe('data-dv');
    // The claim made in its place carries this restore's mark and is not deleted again.
    const mine = claim('root-disk', 'Bound', { annotations: { [LAST_RESTORE_ANNOTATION]: 'r1-r-uid' } });
    expect(
      kinds(plan(restore({ volumeRestorePolicy: 'InPlace' }, first.status), { target, claims: [mine] })),
    ).not.toContain('deleteClaim');
  });

  describe('the target VM', () => {
    const bound = [claim('restore-r-uid-root', 'Bound'), claim('restore-r-uid-data', 'Bound')];

    test('a template DataVolume gets its restored claim, named in status first, then created pre-populated', () => {
      const target = vm('src', 'src-uid');
      target.status = { restoreInProgress: 'r1' };
      const p = plan(restore({}, { complete: false, restores: listed() }), { target, claims: bound });
      expect(action(p, 'markClaimForDataVolume')).toEqual([
        { kind: 'markClaimForDataVolume', claim: 'restore-r-uid-data', dataVolume: 'restore-r-uid-data' },
      ]);
      expect(p.status.restores).toEqual(listed('restore-r-uid-data'));

      const marked = [
        bound[0]!,
        claim('restore-r-uid-data', 'Bound', {
          annotations: { [POPULATED_FOR_ANNOTATION]: 'restore-r-uid-data' },
        }),
      ];
      const next = plan(restore({}, p.status), { target, claims: marked });
      const dv = action(next, 'createDataVolume')[0]!.dataVolume;
      expect(dv.metadata).toMatchObject({
        name: 'restore-r-uid-data',
        annotations: { 'restore.kubevirt.io/name': 'r1', [PRE_POPULATED_ANNOTATION]: 'true' },
      });
      expect(kinds(next)).not.toContain('writeTarget');
      // The old template's DataVolume is listed for deletion before the VM is written.
      expect(next.status.deletedDataVolumes).toEqual(undefined);
    });

    function ready(target: VirtualMachine | undefined, spec: Partial<VirtualMachineRestore['spec']> = {}) {
      const dvs = [
        { metadata: { name: 'restore-r-uid-data' }, status: { phase: 'Succeeded' } } as DataVolume,
      ];
      const claims = [
        bound[0]!,
        claim('restore-r-uid-data', 'Bound', {
          annotations: { [POPULATED_FOR_ANNOTATION]: 'restore-r-uid-data' },
        }),
      ];
      return plan(restore(spec, { complete: false, restores: listed('restore-r-uid-data') }), {
        target,
        claims,
        dvs,
      });
    }

    test('a VM restored onto itself takes the snapshot spec with its own run strategy and the restored volumes', () => {
      const target = vm('src', 'src-uid', {
        dataVolumeTemplates: [{ metadata: { name: 'old-dv' }, spec: { source: { blank: {} } } }],
      } as Partial<VirtualMachine['spec']>);
      target.status = { restoreInProgress: 'r1' };
      const listing = ready(target);
      expect(listing.status.deletedDataVolumes).toEqual(['old-dv']);
      const p = plan(restore({}, listing.status), {
        target,
        claims: [
          bound[0]!,
          claim('restore-r-uid-data', 'Bound', {
            annotations: { [POPULATED_FOR_ANNOTATION]: 'restore-r-uid-data' },
          }),
        ],
        dvs: [{ metadata: { name: 'restore-r-uid-data' }, status: { phase: 'Succeeded' } } as DataVolume],
      });
      const write = action(p, 'writeTarget')[0]!;
      expect(write.create).toBe(false);
      expect(write.vm.metadata).toMatchObject({ name: 'src', uid: 'src-uid', resourceVersion: '7' });
      expect(write.vm.metadata?.annotations?.[LAST_RESTORE_ANNOTATION]).toBe('r1-r-uid');
      expect(write.vm.spec.runStrategy).toBe('Halted');
      expect(write.vm.spec.template.spec?.volumes).toEqual([
        { name: 'root', persistentVolumeClaim: { claimName: 'restore-r-uid-root' } },
        { name: 'data', dataVolume: { name: 'restore-r-uid-data' } },
      ]);
      expect(write.vm.spec.dataVolumeTemplates?.map((t) => t.metadata?.name)).toEqual(['restore-r-uid-data']);
      // The instancetype revision comes back under the VM's name, owned by it.
      expect(write.vm.spec.instancetype?.revisionName).toBe('src-src-u1.small-1');
      expect(action(p, 'createRevision')[0]!.revision.metadata).toMatchObject({
        name: 'src-src-u1.small-1',
        ownerReferences: [expect.objectContaining({ uid: 'src-uid' })],
      });
      // No firmware UUID or MAC is written: virtkit derives them from the VM's name.
      expect(write.vm.spec.template.spec?.domain?.firmware).toBeUndefined();
    });

    test('a new VM is created stopped, with the snapshot VM labels and the restore patches', () => {
      const spec = {
        target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'copy' },
        patches: [
          '{"op": "replace", "path": "/spec/template/spec/domain/devices/interfaces/0/macAddress", "value": "02:00:00:00:00:02"}',
          '{"op": "add", "path": "/metadata/labels/restored", "value": "yes"}',
        ],
      };
      const p = ready(undefined, spec);
      const write = action(p, 'writeTarget')[0]!;
      expect(write.create).toBe(true);
      expect(write.vm.metadata).toMatchObject({
        name: 'copy',
        namespace: NS,
        labels: { app: 'src', restored: 'yes' },
      });
      expect(write.vm.spec.runStrategy).toBe('Halted');
      expect(write.vm.spec.template.spec?.domain?.devices?.interfaces?.[0]?.macAddress).toBe(
        '02:00:00:00:00:02',
      );
      expect(write.vm.spec.instancetype?.revisionName).toBe('src-copy-u1.small-1');
      expect(kinds(p)).not.toContain('lockTarget');
      const bad = ready(undefined, {
        ...spec,
        patches: ['{"op": "replace", "path": "/spec/nothing/here", "value": 1}'],
      });
      expect(bad.error).toMatch(/^error patching VM copy: spec.patches could not be applied/);
      const renamed = ready(undefined, {
        ...spec,
        patches: ['{"op": "replace", "path": "/metadata/name", "value": "x"}'],
      });
      expect(renamed.error).toMatch(/change the target VM's name/);
    });

    test('once written, the revisions go to the VM, replaced DataVolumes are deleted, the VM is unlocked, and the restore is complete', () => {
      const target = vm('src', 'src-uid', {
        instancetype: { name: 'u1.small', revisionName: 'src-src-u1.small-1' },
      } as Partial<VirtualMachine['spec']>);
      target.metadata!.annotations = { [LAST_RESTORE_ANNOTATION]: 'r1-r-uid' };
      target.status = { restoreInProgress: 'r1' };
      const r = restore(
        {},
        { complete: false, restores: listed('restore-r-uid-data'), deletedDataVolumes: ['old-dv'] },
      );
      const p = plan(r, {
        target,
        claims: bound,
        dvs: [{ metadata: { name: 'old-dv' } } as DataVolume],
        revisions: [{ metadata: { name: 'src-src-u1.small-1' }, data: {} }],
      });
      expect(kinds(p)).toEqual(['ownRevision', 'deleteDataVolume', 'unlockTarget']);
      expect(p.status).toMatchObject({ complete: true, restoreTime: '2026-12-03T12:00:00Z' });
      expect(cond(p, 'Ready')).toMatchObject({ status: 'True', reason: 'Operation complete' });
      expect(p.events).toEqual([
        {
          type: 'Normal',
          reason: 'VirtualMachineRestoreComplete',
          message: 'Successfully completed VirtualMachineRestore r1',
        },
      ]);
      // A complete restore does nothing more.
      expect(plan({ ...r, status: p.status }, { target }).actions).toEqual([]);
    });
  });

  test('a deleted restore unlocks its target and lets go of its finalizer', () => {
    const target = vm('src', 'src-uid');
    target.status = { restoreInProgress: 'r1' };
    const r = restore();
    r.metadata!.deletionTimestamp = CREATED;
    const p = plan(r, { target });
    expect(kinds(p)).toEqual(['unlockTarget']);
    expect(p.removeFinalizer).toBe(true);
    expect(cond(p, 'Progressing')).toMatchObject({ reason: 'VM restore is deleting' });
  });

  test('a deleted unfinished restore deletes the claims and DataVolumes it made that its target does not use', () => {
    const target = vm('src', 'src-uid');
    target.status = { restoreInProgress: 'r1' };
    const mine = { annotations: { [LAST_RESTORE_ANNOTATION]: 'r1-r-uid', 'restore.kubevirt.io/name': 'r1' } };
    const r = restore({}, { complete: false, conditions: [], restores: listed('restore-r-uid-data') });
    r.metadata!.deletionTimestamp = CREATED;
    const dv = {
      metadata: { name: 'restore-r-uid-data', namespace: NS, uid: 'dv-uid', annotations: mine.annotations },
    } as unknown as DataVolume;
    const p = plan(r, {
      target,
      claims: [claim('restore-r-uid-root', 'Bound', mine), claim('restore-r-uid-data', 'Bound', mine)],
      dvs: [dv],
    });
    expect(p.actions).toEqual([
      { kind: 'unlockTarget' },
      {
        kind: 'deleteUnusedRestored',
        what: 'PersistentVolumeClaim',
        name: 'restore-r-uid-root',
        uid: 'restore-r-uid-root-uid',
      },
      {
        kind: 'deleteUnusedRestored',
        what: 'PersistentVolumeClaim',
        name: 'restore-r-uid-data',
        uid: 'restore-r-uid-data-uid',
      },
      { kind: 'deleteUnusedRestored', what: 'DataVolume', name: 'restore-r-uid-data', uid: 'dv-uid' },
    ]);
    expect(p.removeFinalizer).toBe(true);
    // Not a claim of another restore, nor one the target names, nor anything once the target is written.
    const other = { annotations: { [LAST_RESTORE_ANNOTATION]: 'r0-r0-uid' } };
    const named = vm('src', 'src-uid');
    named.status = { restoreInProgress: 'r1' };
    named.spec.template.spec!.volumes = [
      { name: 'root', persistentVolumeClaim: { claimName: 'restore-r-uid-root' } },
    ];
    expect(
      kinds(
        plan(r, {
          target: named,
          claims: [claim('restore-r-uid-root', 'Bound', mine), claim('restore-r-uid-data', 'Bound', other)],
        }),
      ),
    ).toEqual(['unlockTarget']);
    const written = vm('src', 'src-uid');
    written.metadata!.annotations = { [LAST_RESTORE_ANNOTATION]: 'r1-r-uid' };
    expect(
      kinds(plan(r, { target: written, claims: [claim('restore-r-uid-root', 'Bound', mine)], dvs: [dv] })),
    ).toEqual([]);
  });
});
