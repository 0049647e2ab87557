/**
 * KubeVirt's VirtualMachineSnapshots against the real control plane: the controller
 * (ControllerManager, under its own identity and RBAC from api/install/rbac.ts) snapshots
 * stopped VMs whose claims kube-controller-manager's PV controller binds to static volumes.
 *
 * The claims' StorageClass names a provisioner no component serves, and the VolumeSnapshotClass
 * its driver, so neither virtkit's local snapshotter nor its VolumeSnapshot controller takes
 * the VolumeSnapshots this controller makes. The test writes their status itself (creationTime,
 * then readyToUse), standing in for a CSI driver and the external-snapshotter: acceptable only
 * here, in a test of the VM snapshot controller; the node snapshotter that really copies local
 * volumes has its own suite (volume-snapshots.test.ts). Online snapshots, which freeze a real
 * guest through its agent, are end-to-end tests.
 *
 * Covered: an offline snapshot round trip (names, the content and its volume backups, the
 * VolumeSnapshot, the VM's status.snapshotInProgress and finalizer set then cleared, phases,
 * conditions, readyToUse, snapshotVolumes, Events); the VM's status.volumeSnapshotStatuses; one
 * snapshot of a VM at a time; a snapshot of a missing VM; a failure deadline that passes;
 * deletionPolicy Delete and Retain; the controller's right to freeze and thaw guests.
 */
import { randomBytes } from 'crypto';
import { volumeSnapshotCrds } from '../../api/crd/generate';
import { installVolumeSnapshotCrds } from '../../cli/local/crds';
import { componentKubeconfig, layout } from '../../cli/local/layout';
import { installRbac } from '../../cli/local/rbac';
import { createLogger } from '../../common/log';
import { isAllowed } from '../../kube/access-review';
import { ControllerManager } from '../../controller/manager';
import {
  EVENTS,
  KubeClient,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VIRTUAL_MACHINES,
  VOLUME_SNAPSHOT_CLASSES,
  VOLUME_SNAPSHOTS,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { readShared } from './support/shared-controlplane';

const id = randomBytes(3).toString('hex');
const NS = `vm-snapshots-${id}`;
/** A provisioner and snapshot driver nothing in the test cluster serves (see the file comment). */
const DRIVER = `it-vmsnap-${id}.example.com`;
const STORAGE = `it-vmsnap-${id}`;
const SNAP_CLASS = `it-vmsnap-${id}`;

type Condition = { type: string; status: string; reason?: string; message?: string };
type Obj = Json & {
  metadata: Json & {
    name: string;
    uid: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    ownerReferences?: Json[];
  };
  spec?: Json;
  status?: Json & {
    phase?: string;
    readyToUse?: boolean;
    creationTime?: string;
    snapshotInProgress?: string;
    volumeSnapshotStatuses?: Json[];
    conditions?: Condition[];
    error?: { message?: string };
  };
};

let admin: KubeClient;
let manager: ControllerManager;
const logs: string[] = [];
const pvNames: string[] = [];

function wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return eventually(what, probe, {
    timeoutMs,
    context: () => `controller log:\n${logs.slice(-30).join('')}`,
  });
}

const cond = (o: Obj | undefined, type: string): Condition | undefined =>
  o?.status?.conditions?.find((c) => c.type === type);

/** A static volume pre-bound to `claim`, and the claim: the PV controller binds them. */
async function boundClaim(claim: string): Promise<void> {
  const pv = `${NS}-${claim}`;
  pvNames.push(pv);
  await admin.create(PVS, undefined, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pv },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      storageClassName: STORAGE,
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: `/tmp/${pv}` },
      claimRef: { namespace: NS, name: claim },
    },
  });
  await admin.create(PVCS, NS, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, namespace: NS, labels: { disk: claim } },
    spec: {
      storageClassName: STORAGE,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
    },
  });
  await wait(`claim ${claim} to be Bound`, async () => {
    const c = await admin.getIfExists<Obj>(PVCS, NS, claim);
    return c?.status?.phase === 'Bound' ? c : undefined;
  });
}

