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
 * - onto an existing VM that is not the snapshot's source: refused, with KubeVirt's message.
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
  VIRTUAL_MACHINE_SNAPSHOTS,
  VIRTUAL_MACHINES,
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
