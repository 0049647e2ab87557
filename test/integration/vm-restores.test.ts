/**
 * KubeVirt's VirtualMachineRestores against the real control plane, with real data: the
 * controller (ControllerManager, under its own identity and RBAC) snapshots a stopped VM whose
 * volumes live on a node's local storage (the handler's provisioner and snapshotter, really
 * copying the disk images), the disks are overwritten, and restores bring the data back:
 *
 * - onto the same VM: its claim volume and its DataVolume template point at restored claims
 *   holding the bytes of snapshot time (sha256), the old template DataVolume is deleted, the
 *   restored DataVolume is pre-populated (adopted, Succeeded, no worker pod), the VM is locked
 *   while the restore works (status.restoreInProgress) and let go, conditions and Events say so;
 * - onto a new VM (patches applied): created stopped, with the source's labels, the snapshot's
 *   data, and no MAC address or firmware UUID written (virtkit derives them from the new name, so
 *   they differ from the source's);
 * - onto an existing VM that is not the snapshot's source: refused, with KubeVirt's message;
 * - from a snapshot one of whose VolumeSnapshots was deleted: never completes, says which
 *   VolumeSnapshot is missing and what to do, leaves the VM's spec and claims exactly as they
 *   were, creates no claim or DataVolume, and once deleted leaves nothing behind;
 * - onto a new VM with a patch that does not apply: fails after making its claims and its
 *   DataVolume, creates no VM, and deleting it deletes what it made.
 *
 * Booting a restored guest is an end-to-end matter (a node runs launchers); this suite has none.
 */
import { randomBytes } from 'crypto';
import { derivedUuid } from '../../launcher/plan/machine';
import { derivedMac } from '../../launcher/plan/network';
import {
  DATA_VOLUMES,
  EVENTS,
  KubeClient,
  PODS,
  PVCS,
  VIRTUAL_MACHINE_RESTORES,
  VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VIRTUAL_MACHINES,
  VOLUME_SNAPSHOTS,
} from '../../kube';
import { type Json } from './support/api';
import { startControllerSuite, type ControllerSuite } from './support/controller-suite';
import { fillDisk, sha256File, type LocalStorageNode } from './support/local-storage-node';

const id = randomBytes(3).toString('hex');
const NS = `vm-restores-${id}`;
const NODE = 'it-restore-node';

type Condition = { type: string; status: string; reason?: string };
type Obj = Json & {
  metadata: Json & {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string }[];
  };
  spec?: Json;
  status?: Json & {
    phase?: string;
    complete?: boolean;
    readyToUse?: boolean;
    restoreInProgress?: string;
    conditions?: Condition[];
    restores?: { volumeName: string; persistentVolumeClaim: string; dataVolumeName?: string }[];
    deletedDataVolumes?: string[];
  };
};

let suite: ControllerSuite;
let admin: KubeClient;
let node: LocalStorageNode;
const wait = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> =>
  suite.wait(what, probe, timeoutMs);

const cond = (o: Obj, type: string): Condition | undefined =>
  o.status?.conditions?.find((c) => c.type === type);
const diskOf = (claim: string): Promise<string> => node.diskOf(NS, claim);

function restore(name: string, target: string, spec: Json = {}): Promise<Obj> {
  return admin.create<Obj>(VIRTUAL_MACHINE_RESTORES, NS, {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineRestore',
    metadata: { name, namespace: NS },
    spec: {
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: target },
      virtualMachineSnapshotName: 'snap',
      ...spec,
    },
  });
}

const complete = (name: string): Promise<Obj> =>
  wait(`VirtualMachineRestore ${name} to complete`, async () => {
    const r = await admin.get<Obj>(VIRTUAL_MACHINE_RESTORES, NS, name);
    return r.status?.complete === true ? r : undefined;
  });

const getVm = (name: string): Promise<Obj> => admin.get<Obj>(VIRTUAL_MACHINES, NS, name);
const volumesOf = (vm: Obj): Json[] => ((vm.spec?.template as Json).spec as Json).volumes as Json[];

async function eventReasons(name: string): Promise<string[]> {
  const events = await admin.list<Json>(EVENTS, NS, { fieldSelector: `involvedObject.name=${name}` });
  return events.items.map((e) => String(e.reason));
}

let rootSha: string;
let dataSha: string;

