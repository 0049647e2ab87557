/**
 * Kubernetes' volume snapshots of virtkit's local volumes against the real control plane, every
 * component under its own identity and RBAC (api/install/rbac.ts): the snapshot CRDs as local
 * mode installs them, the controller (ControllerManager, whose snapshot controller makes and binds
 * VolumeSnapshotContents), and the node's local volume provisioner and snapshotter (as the
 * handler runs them). kube-controller-manager's PV controller binds the claims.
 *
 * A Filesystem volume's disk.img is snapshotted, overwritten, and restored into a new claim with
 * the original bytes; a Block volume likewise into a larger claim; a Retain snapshot's data is
 * bound again through a pre-provisioned content; a snapshot of a missing claim says so in
 * status.error; a snapshot of another driver's class is left alone; deleting a snapshot deletes
 * its content and its data.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { volumeSnapshotCrds } from '../../api/crd/generate';
import { LOCAL_VOLUME_DRIVER, SNAPSHOT_NODE_ANNOTATION } from '../../api/storage/local';
import {
  CONTENT_BOUND_FINALIZER,
  PVC_AS_SOURCE_FINALIZER,
  SNAPSHOT_BOUND_FINALIZER,
} from '../../api/volumesnapshot/v1';
import { installVolumeSnapshotCrds } from '../../cli/local/crds';
import { componentKubeconfig, layout } from '../../cli/local/layout';
import { installRbac } from '../../cli/local/rbac';
import { createLogger, silentLogger } from '../../common/log';
import { ControllerManager } from '../../controller/manager';
import { LocalSnapshotter } from '../../handler/storage/local-snapshots';
import { LocalVolumeProvisioner } from '../../handler/storage/local-volumes';
import {
  EventRecorder,
  EVENTS,
  KubeClient,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  VOLUME_SNAPSHOT_CLASSES,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
} from '../../kube';
import { detachLoopsUnder } from '../../handler/storage/loop-devices';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { readShared } from './support/shared-controlplane';

const id = randomBytes(3).toString('hex');
const NS = `volume-snapshots-${id}`;
const STORAGE = `it-snap-local-${id}`;
const SNAP_CLASS = `it-snap-delete-${id}`;
const RETAIN_CLASS = `it-snap-retain-${id}`;
const OTHER_CLASS = `it-snap-other-${id}`;
const NODE = 'it-snap-node';

type Obj = Json & {
  metadata: Json & {
    name: string;
    uid: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: Json;
  status?: Json & {
    phase?: string;
    readyToUse?: boolean;
    error?: { message?: string };
    boundVolumeSnapshotContentName?: string;
    snapshotHandle?: string;
  };
};

let admin: KubeClient;
let controllerClient: KubeClient;
let handlerClient: KubeClient;
let root: string;
let provisioner: LocalVolumeProvisioner;
let snapshotter: LocalSnapshotter;
let manager: ControllerManager;
const logs: string[] = [];

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  return eventually(what, probe, { timeoutMs, context: () => `logs:\n${logs.slice(-30).join('\n')}` });
}

function claim(name: string, extra: Json = {}, size = '64Mi'): Json {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: {
      storageClassName: STORAGE,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      ...extra,
    },
  };
}

function snapshot(name: string, source: Json, className?: string): Json {
  return {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshot',
    metadata: { name, namespace: NS },
    spec: { source, ...(className ? { volumeSnapshotClassName: className } : {}) },
  };
}

const fromSnapshot = (name: string): Json => ({
  dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name },
});

const getSnapshot = (name: string): Promise<Obj | undefined> =>
  admin.getIfExists<Obj>(VOLUME_SNAPSHOTS, NS, name);
const getContent = (name: string): Promise<Obj | undefined> =>
  admin.getIfExists<Obj>(VOLUME_SNAPSHOT_CONTENTS, undefined, name);

async function boundClaim(name: string): Promise<Obj> {
  return wait(`claim ${name} to be Bound`, async () => {
    const c = await admin.getIfExists<Obj>(PVCS, NS, name);
    return c?.status?.phase === 'Bound' ? c : undefined;
  });
}

async function readySnapshot(name: string): Promise<Obj> {
  return wait(`VolumeSnapshot ${name} to be ready`, async () => {
    const s = await getSnapshot(name);
    return s?.status?.readyToUse === true ? s : undefined;
  });
}

async function warning(name: string, reason: string): Promise<string> {
  return wait(`a ${reason} Event on ${name}`, async () => {
    const events = await admin.list<Json>(EVENTS, NS, { fieldSelector: `involvedObject.name=${name}` });
    return events.items.find((e) => e.reason === reason)?.message as string | undefined;
  });
}

const volumeDir = (c: Obj): string => path.join(root, (c.spec as Json).volumeName as string);

beforeAll(async () => {
  admin = await sharedClient();
  await installRbac(admin);
  // What `virtkit up` does: the snapshot CRDs where the cluster has none.
  await installVolumeSnapshotCrds(admin, volumeSnapshotCrds());
  await createNamespace(admin, NS);
  await admin.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE },
    provisioner: LOCAL_VOLUME_DRIVER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
  for (const [name, driver, deletionPolicy] of [
    [SNAP_CLASS, LOCAL_VOLUME_DRIVER, 'Delete'],
    [RETAIN_CLASS, LOCAL_VOLUME_DRIVER, 'Retain'],
    [OTHER_CLASS, 'other.csi.example.com', 'Delete'],
  ])
    await admin.create(VOLUME_SNAPSHOT_CLASSES, undefined, {
      apiVersion: 'snapshot.storage.k8s.io/v1',
      kind: 'VolumeSnapshotClass',
      metadata: { name },
      driver,
      deletionPolicy,
    });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-snapshots-'));
  const l = layout(readShared().stateDir);
  const as = (component: string): KubeClient =>
    KubeClient.connect({ kubeconfig: componentKubeconfig(l, component), fieldManager: component });
  controllerClient = as('virtkit-controller');
  handlerClient = as('virtkit-handler');
  const log = (component: string) =>
    createLogger({ component, destination: { write: (line: string) => void logs.push(line) } });
  const recorder = new EventRecorder(handlerClient, silentLogger(), 'virtkit-handler', NODE);
  provisioner = new LocalVolumeProvisioner({
    client: handlerClient,
    nodeName: NODE,
    root,
    recorder,
    log: log('provisioner'),
  });
  await provisioner.start();
  snapshotter = new LocalSnapshotter({
    client: handlerClient,
    nodeName: NODE,
    root,
    recorder,
    log: log('snapshotter'),
  });
  await snapshotter.start();
  manager = await ControllerManager.create({
    connection: { kubeconfig: componentKubeconfig(l, 'virtkit-controller') },
    namespace: NS,
    log: log('virtkit-controller'),
  });
  await manager.start();
});

afterAll(async () => {
  // Snapshots first, while the controller and the node still run to let their finalizers go.
  for (const s of (await admin.list<Obj>(VOLUME_SNAPSHOTS, NS).catch(() => ({ items: [] as Obj[] }))).items)
    await admin.delete(VOLUME_SNAPSHOTS, NS, s.metadata.name).catch(() => undefined);
  await wait('the suite snapshots to go', async () =>
    (await admin.list(VOLUME_SNAPSHOTS, NS)).items.length ? undefined : true,
  ).catch(() => undefined);
  for (const c of (await admin.list<Obj>(VOLUME_SNAPSHOT_CONTENTS)).items)
    if ((c.spec?.volumeSnapshotRef as Json | undefined)?.namespace === NS)
      await admin.delete(VOLUME_SNAPSHOT_CONTENTS, undefined, c.metadata.name).catch(() => undefined);
  await manager?.stop();
  await snapshotter?.stop();
  await deleteNamespace(admin, NS);
  await wait('the suite volumes to go', async () =>
    (await admin.list<Obj>(PVS)).items.some((v) => (v.spec?.storageClassName as string) === STORAGE)
      ? undefined
      : true,
  ).catch(() => undefined);
  await provisioner?.stop();
  // Contents a failed test left with the node's finalizer: nothing else will remove it.
  for (const c of (await admin.list<Obj>(VOLUME_SNAPSHOT_CONTENTS)).items)
    if ((c.spec?.volumeSnapshotRef as Json | undefined)?.namespace === NS && c.metadata.finalizers?.length)
      await admin
        .mergePatch(VOLUME_SNAPSHOT_CONTENTS, undefined, c.metadata.name, { metadata: { finalizers: null } })
        .catch(() => undefined);
  await admin.delete(STORAGE_CLASSES, undefined, STORAGE).catch(() => undefined);
  for (const c of [SNAP_CLASS, RETAIN_CLASS, OTHER_CLASS])
    await admin.delete(VOLUME_SNAPSHOT_CLASSES, undefined, c).catch(() => undefined);
  controllerClient?.close();
  handlerClient?.close();
  detachLoopsUnder(root);
  fs.rmSync(root, { recursive: true, force: true });
  if (process.env.VIRTKIT_IT_VERBOSE) console.error(logs.join(''));
});

describe('a Filesystem volume', () => {
  let original: string;
  let contentName: string;

  test('is snapshotted into a content of the local driver, on its node, checked and ready', async () => {
    await admin.create(PVCS, NS, claim('data'));
    const src = await boundClaim('data');
    // Known bytes at the start and far into the sparse file, as a guest would write them.
    const disk = path.join(volumeDir(src), 'disk.img');
    const fd = fs.openSync(disk, 'w', 0o600);
    fs.writeSync(fd, randomBytes(1 << 20), 0, 1 << 20, 0);
    fs.writeSync(fd, Buffer.from('the end of the disk'), 0, 19, 48 << 20);
    fs.closeSync(fd);
    original = sha256(disk);

    const created = await admin.create<Obj>(
      VOLUME_SNAPSHOTS,
      NS,
      snapshot('data-snap', { persistentVolumeClaimName: 'data' }, SNAP_CLASS),
    );
    const ready = await readySnapshot('data-snap');
    contentName = `snapcontent-${created.metadata.uid}`;
    expect(ready.status).toMatchObject({
      boundVolumeSnapshotContentName: contentName,
      readyToUse: true,
      restoreSize: '64Mi',
      creationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(ready.status?.error).toBeUndefined();
    expect(ready.metadata.finalizers).toContain(SNAPSHOT_BOUND_FINALIZER);

    const content = (await getContent(contentName))!;
    expect(content.metadata.annotations?.[SNAPSHOT_NODE_ANNOTATION]).toBe(NODE);
    expect(content.metadata.finalizers).toContain(CONTENT_BOUND_FINALIZER);
    expect(content.spec).toMatchObject({
      driver: LOCAL_VOLUME_DRIVER,
      deletionPolicy: 'Delete',
      volumeSnapshotClassName: SNAP_CLASS,
      sourceVolumeMode: 'Filesystem',
      source: { volumeHandle: (src.spec as Json).volumeName },
      volumeSnapshotRef: { name: 'data-snap', namespace: NS, uid: created.metadata.uid },
    });
    expect(content.status).toMatchObject({
      readyToUse: true,
      restoreSize: 64 * 2 ** 20,
      snapshotHandle: `${NODE}/${contentName}`,
    });
    const copy = path.join(root, 'snapshots', contentName, 'disk.img');
    expect(sha256(copy)).toBe(original);
    expect(fs.readdirSync(path.join(root, 'snapshots')).filter((n) => n.startsWith('.partial-'))).toEqual([]);
    // The claim was protected while the snapshot was taken, and is let go once it is ready.
    await wait('pvc-as-source-protection to go from the ready snapshot claim', async () =>
      ((await admin.get<Obj>(PVCS, NS, 'data')).metadata.finalizers ?? []).includes(PVC_AS_SOURCE_FINALIZER)
        ? undefined
        : true,
    );
  });

  test('a claim with the snapshot as dataSource gets the snapshot data, not the current data', async () => {
    const src = await admin.get<Obj>(PVCS, NS, 'data');
    fs.writeFileSync(path.join(volumeDir(src), 'disk.img'), 'overwritten after the snapshot');
    await admin.create(PVCS, NS, claim('restored', fromSnapshot('data-snap')));
    const restored = await boundClaim('restored');
    expect(volumeDir(restored)).not.toBe(volumeDir(src));
    expect(sha256(path.join(volumeDir(restored), 'disk.img'))).toBe(original);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.restoring-'))).toEqual([]);
  });

  test('a claim smaller than the restore size is refused, naming both sizes', async () => {
    await admin.create(PVCS, NS, claim('too-small', fromSnapshot('data-snap'), '32Mi'));
    expect(await warning('too-small', 'ProvisioningFailed')).toBe(
      `PersistentVolumeClaim ${NS}/too-small: spec.resources.requests.storage "32Mi" is smaller than the restore size of VolumeSnapshot ${NS}/data-snap (status.restoreSize 64Mi); request at least 64Mi`,
    );
    expect((await admin.get<Obj>(PVCS, NS, 'too-small')).status?.phase).toBe('Pending');
  });

  test('deleting the snapshot deletes its content and its data', async () => {
    const dir = path.join(root, 'snapshots', contentName);
    expect(fs.existsSync(dir)).toBe(true);
    await admin.delete(VOLUME_SNAPSHOTS, NS, 'data-snap');
    await wait('the snapshot to go', async () => ((await getSnapshot('data-snap')) ? undefined : true));
    await wait('its content to go', async () => ((await getContent(contentName)) ? undefined : true));
    expect(fs.existsSync(dir)).toBe(false);
    // The restored claim keeps its own copy.
    const restored = await admin.get<Obj>(PVCS, NS, 'restored');
    expect(sha256(path.join(volumeDir(restored), 'disk.img'))).toBe(original);
  });
});

test('a Retain snapshot keeps its data, and a pre-provisioned content binds it to a new snapshot', async () => {
  await admin.create(PVCS, NS, claim('kept'));
  const src = await boundClaim('kept');
  fs.writeFileSync(path.join(volumeDir(src), 'disk.img'), 'kept data');
  const first = await admin.create<Obj>(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('kept-snap', { persistentVolumeClaimName: 'kept' }, RETAIN_CLASS),
  );
  await readySnapshot('kept-snap');
  const retained = `snapcontent-${first.metadata.uid}`;
  const handle = (await getContent(retained))!.status?.snapshotHandle as string;
  expect(handle).toBe(`${NODE}/${retained}`);
  expect((await getContent(retained))!.metadata.finalizers ?? []).not.toContain(CONTENT_BOUND_FINALIZER);
  await admin.delete(VOLUME_SNAPSHOTS, NS, 'kept-snap');
  await wait('the Retain snapshot to go', async () => ((await getSnapshot('kept-snap')) ? undefined : true));
  await new Promise((r) => setTimeout(r, 2000));
  expect(await getContent(retained)).toBeDefined();
  expect(fs.existsSync(path.join(root, 'snapshots', retained, 'disk.img'))).toBe(true);

  // An administrator hands the data to a new snapshot: a content naming it, then the snapshot.
  await admin.create(VOLUME_SNAPSHOT_CONTENTS, undefined, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotContent',
    metadata: { name: `it-imported-${id}` },
    spec: {
      driver: LOCAL_VOLUME_DRIVER,
      deletionPolicy: 'Retain',
      source: { snapshotHandle: handle },
      sourceVolumeMode: 'Filesystem',
      volumeSnapshotRef: { name: 'imported', namespace: NS },
    },
  });
  await admin.create(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('imported', { volumeSnapshotContentName: `it-imported-${id}` }),
  );
  const imported = await readySnapshot('imported');
  expect(imported.status).toMatchObject({
    boundVolumeSnapshotContentName: `it-imported-${id}`,
    restoreSize: '64Mi',
  });
  const content = (await getContent(`it-imported-${id}`))!;
  expect((content.spec as Json).volumeSnapshotRef).toMatchObject({ uid: imported.metadata.uid });
  expect(content.metadata.annotations?.[SNAPSHOT_NODE_ANNOTATION]).toBe(NODE);
  await admin.create(PVCS, NS, claim('from-imported', fromSnapshot('imported')));
  const restored = await boundClaim('from-imported');
  expect(fs.readFileSync(path.join(volumeDir(restored), 'disk.img'), 'utf8')).toBe('kept data');
  // Retain again: the snapshot goes, the content and the data stay until removed by hand.
  await admin.delete(VOLUME_SNAPSHOTS, NS, 'imported');
  await wait('the imported snapshot to go', async () => ((await getSnapshot('imported')) ? undefined : true));
  expect(await getContent(`it-imported-${id}`)).toBeDefined();
  for (const name of [retained, `it-imported-${id}`])
    await admin.delete(VOLUME_SNAPSHOT_CONTENTS, undefined, name);
});

test('a Block volume is snapshotted and restored into a larger Block claim', async () => {
  await admin.create(PVCS, NS, claim('raw', { volumeMode: 'Block' }, '16Mi'));
  const src = await boundClaim('raw');
  const backing = path.join(volumeDir(src), 'block.img');
  const fd = fs.openSync(path.join(volumeDir(src), 'device'), 'r+');
  fs.writeSync(fd, Buffer.from('block data'), 0, 10, 8192);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const original = sha256(backing);
  await admin.create(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('raw-snap', { persistentVolumeClaimName: 'raw' }, SNAP_CLASS),
  );
  const ready = await readySnapshot('raw-snap');
  expect(ready.status?.restoreSize).toBe('16Mi');
  const content = (await getContent(ready.status?.boundVolumeSnapshotContentName as string))!;
  expect((content.spec as Json).sourceVolumeMode).toBe('Block');

  // The mode must match the snapshot's.
  await admin.create(PVCS, NS, claim('raw-as-fs', fromSnapshot('raw-snap'), '16Mi'));
  expect(await warning('raw-as-fs', 'ProvisioningFailed')).toMatch(
    /spec\.volumeMode Filesystem differs from the volume mode of VolumeSnapshot .*\/raw-snap \(Block\); set spec\.volumeMode: Block/,
  );

  await admin.create(
    PVCS,
    NS,
    claim('raw-restored', { volumeMode: 'Block', ...fromSnapshot('raw-snap') }, '32Mi'),
  );
  const restored = await boundClaim('raw-restored');
  const restoredBacking = path.join(volumeDir(restored), 'block.img');
  expect(fs.statSync(restoredBacking).size).toBe(32 * 2 ** 20);
  const head = fs.readFileSync(restoredBacking).subarray(0, 16 * 2 ** 20);
  expect(createHash('sha256').update(head).digest('hex')).toBe(original);
  expect(fs.statSync(path.join(volumeDir(restored), 'device')).isBlockDevice()).toBe(true);
});

test('a snapshot of a missing claim says so in status.error and gets no content', async () => {
  const s = await admin.create<Obj>(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('ghost', { persistentVolumeClaimName: 'no-such-claim' }, SNAP_CLASS),
  );
  const failed = await wait('status.error on ghost', async () => {
    const g = await getSnapshot('ghost');
    return g?.status?.error?.message ? g : undefined;
  });
  expect(failed.status?.error?.message).toBe(
    `VolumeSnapshot ${NS}/ghost: spec.source.persistentVolumeClaimName "no-such-claim" names no PersistentVolumeClaim in namespace ${NS}; create the claim or fix the name (the snapshot is taken once the claim exists and is Bound)`,
  );
  expect(failed.status?.readyToUse).toBe(false);
  expect(await warning('ghost', 'SnapshotCreationFailed')).toBe(failed.status?.error?.message);
  expect(await getContent(`snapcontent-${s.metadata.uid}`)).toBeUndefined();
});

test("a snapshot naming another driver's class is left alone", async () => {
  const s = await admin.create<Obj>(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('foreign', { persistentVolumeClaimName: 'not-ours' }, OTHER_CLASS),
  );
  // A snapshot after it, of ours, shows the controller has been through the queue.
  await admin.create(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('marker', { persistentVolumeClaimName: 'not-here' }, SNAP_CLASS),
  );
  await wait('the marker to be looked at', async () =>
    (await getSnapshot('marker'))?.status ? true : undefined,
  );
  await new Promise((r) => setTimeout(r, 2000));
  const foreign = (await getSnapshot('foreign'))!;
  expect(foreign.status).toBeUndefined();
  expect(foreign.metadata.finalizers ?? []).toEqual([]);
  expect(await getContent(`snapcontent-${s.metadata.uid}`)).toBeUndefined();
});

test("local mode's CRD install keeps the snapshot CRDs a cluster has; their rules hold without admission", async () => {
  expect(await installVolumeSnapshotCrds(admin, volumeSnapshotCrds())).toEqual([]);
  await expect(
    admin.create(
      VOLUME_SNAPSHOTS,
      NS,
      snapshot('both', { persistentVolumeClaimName: 'data', volumeSnapshotContentName: 'c' }),
    ),
  ).rejects.toThrow(
    /exactly one of spec\.source\.persistentVolumeClaimName and spec\.source\.volumeSnapshotContentName must be set/,
  );
  const s = await admin.create<Obj>(
    VOLUME_SNAPSHOTS,
    NS,
    snapshot('fixed', { persistentVolumeClaimName: 'a' }),
  );
  await expect(
    admin.replace(VOLUME_SNAPSHOTS, NS, 'fixed', {
      ...s,
      spec: { source: { persistentVolumeClaimName: 'b' } },
    }),
  ).rejects.toThrow(/spec\.source is immutable/);
});

test('each side has only the snapshot verbs it uses', async () => {
  const forbidden = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (err) {
      if ((err as { status?: number }).status === 403) return (err as Error).message;
      throw err;
    }
    throw new Error('allowed, but the role should not grant it');
  };
  // The node writes contents (their status, its annotation), never snapshots, and deletes none.
  expect(await forbidden(handlerClient.delete(VOLUME_SNAPSHOT_CONTENTS, undefined, 'any'))).toMatch(
    /may not delete volumesnapshotcontents\.snapshot\.storage\.k8s\.io/,
  );
  expect(await forbidden(handlerClient.list(VOLUME_SNAPSHOTS, NS))).toMatch(/may not list volumesnapshots/);
  expect(await forbidden(handlerClient.create(VOLUME_SNAPSHOT_CLASSES, undefined, {}))).toMatch(
    /may not create volumesnapshotclasses/,
  );
  // The controller never writes a content's status (the node does) nor the classes.
  expect(
    await forbidden(
      controllerClient.updateStatus(VOLUME_SNAPSHOT_CONTENTS, undefined, 'any', {
        metadata: { name: 'any' },
      }),
    ),
  ).toMatch(
    /cannot update resource "volumesnapshotcontents\/status" in API group "snapshot\.storage\.k8s\.io"/,
  );
  expect(await forbidden(controllerClient.delete(VOLUME_SNAPSHOT_CLASSES, undefined, 'any'))).toMatch(
    /may not delete volumesnapshotclasses/,
  );
});
