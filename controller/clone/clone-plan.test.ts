import type { VirtualMachineClone, VirtualMachineCloneSpec } from '../../api/clone/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '../../api/snapshot/v1beta1';
import type { Claim } from '../datavolume/objects';
import { planClone, type CloneFacts, type ClonePlan } from './clone-plan';
import { generatedTargetName } from './names';

const NS = 'ns';
const NOW = new Date('2026-12-03T12:00:00Z');
const UID = 'c-uid';
const SNAP = `tmp-snapshot-${UID}`;
const RESTORE = `tmp-restore-${UID}`;
const OWNER = {
  apiVersion: 'clone.kubevirt.io/v1beta1',
  kind: 'VirtualMachineClone',
  name: 'cl',
  uid: UID,
  controller: true,
  blockOwnerDeletion: true,
};

function clone(
  status?: VirtualMachineClone['status'],
  extra: Partial<VirtualMachineCloneSpec> = {},
): VirtualMachineClone {
  return {
    apiVersion: 'clone.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClone',
    metadata: { name: 'cl', namespace: NS, uid: UID },
    spec: {
      source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' },
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'copy' },
      ...extra,
    },
    ...(status ? { status } : {}),
  };
}

function vmSpec(): VirtualMachine['spec'] {
  return {
    runStrategy: 'Halted',
    template: {
      spec: {
        domain: {
          devices: {
            disks: [{ name: 'root', disk: { bus: 'virtio' } }],
            interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:01' }],
          },
        },
        networks: [{ name: 'default', pod: {} }],
        volumes: [
          { name: 'root', persistentVolumeClaim: { claimName: 'root-disk' } },
          { name: 'boot', containerDisk: { image: 'x' } },
        ],
      },
    },
  } as VirtualMachine['spec'];
}

function vm(name: string, snapshotable = true): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS, uid: `${name}-uid`, labels: { app: name } },
    spec: vmSpec(),
    status: {
      volumeSnapshotStatuses: [
        {
          name: 'root',
          enabled: snapshotable,
          ...(snapshotable ? {} : { reason: 'No VolumeSnapshotClass' }),
        },
        { name: 'boot', enabled: false },
      ],
    },
  } as VirtualMachine;
}

function snapshot(name = SNAP, ready = true): VirtualMachineSnapshot {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name, namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' } },
    status: {
      readyToUse: ready,
      phase: ready ? 'Succeeded' : 'InProgress',
      virtualMachineSnapshotContentName: 'content1',
      ...(ready
        ? {}
        : { conditions: [{ type: 'Progressing', status: 'False', reason: 'Source not locked' }] }),
    },
  } as VirtualMachineSnapshot;
}

function content(backups = ['root'], snapshotName = SNAP): VirtualMachineSnapshotContent {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshotContent',
    metadata: { name: 'content1', namespace: NS },
    spec: {
      virtualMachineSnapshotName: snapshotName,
      source: {
        virtualMachine: {
          metadata: { name: 'src', namespace: NS, labels: { app: 'src', 'example.com/team': 'a' } },
          spec: vmSpec(),
        },
      },
      volumeBackups: backups.map((v) => ({
        volumeName: v,
        persistentVolumeClaim: { metadata: { name: `${v}-disk` }, spec: {} },
        volumeSnapshotName: `vs-${v}`,
      })),
    },
    status: { readyToUse: true },
  } as VirtualMachineSnapshotContent;
}

function restore(
  extra: Partial<VirtualMachineRestore['status']> = {},
  target = 'copy',
): VirtualMachineRestore {
  return {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineRestore',
    metadata: { name: RESTORE, namespace: NS },
    spec: {
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: target },
      virtualMachineSnapshotName: SNAP,
    },
    status: {
      complete: false,
      restores: [
        { volumeName: 'root', persistentVolumeClaim: `restore-r-root`, volumeSnapshotName: 'vs-root' },
      ],
      ...extra,
    },
  };
}

const claim = (phase: string): Claim =>
  ({ metadata: { name: 'restore-r-root', namespace: NS }, status: { phase } }) as Claim;

function plan(
  c: VirtualMachineClone,
  objects: {
    vms?: VirtualMachine[];
    snapshots?: VirtualMachineSnapshot[];
    contents?: VirtualMachineSnapshotContent[];
    restores?: VirtualMachineRestore[];
    claims?: Claim[];
  } = {},
): ClonePlan {
  const by =
    <T extends { metadata?: { name?: string } }>(list: T[] | undefined) =>
    (n: string) =>
      list?.find((o) => o.metadata?.name === n);
  const facts: CloneFacts = {
    clone: c,
    vm: by(objects.vms),
    snapshot: by(objects.snapshots),
    content: by(objects.contents),
    restore: by(objects.restores),
    claim: by(objects.claims),
    now: NOW,
  };
  return planClone(facts);
}