beforeAll(async () => {
  suite = await startControllerSuite({ namespace: NS, id, nodeName: NODE });
  ({ admin, node } = suite);

  // The source VM: a claim volume, and a DataVolume template whose claim already holds its data
  // (CDI's populatedFor: the DataVolume adopts it, no import runs).
  await admin.create(PVCS, NS, node.claim(NS, 'src-root'));
  rootSha = fillDisk(await diskOf('src-root'), 'root at snapshot time');
  await admin.create(
    PVCS,
    NS,
    node.claim(NS, 'src-data', { 'cdi.kubevirt.io/storage.populatedFor': 'src-data' }),
  );
  dataSha = fillDisk(await diskOf('src-data'), 'data at snapshot time');
  await admin.create(VIRTUAL_MACHINES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'src', namespace: NS, labels: { app: 'src' } },
    spec: {
      runStrategy: 'Halted',
      dataVolumeTemplates: [
        {
          metadata: { name: 'src-data' },
          spec: {
            source: { blank: {} },
            storage: { storageClassName: node.storageClass, resources: { requests: { storage: '64Mi' } } },
          },
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
              interfaces: [{ name: 'default', masquerade: {} }],
            },
            resources: { requests: { memory: '128Mi' } },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [
            { name: 'root', persistentVolumeClaim: { claimName: 'src-root' } },
            { name: 'data', dataVolume: { name: 'src-data' } },
          ],
        },
      },
    },
  });
  await wait('DataVolume src-data to adopt its claim and succeed', async () => {
    const dv = await admin.getIfExists<Obj>(DATA_VOLUMES, NS, 'src-data');
    return dv?.status?.phase === 'Succeeded' ? dv : undefined;
  });

  // An offline snapshot, cut by the node's snapshotter, then the disks change.
  await admin.create(VIRTUAL_MACHINE_SNAPSHOTS, NS, {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name: 'snap', namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' } },
  });
  await wait('VirtualMachineSnapshot snap to be ready', async () => {
    const s = await admin.get<Obj>(VIRTUAL_MACHINE_SNAPSHOTS, NS, 'snap');
    return s.status?.readyToUse === true ? s : undefined;
  });
  fillDisk(await diskOf('src-root'), 'root after the snapshot');
  fillDisk(await diskOf('src-data'), 'data after the snapshot');
  expect(sha256File(await diskOf('src-root'))).not.toBe(rootSha);
}, 240_000);

afterAll(async () => {
  await suite?.stop([VIRTUAL_MACHINE_RESTORES, VIRTUAL_MACHINE_SNAPSHOTS]);
});