/** A stopped VM with a claim, a container disk and cloud-init. */
async function stoppedVm(name: string, claim: string): Promise<Obj> {
  await boundClaim(claim);
  return admin.create<Obj>(VIRTUAL_MACHINES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            devices: {
              disks: [
                { name: 'root', disk: { bus: 'virtio' } },
                { name: 'boot', disk: { bus: 'virtio' } },
                { name: 'cloudinit', disk: { bus: 'virtio' } },
              ],
            },
            resources: { requests: { memory: '128Mi' } },
          },
          volumes: [
            { name: 'root', persistentVolumeClaim: { claimName: claim } },
            { name: 'boot', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
            { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
          ],
        },
      },
    },
  });
}

function takeSnapshot(name: string, vm: string, spec: Json = {}): Promise<Obj> {
  return admin.create<Obj>(VIRTUAL_MACHINE_SNAPSHOTS, NS, {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name, namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: vm }, ...spec },
  });
}

const getSnapshot = (name: string): Promise<Obj | undefined> =>
  admin.getIfExists<Obj>(VIRTUAL_MACHINE_SNAPSHOTS, NS, name);
const getContent = (name: string): Promise<Obj | undefined> =>
  admin.getIfExists<Obj>(VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, NS, name);
const getVm = (name: string): Promise<Obj> => admin.get<Obj>(VIRTUAL_MACHINES, NS, name);

function snapshotWhere(
  name: string,
  what: string,
  ok: (s: Obj) => boolean,
  timeoutMs?: number,
): Promise<Obj> {
  return wait(
    `VirtualMachineSnapshot ${name}: ${what}`,
    async () => {
      const s = await getSnapshot(name);
      return s && ok(s) ? s : undefined;
    },
    timeoutMs,
  );
}

const lockedBy = async (vm: string, snapshot: string): Promise<boolean> => {
  const v = await getVm(vm);
  return (
    v.status?.snapshotInProgress === snapshot &&
    (v.metadata.finalizers ?? []).includes('snapshot.kubevirt.io/snapshot-source-protection')
  );
};

/** Neither status.snapshotInProgress nor the snapshot's finalizer on the VM any more. */
const letGo = async (vm: string): Promise<boolean> => {
  const v = await getVm(vm);
  return (
    v.status?.snapshotInProgress === undefined &&
    !(v.metadata.finalizers ?? []).includes('snapshot.kubevirt.io/snapshot-source-protection')
  );
};

/**
 * The CSI side, written by the test (see the file comment): first the cut (creationTime), then
 * readiness, on the VolumeSnapshot's status subresource.
 */
async function markVolumeSnapshot(name: string, status: Json): Promise<void> {
  const vs = await wait(`VolumeSnapshot ${name}`, () => admin.getIfExists<Obj>(VOLUME_SNAPSHOTS, NS, name));
  await admin.updateStatus(VOLUME_SNAPSHOTS, NS, name, {
    ...vs,
    status: { ...(vs.status ?? {}), ...status },
  });
}

const CUT = { creationTime: '2024-05-01T10:00:00Z', readyToUse: false, restoreSize: '1Gi' };
const READY = { ...CUT, readyToUse: true };

beforeAll(async () => {
  admin = await sharedClient();
  await installRbac(admin);
  await installVolumeSnapshotCrds(admin, volumeSnapshotCrds());
  await createNamespace(admin, NS);
  await admin.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE },
    provisioner: DRIVER,
    volumeBindingMode: 'Immediate',
  });
  await admin.create(VOLUME_SNAPSHOT_CLASSES, undefined, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name: SNAP_CLASS },
    driver: DRIVER,
    deletionPolicy: 'Delete',
  });
  manager = await ControllerManager.create({
    connection: { kubeconfig: componentKubeconfig(layout(readShared().stateDir), 'virtkit-controller') },
    namespace: NS,
    log: createLogger({
      component: 'virtkit-controller',
      destination: { write: (line: string) => void logs.push(line) },
    }),
  });
  await manager.start();
});