const cond = (p: ClonePlan, type: string) => p.status.conditions?.find((c) => c.type === type);
const conds = (p: ClonePlan) =>
  (p.status.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason ?? ''}`);
const reasons = (p: ClonePlan) => p.events.map((e) => `${e.type}/${e.reason}`);

describe('a new clone of a VM', () => {
  test('takes the snapshot, owned by the clone: SnapshotInProgress', () => {
    const p = plan(clone(), { vms: [vm('src')] });
    expect(p.actions).toEqual([
      {
        kind: 'createSnapshot',
        snapshot: {
          apiVersion: 'snapshot.kubevirt.io/v1beta1',
          kind: 'VirtualMachineSnapshot',
          metadata: { name: SNAP, namespace: NS, ownerReferences: [OWNER] },
          spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' } },
        },
        event: {
          type: 'Normal',
          reason: 'SnapshotCreated',
          message: `created snapshot ${SNAP} for clone cl`,
        },
      },
    ]);
    expect(p.status).toMatchObject({ phase: 'SnapshotInProgress', snapshotName: SNAP });
    expect(conds(p)).toEqual(['Progressing=True:Still processing', 'Ready=False:Still processing']);
    expect(cond(p, 'Ready')).toMatchObject({
      message: `waiting for VirtualMachineSnapshot ${NS}/${SNAP} to be ready to use`,
      lastTransitionTime: '2026-12-03T12:00:00Z',
    });
    expect(p.error).toBeUndefined();
  });

  test('whose source does not exist is Pending, its phase unset', () => {
    const p = plan(clone());
    expect(p.actions).toEqual([]);
    expect(p.status.phase).toBeUndefined();
    expect(conds(p)).toEqual([
      'Progressing=False:Pending',
      'Ready=False:Source doesnt exist: VirtualMachine ns/src',
    ]);
    expect(cond(p, 'Ready')?.message).toMatch(/create it, or name an existing VM in spec\.source\.name$/);
    expect(p.events).toEqual([
      { type: 'Normal', reason: 'SourceDoesNotExist', message: 'Source doesnt exist: VirtualMachine ns/src' },
    ]);
  });

  test('whose claim volumes do not (or may not) support snapshots is Pending', () => {
    const src = vm('src', false);
    expect(conds(plan(clone(), { vms: [src] }))).toEqual([
      'Progressing=False:Pending',
      'Ready=False:Virtual Machine volume root does not support snapshots',
    ]);
    delete src.status;
    const p = plan(clone(), { vms: [src] });
    expect(cond(p, 'Ready')?.reason).toBe('Virtual Machine volume root snapshot support unknown');
    expect(reasons(p)).toEqual(['Normal/VMVolumeSnapshotsInvalid']);
  });

  test('of a VM with a persistent TPM fails', () => {
    const src = vm('src');
    src.spec.template.spec!.domain.devices.tpm = { persistent: true };
    const p = plan(clone(), { vms: [src] });
    expect(p.status.phase).toBe('Failed');
    expect(conds(p)).toEqual([
      'Progressing=False:Failed',
      'Ready=False:Clone of source with backendstorage is not supported: VM ns/src',
    ]);
    expect(reasons(p)).toEqual(['Warning/SourceVMWithBackendStorageInvalid']);
  });

  test('with filters KubeVirt refuses fails, naming each field', () => {
    const p = plan(clone(undefined, { labelFilters: ['a*b'], template: { annotationFilters: ['!'] } }), {
      vms: [vm('src')],
    });
    expect(p.status.phase).toBe('Failed');
    expect(cond(p, 'Ready')?.reason).toMatch(
      /^spec\.labelFilters\[0\]: filter "a\*b" .*; spec\.template\.annotationFilters\[0\]: "!" alone is not a filter/,
    );
    expect(reasons(p)).toEqual(['Warning/CloneSpecInvalid']);
    expect(p.actions).toEqual([]);
  });
});

describe('SnapshotInProgress', () => {
  const inProgress = () => clone({ phase: 'SnapshotInProgress', snapshotName: SNAP });

  test('waits while the snapshot is not in the cache yet (retried)', () => {
    const p = plan(inProgress(), { vms: [vm('src')] });
    expect(p.actions).toEqual([]);
    expect(p.error).toBe(`snapshot ${SNAP} is not created yet for clone cl`);
    expect(p.status.phase).toBe('SnapshotInProgress');
  });

  test('waits while the snapshot is not ready, saying why', () => {
    const p = plan(inProgress(), { snapshots: [snapshot(SNAP, false)] });
    expect(p.actions).toEqual([]);
    expect(p.error).toBeUndefined();
    expect(cond(p, 'Progressing')).toMatchObject({
      status: 'True',
      message: `waiting for VirtualMachineSnapshot ns/${SNAP} to be ready to use (Source not locked)`,
    });
  });

  test('fails with a failed snapshot', () => {
    const s = snapshot(SNAP, false);
    s.status = { ...s.status, phase: 'Failed', error: { message: 'deadline passed' } };
    const p = plan(inProgress(), { snapshots: [s] });
    expect(p.status.phase).toBe('Failed');
    expect(cond(p, 'Ready')).toMatchObject({ reason: `snapshot ${SNAP} failed` });
    expect(cond(p, 'Ready')?.message).toMatch(/^deadline passed; delete this clone/);
  });

  test('waits for the content of a ready snapshot (retried)', () => {
    expect(plan(inProgress(), { snapshots: [snapshot()] }).error).toBe(
      'snapshot content content1 in namespace ns does not exist',
    );
  });

  test('fails when the content left a claim volume out', () => {
    const p = plan(inProgress(), { snapshots: [snapshot()], contents: [content([])] });
    expect(p.status.phase).toBe('Failed');
    expect(cond(p, 'Ready')?.reason).toMatch(
      new RegExp(`^volume root is not backed up in snapshot ${SNAP}; `),
    );
    expect(reasons(p)).toEqual(['Warning/SnapshotContentInvalid']);
  });

  test('once the snapshot is ready: RestoreInProgress, and the restore is created with the patches', () => {
    const p = plan(
      clone(
        { phase: 'SnapshotInProgress', snapshotName: SNAP },
        { labelFilters: ['app'], volumeNamePolicy: 'RandomizeNames' },
      ),
      {
        snapshots: [snapshot()],
        contents: [content()],
      },
    );
    expect(p.actions).toEqual([
      {
        kind: 'createRestore',
        restore: {
          apiVersion: 'snapshot.kubevirt.io/v1beta1',
          kind: 'VirtualMachineRestore',
          metadata: { name: RESTORE, namespace: NS, ownerReferences: [OWNER] },
          spec: {
            target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'copy' },
            virtualMachineSnapshotName: SNAP,
            volumeRestorePolicy: 'RandomizeNames',
            patches: [
              '{"op":"remove","path":"/spec/template/spec/domain/devices/interfaces/0/macAddress"}',
              '{"op":"remove","path":"/metadata/labels/example.com~1team"}',
            ],
          },
        },
        event: {
          type: 'Normal',
          reason: 'RestoreCreated',
          message: `created restore ${RESTORE} for clone cl`,
        },
      },
    ]);
    expect(p.status).toMatchObject({
      phase: 'RestoreInProgress',
      snapshotName: SNAP,
      restoreName: RESTORE,
      targetName: 'copy',
    });
    expect(p.events).toEqual([
      { type: 'Normal', reason: 'SnapshotReady', message: `snapshot ${SNAP} for clone cl is ready to use` },
    ]);
  });

  test('without spec.target the target is named <source>-clone-<5> from the clone uid', () => {
    const c = clone({ phase: 'SnapshotInProgress', snapshotName: SNAP });
    delete c.spec.target;
    const p = plan(c, { snapshots: [snapshot()], contents: [content()] });
    const name = generatedTargetName('src', UID);
    expect(p.status.targetName).toBe(name);
    expect(p.actions[0]).toMatchObject({ restore: { spec: { target: { name } } } });
  });

  test('a target VM that exists already is refused', () => {
    const p = plan(clone({ phase: 'SnapshotInProgress', snapshotName: SNAP }), {
      vms: [vm('copy')],
      snapshots: [snapshot()],
      contents: [content()],
    });
    expect(p.actions).toEqual([]);
    expect(p.status.phase).toBe('Failed');
    expect(cond(p, 'Ready')).toMatchObject({ reason: 'target VirtualMachine ns/copy already exists' });
    expect(cond(p, 'Ready')?.message).toMatch(/never overwrites one/);
    expect(reasons(p)).toEqual(['Normal/SnapshotReady', 'Warning/TargetVMExists']);
  });

  test('newMacAddresses naming no interface of the snapshot VM is refused', () => {
    const p = plan(
      clone(
        { phase: 'SnapshotInProgress', snapshotName: SNAP },
        { newMacAddresses: { eth9: '02:00:00:00:00:09' } },
      ),
      {
        snapshots: [snapshot()],
        contents: [content()],
      },
    );
    expect(p.status.phase).toBe('Failed');
    expect(cond(p, 'Ready')?.reason).toMatch(
      /^spec\.newMacAddresses\.eth9: the source VM ns\/src has no interface "eth9"/,
    );
  });
});

describe('RestoreInProgress', () => {
  const restoring = (restoreName?: string) =>
    clone({
      phase: 'RestoreInProgress',
      snapshotName: SNAP,
      ...(restoreName ? { restoreName, targetName: 'copy' } : {}),
    });

  test('adopts the restore an earlier round made when its status write was lost', () => {
    const p = plan(restoring(), {
      snapshots: [snapshot()],
      contents: [content()],
      restores: [restore()],
      vms: [vm('copy')],
    });
    expect(p.actions).toEqual([]);
    expect(p.status).toMatchObject({ restoreName: RESTORE, targetName: 'copy', phase: 'RestoreInProgress' });
  });

  test('fails when its snapshot is gone', () => {
    const p = plan(restoring(RESTORE), { restores: [restore()] });
    expect(p.status.phase).toBe('Failed');
    expect(conds(p)).toEqual([
      'Progressing=False:Failed',
      `Ready=False:snapshot ${SNAP} does not exist anymore`,
    ]);
    expect(reasons(p)).toEqual(['Warning/SnapshotDeleted']);
  });

  test('waits for the restore: not in the cache yet (retried), or at work (its error said)', () => {
    expect(plan(restoring(RESTORE), { snapshots: [snapshot()] }).error).toBe(
      `restore ${RESTORE} is not created yet for clone cl`,
    );
    const busy = restore({
      conditions: [{ type: 'Progressing', status: 'False', reason: 'error patching VM copy: bad path' }],
    });
    const p = plan(restoring(RESTORE), { snapshots: [snapshot()], restores: [busy] });
    expect(p.status.phase).toBe('RestoreInProgress');
    expect(cond(p, 'Ready')?.message).toBe(
      `waiting for VirtualMachineRestore ns/${RESTORE} to complete: error patching VM copy: bad path`,
    );
  });

  test('fails with a failed restore', () => {
    const failed = restore({
      conditions: [{ type: 'Failure', status: 'True', reason: 'Restore target not ready' }],
    });
    const p = plan(restoring(RESTORE), { snapshots: [snapshot()], restores: [failed] });
    expect(p.status.phase).toBe('Failed');
    expect(cond(p, 'Ready')?.reason).toBe(`restore ${RESTORE} failed: Restore target not ready`);
  });

  test('a complete restore whose VM is not in the cache yet: CreatingTargetVM (retried)', () => {
    const p = plan(restoring(RESTORE), { snapshots: [snapshot()], restores: [restore({ complete: true })] });
    expect(p.status).toMatchObject({ phase: 'CreatingTargetVM', targetName: 'copy' });
    expect(p.error).toBe('target VM copy is not created yet for clone cl');
    expect(reasons(p)).toEqual(['Normal/RestoreReady']);
  });

  test('a complete restore, its VM there, its claims bound: Succeeded, the snapshot and restore deleted', () => {
    const p = plan(restoring(RESTORE), {
      snapshots: [snapshot()],
      restores: [restore({ complete: true })],
      vms: [vm('copy')],
      claims: [claim('Bound')],
    });
    expect(p.actions).toEqual([
      { kind: 'deleteRestore', name: RESTORE },
      { kind: 'deleteSnapshot', name: SNAP },
    ]);
    expect(p.status.phase).toBe('Succeeded');
    expect(p.status.targetName).toBe('copy');
    expect(p.status).not.toHaveProperty('snapshotName');
    expect(p.status).not.toHaveProperty('restoreName');
    expect(conds(p)).toEqual(['Progressing=False:Ready', 'Ready=True:Ready']);
    expect(p.events.map((e) => e.message)).toEqual([
      `restore ${RESTORE} for clone cl is ready to use`,
      'created target VM copy for clone cl',
      'all PVC for clone cl are bound',
    ]);
  });
});

describe('CreatingTargetVM and Succeeded', () => {
  test('CreatingTargetVM becomes Succeeded once the VM exists; unbound claims keep the restore', () => {
    const p = plan(
      clone({ phase: 'CreatingTargetVM', snapshotName: SNAP, restoreName: RESTORE, targetName: 'copy' }),
      {
        vms: [vm('copy')],
        restores: [restore({ complete: true })],
        claims: [claim('Pending')],
      },
    );
    expect(p.status).toMatchObject({ phase: 'Succeeded', snapshotName: SNAP, restoreName: RESTORE });
    expect(p.actions).toEqual([]);
    expect(reasons(p)).toEqual(['Normal/TargetVMCreated']);
  });

  test('a restored claim not in the cache yet is waited for (retried)', () => {
    const p = plan(
      clone({ phase: 'Succeeded', snapshotName: SNAP, restoreName: RESTORE, targetName: 'copy' }),
      {
        vms: [vm('copy')],
        restores: [restore({ complete: true })],
      },
    );
    expect(p.actions).toEqual([]);
    expect(p.error).toBe('PVC restore-r-root is not created yet for clone cl');
  });

  test('a restore already gone: the snapshot goes and the names are cleared', () => {
    const p = plan(
      clone({ phase: 'Succeeded', snapshotName: SNAP, restoreName: RESTORE, targetName: 'copy' }),
      {
        vms: [vm('copy')],
      },
    );
    expect(p.actions).toEqual([
      { kind: 'deleteRestore', name: RESTORE },
      { kind: 'deleteSnapshot', name: SNAP },
    ]);
    expect(p.events).toEqual([]);
  });

  test('a Succeeded clone with nothing left to do changes nothing', () => {
    const done = plan(clone({ phase: 'Succeeded', targetName: 'copy' }), { vms: [vm('copy')] });
    const again = plan(clone(done.status), { vms: [vm('copy')] });
    expect(again.actions).toEqual([]);
    expect(again.status).toEqual(done.status);
  });

  test('a Succeeded clone whose target VM is deleted is deleted, as KubeVirt does', () => {
    const p = plan(clone({ phase: 'Succeeded', targetName: 'copy' }));
    expect(p.actions).toEqual([{ kind: 'deleteClone' }]);
  });
});

describe('final and deleted clones', () => {
  test.each(['Failed', 'Unknown', 'Whatever'])('%s: nothing happens', (phase) => {
    const c = clone({ phase: phase as 'Failed' });
    const p = plan(c, { vms: [vm('src')] });
    expect(p.actions).toEqual([]);
    expect(p.status).toBe(c.status);
  });

  test('a clone being deleted: nothing happens (its snapshot and restore go with it)', () => {
    const c = clone();
    c.metadata!.deletionTimestamp = '2026-12-03T11:00:00Z';
    expect(plan(c, { vms: [vm('src')] }).actions).toEqual([]);
  });
});

describe('a clone of a VirtualMachineSnapshot', () => {
  const fromSnapshot = (status?: VirtualMachineClone['status']) =>
    clone(status, {
      source: { apiGroup: 'snapshot.kubevirt.io', kind: 'VirtualMachineSnapshot', name: 'nightly' },
    });

  test('is Pending while the snapshot does not exist', () => {
    const p = plan(fromSnapshot());
    expect(p.status.phase).toBeUndefined();
    expect(cond(p, 'Ready')?.reason).toBe('Source doesnt exist: VirtualMachineSnapshot ns/nightly');
  });

  test('restores from it directly, taking no snapshot of its own', () => {
    const p = plan(fromSnapshot(), {
      snapshots: [snapshot('nightly')],
      contents: [content(['root'], 'nightly')],
    });
    expect(p.actions.map((a) => a.kind)).toEqual(['createRestore']);
    expect(p.actions[0]).toMatchObject({ restore: { spec: { virtualMachineSnapshotName: 'nightly' } } });
    expect(p.status).toMatchObject({ phase: 'RestoreInProgress', restoreName: RESTORE });
    expect(p.status).not.toHaveProperty('snapshotName');
  });

  test('keeps the snapshot when done: only the restore is deleted', () => {
    const p = plan(fromSnapshot({ phase: 'RestoreInProgress', restoreName: RESTORE, targetName: 'copy' }), {
      snapshots: [snapshot('nightly')],
      restores: [restore({ complete: true })],
      vms: [vm('copy')],
      claims: [claim('Bound')],
    });
    expect(p.actions).toEqual([{ kind: 'deleteRestore', name: RESTORE }]);
    expect(p.status.phase).toBe('Succeeded');
  });
});