describe('a restore onto the snapshot source', () => {
  let restored: Obj;
  let uid: string;

  test('completes: the VM is locked while it works, then let go; conditions and Events say so', async () => {
    uid = (await restore('back', 'src')).metadata.uid;
    restored = await complete('back');
    expect(restored.metadata.finalizers).toEqual(['snapshot.kubevirt.io/vmrestore-protection']);
    expect(restored.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'VirtualMachine',
        name: 'src',
        uid: (await getVm('src')).metadata.uid,
      }),
    ]);
    expect(cond(restored, 'Ready')).toMatchObject({ status: 'True', reason: 'Operation complete' });
    expect(cond(restored, 'Progressing')).toMatchObject({ status: 'False', reason: 'Operation complete' });
    expect(restored.status?.restoreTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(restored.status?.restores).toEqual([
      {
        volumeName: 'root',
        persistentVolumeClaim: `restore-${uid}-root`,
        volumeSnapshotName: expect.stringMatching(/-volume-root$/),
      },
      {
        volumeName: 'data',
        persistentVolumeClaim: `restore-${uid}-data`,
        volumeSnapshotName: expect.stringMatching(/-volume-data$/),
        dataVolumeName: `restore-${uid}-data`,
      },
    ]);
    expect(restored.status?.deletedDataVolumes).toEqual(['src-data']);
    const vm = await wait('the VM to be let go', async () => {
      const v = await getVm('src');
      return v.status?.restoreInProgress === undefined ? v : undefined;
    });
    expect(vm.metadata.annotations?.['restore.kubevirt.io/lastRestoreUID']).toBe(`back-${uid}`);
    expect(await eventReasons('back')).toContain('VirtualMachineRestoreComplete');
  });

  test("the VM's volumes are the restored claims, holding the data of snapshot time", async () => {
    const vm = await getVm('src');
    expect(vm.spec?.runStrategy).toBe('Halted');
    expect(volumesOf(vm)).toEqual([
      { name: 'root', persistentVolumeClaim: { claimName: `restore-${uid}-root` } },
      { name: 'data', dataVolume: { name: `restore-${uid}-data` } },
    ]);
    expect(((vm.spec?.dataVolumeTemplates as Json[])[0]!.metadata as Json).name).toBe(`restore-${uid}-data`);
    expect(sha256File(await diskOf(`restore-${uid}-root`))).toBe(rootSha);
    expect(sha256File(await diskOf(`restore-${uid}-data`))).toBe(dataSha);
    const root = await admin.get<Obj>(PVCS, NS, `restore-${uid}-root`);
    expect(root.metadata.labels).toMatchObject({
      disk: 'src-root',
      'restore.kubevirt.io/source-vm-name': 'src',
      'restore.kubevirt.io/source-vm-namespace': NS,
    });
    expect(root.metadata.annotations).toMatchObject({
      'restore.kubevirt.io/name': 'back',
      'restore.kubevirt.io/lastRestoreUID': `back-${uid}`,
    });
    expect(root.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'VirtualMachine', name: 'src' }),
    ]);
  });

  test('the restored DataVolume is pre-populated and adopted by the VM; the replaced one is gone; nothing was imported', async () => {
    const dv = await wait('the restored DataVolume to succeed, owned by the VM', async () => {
      const d = await admin.getIfExists<Obj>(DATA_VOLUMES, NS, `restore-${uid}-data`);
      return d?.status?.phase === 'Succeeded' && d.metadata.ownerReferences?.some((o) => o.name === 'src')
        ? d
        : undefined;
    });
    expect(dv.metadata.annotations).toMatchObject({
      'cdi.kubevirt.io/storage.prePopulated': 'true',
      'restore.kubevirt.io/name': 'back',
    });
    await wait('DataVolume src-data to be deleted', async () =>
      (await admin.getIfExists(DATA_VOLUMES, NS, 'src-data')) ? undefined : true,
    );
    expect((await admin.list(PODS, NS)).items).toEqual([]);
  });
});

describe('a restore onto a new VM', () => {
  test('creates it stopped, patched, with the snapshot data and an identity of its own', async () => {
    const { uid } = (
      await restore('copy', 'copy', {
        patches: ['{"op": "add", "path": "/metadata/labels/restored-from", "value": "snap"}'],
      })
    ).metadata;
    const done = await complete('copy');
    expect(cond(done, 'Ready')).toMatchObject({ status: 'True' });
    const vm = await getVm('copy');
    expect(vm.metadata.labels).toEqual({ app: 'src', 'restored-from': 'snap' });
    expect(vm.spec?.runStrategy).toBe('Halted');
    expect(volumesOf(vm)[0]).toEqual({
      name: 'root',
      persistentVolumeClaim: { claimName: `restore-${uid}-root` },
    });
    expect(sha256File(await diskOf(`restore-${uid}-root`))).toBe(rootSha);
    expect(sha256File(await diskOf(`restore-${uid}-data`))).toBe(dataSha);
    // No MAC or firmware UUID is written: the launcher derives both from the new VM's name.
    const tspec = (vm.spec?.template as Json).spec as Json;
    expect(JSON.stringify(tspec)).not.toMatch(/macAddress|"uuid"/);
    expect(derivedMac(NS, 'copy', 'default')).not.toBe(derivedMac(NS, 'src', 'default'));
    expect(derivedUuid(NS, 'copy')).not.toBe(derivedUuid(NS, 'src'));
    // The new VM owns the restore once it exists.
    expect(done.metadata.ownerReferences).toEqual([
      expect.objectContaining({ name: 'copy', uid: vm.metadata.uid }),
    ]);
  });

  test('an existing VM that is not the snapshot source is not overwritten', async () => {
    await restore('clobber', 'copy');
    const r = await wait('the restore onto copy to say why it cannot go on', async () => {
      const o = await admin.get<Obj>(VIRTUAL_MACHINE_RESTORES, NS, 'clobber');
      return cond(o, 'Progressing')?.reason?.startsWith('restore source and restore target are different')
        ? o
        : undefined;
    });
    expect(cond(r, 'Ready')).toMatchObject({ status: 'False' });
    expect(r.status?.complete).toBe(false);
    expect(await eventReasons('clobber')).toContain('VirtualMachineRestoreError');
    expect((await getVm('copy')).status?.restoreInProgress).toBeUndefined();
  });
});