afterAll(async () => {
  // Snapshots first, while the controller runs to let their finalizers (and the VMs') go.
  for (const s of (await admin.list<Obj>(VIRTUAL_MACHINE_SNAPSHOTS, NS).catch(() => ({ items: [] as Obj[] })))
    .items)
    await admin.delete(VIRTUAL_MACHINE_SNAPSHOTS, NS, s.metadata.name).catch(() => undefined);
  await wait('the suite snapshots to go', async () =>
    (await admin.list(VIRTUAL_MACHINE_SNAPSHOTS, NS)).items.length ? undefined : true,
  ).catch(() => undefined);
  await manager?.stop();
  // Whatever a failed test left holding a finalizer nothing will remove now.
  for (const rt of [VIRTUAL_MACHINE_SNAPSHOTS, VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, VIRTUAL_MACHINES])
    for (const o of (await admin.list<Obj>(rt, NS).catch(() => ({ items: [] as Obj[] }))).items)
      if (o.metadata.finalizers?.length)
        await admin
          .mergePatch(rt, NS, o.metadata.name, { metadata: { finalizers: null } })
          .catch(() => undefined);
  await deleteNamespace(admin, NS);
  for (const pv of pvNames) await admin.delete(PVS, undefined, pv).catch(() => undefined);
  await admin.delete(STORAGE_CLASSES, undefined, STORAGE).catch(() => undefined);
  await admin.delete(VOLUME_SNAPSHOT_CLASSES, undefined, SNAP_CLASS).catch(() => undefined);
  if (process.env.VIRTKIT_IT_VERBOSE) console.error(logs.join(''));
});

describe('an offline snapshot of a stopped VM', () => {
  let uid: string;
  let contentName: string;
  let vsName: string;

  test('locks the VM, makes the content and the VolumeSnapshot of its claim', async () => {
    const vm = await stoppedVm('web', 'web-root');
    uid = (await takeSnapshot('web-snap', 'web')).metadata.uid;
    contentName = `vmsnapshot-content-${uid}`;
    vsName = `vmsnapshot-${uid}-volume-root`;

    // The VM is the snapshot's while it runs: status.snapshotInProgress and the finalizer.
    await wait('the VM to be locked by web-snap', async () =>
      (await lockedBy('web', 'web-snap')) ? true : undefined,
    );

    const content = await wait(`content ${contentName}`, () => getContent(contentName));
    expect(content.metadata.finalizers).toEqual(['snapshot.kubevirt.io/vmsnapshotcontent-protection']);
    const source = (content.spec?.source as Json).virtualMachine as Obj;
    expect(content.spec?.virtualMachineSnapshotName).toBe('web-snap');
    expect(source.metadata).toMatchObject({
      name: 'web',
      namespace: NS,
      uid: vm.metadata.uid,
      labels: { app: 'web' },
    });
    expect(source.metadata).not.toHaveProperty('managedFields');
    expect(source.spec).toEqual(vm.spec);
    expect(content.spec?.volumeBackups).toEqual([
      {
        volumeName: 'root',
        persistentVolumeClaim: {
          metadata: expect.objectContaining({
            name: 'web-root',
            namespace: NS,
            labels: { disk: 'web-root' },
          }),
          spec: expect.objectContaining({
            storageClassName: STORAGE,
            accessModes: ['ReadWriteOnce'],
            volumeName: `${NS}-web-root`,
          }),
        },
        volumeSnapshotName: vsName,
      },
    ]);

    const vs = await wait(`VolumeSnapshot ${vsName}`, () =>
      admin.getIfExists<Obj>(VOLUME_SNAPSHOTS, NS, vsName),
    );
    expect(vs.metadata.labels).toEqual({
      'snapshot.kubevirt.io/source-vm-name': 'web',
      'snapshot.kubevirt.io/source-vm-namespace': NS,
    });
    expect(vs.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        apiVersion: 'snapshot.kubevirt.io/v1beta1',
        kind: 'VirtualMachineSnapshotContent',
        name: contentName,
        uid: content.metadata.uid,
        controller: true,
      }),
    ]);
    expect(vs.spec).toEqual({
      source: { persistentVolumeClaimName: 'web-root' },
      volumeSnapshotClassName: SNAP_CLASS,
    });

    const s = await snapshotWhere(
      'web-snap',
      'in progress, holding its VM',
      (x) => cond(x, 'Progressing')?.reason === 'Source locked and operation in progress',
    );
    expect(s.metadata.finalizers).toEqual(['snapshot.kubevirt.io/vmsnapshot-protection']);
    expect(s.status).toMatchObject({ phase: 'InProgress', readyToUse: false, sourceUID: vm.metadata.uid });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'Not ready' });
    // A stopped VM: no indications.
    expect(s.status?.indications).toBeUndefined();
  });

  test("the VM's status says which volumes a snapshot can hold (volumeSnapshotStatuses)", async () => {
    const v = await wait('status.volumeSnapshotStatuses of the VM', async () => {
      const x = await getVm('web');
      return x.status?.volumeSnapshotStatuses ? x : undefined;
    });
    expect(v.status?.volumeSnapshotStatuses).toEqual([
      { name: 'root', enabled: true },
      { name: 'boot', enabled: false, reason: 'Snapshot is not supported for this volumeSource type [boot]' },
      {
        name: 'cloudinit',
        enabled: false,
        reason: 'Snapshot is not supported for this volumeSource type [cloudinit]',
      },
    ]);
  });

  test('succeeds once the VolumeSnapshot is cut, is ready once it is, and lets go of the VM', async () => {
    await markVolumeSnapshot(vsName, CUT);
    const cut = await snapshotWhere('web-snap', 'Succeeded', (x) => x.status?.phase === 'Succeeded');
    expect(cut.status).toMatchObject({
      readyToUse: false,
      virtualMachineSnapshotContentName: contentName,
      creationTime: expect.any(String),
      snapshotVolumes: { includedVolumes: ['root'], excludedVolumes: ['boot', 'cloudinit'] },
    });
    expect(cond(cut, 'Progressing')).toMatchObject({ status: 'False', reason: 'Operation complete' });
    await wait('the VM to be let go', async () => ((await letGo('web')) ? true : undefined));

    await markVolumeSnapshot(vsName, READY);
    const ready = await snapshotWhere('web-snap', 'readyToUse', (x) => x.status?.readyToUse === true);
    expect(cond(ready, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(ready.status?.phase).toBe('Succeeded');
    expect(ready.status?.error).toBeUndefined();
    const content = await getContent(contentName);
    expect(content?.status).toMatchObject({
      readyToUse: true,
      creationTime: expect.any(String),
      volumeSnapshotStatus: [
        { volumeSnapshotName: vsName, readyToUse: true, creationTime: CUT.creationTime },
      ],
    });
    const events = await admin.list<Json>(EVENTS, NS, { fieldSelector: 'involvedObject.name=web-snap' });
    expect(events.items.map((e) => [e.reason, e.message])).toContainEqual([
      'SuccessfulVirtualMachineSnapshotContentCreate',
      `Successfully created VirtualMachineSnapshotContent ${contentName}`,
    ]);
  });

  test('deletionPolicy Delete (the default): deleting the snapshot deletes its content and VolumeSnapshot', async () => {
    await admin.delete(VIRTUAL_MACHINE_SNAPSHOTS, NS, 'web-snap');
    await wait('the snapshot to go', async () => ((await getSnapshot('web-snap')) ? undefined : true));
    await wait('its content to go', async () => ((await getContent(contentName)) ? undefined : true));
    // kube-controller-manager's garbage collector follows the content's ownership.
    await wait(
      'its VolumeSnapshot to go',
      async () => ((await admin.getIfExists(VOLUME_SNAPSHOTS, NS, vsName)) ? undefined : true),
      90_000,
    );
  });
});