describe('restores that fail part-way leave nothing half-restored', () => {
  /**
   * What a user sees: the VM's labels, annotations and spec, and the claims and DataVolumes of the
   * namespace (name, uid, spec). Earlier tests' leftovers may still be garbage-collected, so the
   * lists are compared as "nothing new"; the claims the VM names must be exactly as they were.
   */
  async function scene(): Promise<{
    vm: string;
    vmClaims: string[];
    claims: string[];
    dataVolumes: string[];
  }> {
    const vm = await getVm('src');
    const list = async (rt: typeof PVCS): Promise<Obj[]> => (await admin.list<Obj>(rt, NS)).items;
    const key = (o: Obj): string => `${o.metadata.name}/${o.metadata.uid}/${JSON.stringify(o.spec)}`;
    const claims = await list(PVCS);
    const named = volumesOf(vm).map((v) => {
      const claim = (v.persistentVolumeClaim as Json | undefined)?.claimName ?? (v.dataVolume as Json).name;
      return String(claim);
    });
    return {
      vm: JSON.stringify({ labels: vm.metadata.labels, annotations: vm.metadata.annotations, spec: vm.spec }),
      vmClaims: named.map((n) => {
        const c = claims.find((o) => o.metadata.name === n);
        return c ? key(c) : `${n} missing`;
      }),
      claims: claims.map(key).sort(),
      dataVolumes: (await list(DATA_VOLUMES)).map(key).sort(),
    };
  }
  async function expectUnchanged(before: Awaited<ReturnType<typeof scene>>): Promise<void> {
    const now = await scene();
    expect(now.vm).toBe(before.vm);
    expect(now.vmClaims).toEqual(before.vmClaims);
    expect(now.vmClaims.join()).not.toContain('missing');
    expect(now.claims.filter((c) => !before.claims.includes(c))).toEqual([]);
    expect(now.dataVolumes.filter((d) => !before.dataVolumes.includes(d))).toEqual([]);
  }
  const madeBy = async (rt: typeof PVCS, restoreName: string): Promise<string[]> =>
    (await admin.list<Obj>(rt, NS)).items
      .filter((o) => o.metadata.annotations?.['restore.kubevirt.io/name'] === restoreName)
      .map((o) => o.metadata.name);

  test('never completes, names the missing VolumeSnapshot and the fix, and leaves the VM and its claims untouched; deleted, it leaves nothing behind', async () => {
    await admin.create(VIRTUAL_MACHINE_SNAPSHOTS, NS, {
      apiVersion: 'snapshot.kubevirt.io/v1beta1',
      kind: 'VirtualMachineSnapshot',
      metadata: { name: 'snap-broken', namespace: NS },
      spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' } },
    });
    const snap = await wait('VirtualMachineSnapshot snap-broken to be ready', async () => {
      const s = await admin.get<Obj>(VIRTUAL_MACHINE_SNAPSHOTS, NS, 'snap-broken');
      return s.status?.readyToUse === true ? s : undefined;
    });
    const content = await admin.get<Obj>(
      VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
      NS,
      String(snap.status?.virtualMachineSnapshotContentName),
    );
    const backups = (content.spec?.volumeBackups ?? []) as {
      volumeName: string;
      volumeSnapshotName: string;
    }[];
    expect(backups.map((b) => b.volumeName)).toEqual(['root', 'data']);
    // The second volume's VolumeSnapshot goes: the first could still be restored, so a
    // controller that makes claims one by one would leave one behind.
    const gone = backups[1]!.volumeSnapshotName;
    const before = await scene();
    await admin.delete(VOLUME_SNAPSHOTS, NS, gone);
    await wait(`VolumeSnapshot ${gone} to be gone`, async () =>
      (await admin.getIfExists(VOLUME_SNAPSHOTS, NS, gone)) ? undefined : true,
    );

    await restore('broken', 'src', { virtualMachineSnapshotName: 'snap-broken' });
    const failing = await wait('the restore to say which VolumeSnapshot is missing', async () => {
      const o = await admin.get<Obj>(VIRTUAL_MACHINE_RESTORES, NS, 'broken');
      return cond(o, 'Ready')?.reason?.startsWith(`missing volumeSnapshot ${gone}:`) ? o : undefined;
    });
    const reason = cond(failing, 'Ready')!.reason!;
    expect(reason).toContain(`VolumeSnapshot ${NS}/${gone} (volume data of VirtualMachineSnapshotContent`);
    expect(reason).toMatch(
      /delete this VirtualMachineRestore and restore from another VirtualMachineSnapshot$/,
    );
    expect(cond(failing, 'Ready')?.status).toBe('False');
    expect(cond(failing, 'Progressing')).toMatchObject({ status: 'False', reason });
    const warnings = (
      await admin.list<Json>(EVENTS, NS, { fieldSelector: 'involvedObject.name=broken' })
    ).items.filter((e) => e.reason === 'VirtualMachineRestoreError');
    expect(warnings.map((e) => String(e.message))).toContain(
      `VirtualMachineRestore encountered error ${reason}`,
    );

    // Rounds go on every 5 s: past two of them, nothing of the VM has moved.
    await new Promise((r) => setTimeout(r, 11_000));
    const still = await admin.get<Obj>(VIRTUAL_MACHINE_RESTORES, NS, 'broken');
    expect(still.status?.complete).toBe(false);
    expect(still.status?.restoreTime).toBeUndefined();
    await expectUnchanged(before);
    expect(await madeBy(PVCS, 'broken')).toEqual([]);
    expect(await madeBy(DATA_VOLUMES, 'broken')).toEqual([]);
    expect((await getVm('src')).metadata.annotations?.['restore.kubevirt.io/lastRestoreUID']).not.toMatch(
      /^broken-/,
    );

    await admin.delete(VIRTUAL_MACHINE_RESTORES, NS, 'broken');
    await wait('the restore to be gone', async () =>
      (await admin.getIfExists(VIRTUAL_MACHINE_RESTORES, NS, 'broken')) ? undefined : true,
    );
    const vm = await getVm('src');
    expect(vm.status?.restoreInProgress).toBeUndefined();
    await expectUnchanged(before);
    expect(await madeBy(PVCS, 'broken')).toEqual([]);
    expect(await madeBy(DATA_VOLUMES, 'broken')).toEqual([]);
  }, 120_000);

  test('a restore that fails after making its claims (a patch that does not apply) takes them with it when deleted', async () => {
    await restore('badpatch', 'copy2', {
      patches: ['{"op": "replace", "path": "/spec/template/spec/nothere/x", "value": 1}'],
    });
    const failing = await wait('the restore to say the patch does not apply', async () => {
      const o = await admin.get<Obj>(VIRTUAL_MACHINE_RESTORES, NS, 'badpatch');
      return cond(o, 'Ready')?.reason?.includes('spec.patches could not be applied') ? o : undefined;
    });
    expect(failing.status?.complete).toBe(false);
    expect(await admin.getIfExists(VIRTUAL_MACHINES, NS, 'copy2')).toBeUndefined();
    // It got as far as its claims and its DataVolume: there is something to clean up.
    expect((await madeBy(PVCS, 'badpatch')).length).toBe(2);
    expect(await madeBy(DATA_VOLUMES, 'badpatch')).toEqual([`restore-${failing.metadata.uid}-data`]);

    await admin.delete(VIRTUAL_MACHINE_RESTORES, NS, 'badpatch');
    const live = async (rt: typeof PVCS): Promise<string[]> =>
      (await admin.list<Obj>(rt, NS)).items
        .filter(
          (o) =>
            o.metadata.annotations?.['restore.kubevirt.io/name'] === 'badpatch' &&
            !(o.metadata as Json).deletionTimestamp,
        )
        .map((o) => o.metadata.name);
    await wait('the restore, its claims and its DataVolume to be gone', async () =>
      (await admin.getIfExists(VIRTUAL_MACHINE_RESTORES, NS, 'badpatch')) ||
      (await live(PVCS)).length ||
      (await live(DATA_VOLUMES)).length
        ? undefined
        : true,
    );
    expect(await admin.getIfExists(VIRTUAL_MACHINES, NS, 'copy2')).toBeUndefined();
  }, 120_000);
});