describe('more than one snapshot, and deletionPolicy Retain', () => {
  test('a second snapshot of the VM waits for the first; Retain keeps the content when the snapshot goes', async () => {
    await stoppedVm('db', 'db-root');
    const first = await takeSnapshot('db-first', 'db');
    await wait('the VM to be locked by db-first', async () =>
      (await lockedBy('db', 'db-first')) ? true : undefined,
    );
    const second = await takeSnapshot('db-second', 'db', { deletionPolicy: 'Retain' });
    const waiting = await snapshotWhere('db-second', 'waiting for db-first', (x) =>
      (cond(x, 'Progressing')?.reason ?? '').includes('in progress'),
    );
    expect(cond(waiting, 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'Source not locked snapshot "db-first" in progress',
      message: expect.stringContaining('one snapshot of a VM at a time'),
    });

    await markVolumeSnapshot(`vmsnapshot-${first.metadata.uid}-volume-root`, READY);
    await snapshotWhere('db-first', 'ready', (x) => x.status?.readyToUse === true);
    await wait('the VM to be locked by db-second', async () =>
      (await lockedBy('db', 'db-second')) ? true : undefined,
    );
    const vsName = `vmsnapshot-${second.metadata.uid}-volume-root`;
    await markVolumeSnapshot(vsName, READY);
    await snapshotWhere('db-second', 'ready', (x) => x.status?.readyToUse === true);

    const contentName = `vmsnapshot-content-${second.metadata.uid}`;
    await admin.delete(VIRTUAL_MACHINE_SNAPSHOTS, NS, 'db-second');
    await wait('db-second to go', async () => ((await getSnapshot('db-second')) ? undefined : true));
    const kept = await wait('its content to let go of its finalizer', async () => {
      const c = await getContent(contentName);
      return c && !(c.metadata.finalizers ?? []).length ? c : undefined;
    });
    expect(kept.status?.readyToUse).toBe(true);
    expect(await admin.getIfExists(VOLUME_SNAPSHOTS, NS, vsName)).toBeDefined();
    // A retained content is the user's to delete; its VolumeSnapshot goes with it.
    await admin.delete(VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, NS, contentName);
  });
});

describe('failures', () => {
  test("a snapshot of a VM that does not exist says so, and fails at its deadline with KubeVirt's reason", async () => {
    await takeSnapshot('ghost-snap', 'ghost', { failureDeadline: '8s' });
    const waiting = await snapshotWhere(
      'ghost-snap',
      'Source does not exist',
      (x) => cond(x, 'Progressing')?.reason === 'Source does not exist',
    );
    expect(waiting.status?.phase).toBe('InProgress');
    expect(cond(waiting, 'Progressing')?.message).toBe(
      `VirtualMachine ${NS}/ghost (spec.source) does not exist; create it, or delete this snapshot (it fails once its failureDeadline passes)`,
    );
    const failed = await snapshotWhere('ghost-snap', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(cond(failed, 'Failure')).toMatchObject({ status: 'True', reason: 'snapshot deadline exceeded' });
    expect(cond(failed, 'Progressing')).toMatchObject({ status: 'False', reason: 'Operation failed' });
    expect(cond(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'Not ready' });
  });

  test('a snapshot whose VolumeSnapshot never gets cut fails at its deadline; its content goes, the VM is let go', async () => {
    await stoppedVm('slow', 'slow-root');
    const s = await takeSnapshot('slow-snap', 'slow', { failureDeadline: '15s', deletionPolicy: 'Retain' });
    const contentName = `vmsnapshot-content-${s.metadata.uid}`;
    await wait(`content ${contentName}`, () => getContent(contentName));
    const failed = await snapshotWhere('slow-snap', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(cond(failed, 'Failure')).toMatchObject({ status: 'True', reason: 'snapshot deadline exceeded' });
    // Never ready: not kept even with Retain.
    await wait('its content to go', async () => ((await getContent(contentName)) ? undefined : true));
    await wait('the VM to be let go', async () => ((await letGo('slow')) ? true : undefined));
    // A failed snapshot stays until deleted, and keeps saying why.
    const later = await getSnapshot('slow-snap');
    expect(later?.status?.phase).toBe('Failed');
    expect(cond(later, 'Failure')?.reason).toBe('snapshot deadline exceeded');
  });
});

test("the controller's identity may freeze and thaw a guest through the subresource API (what an online snapshot calls), and no other verb there", async () => {
  const may = (subresource: string) =>
    isAllowed(
      admin,
      { user: 'virtkit-controller' },
      {
        namespace: NS,
        verb: 'update',
        group: 'subresources.kubevirt.io',
        resource: 'virtualmachineinstances',
        subresource,
        name: 'web',
      },
    );
  expect(await may('freeze')).toBe(true);
  expect(await may('unfreeze')).toBe(true);
  expect(await may('pause')).toBe(false);
  expect(await may('softreboot')).toBe(false);
});
