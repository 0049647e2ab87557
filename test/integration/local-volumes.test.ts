/**
 * The node's local volume provisioner against the real control plane: kube-controller-manager's
 * PV controller marks claims of a `virtkit.io/local-volume` class, the provisioner (as the
 * handler runs it) makes the directory and the PersistentVolume, the PV controller binds them,
 * and a deleted claim's volume and data go. kube-scheduler's part of WaitForFirstConsumer (it
 * writes the chosen node to the claim) is played by the test, which writes the annotation.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../common/log';
import { detachLoopsUnder } from '../../handler/storage/loop-devices';
import { LocalVolumeProvisioner } from '../../handler/storage/local-volumes';
import { LOCAL_PROVISIONER, SELECTED_NODE_ANNOTATION } from '../../handler/storage/local-volume-plan';
import { EventRecorder, EVENTS, PVCS, PVS, STORAGE_CLASSES } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json, type KubeClient } from './support/api';

const NS = `local-volumes-${process.pid}`;
const IMMEDIATE = `it-local-now-${process.pid}`;
const WAITING = `it-local-wait-${process.pid}`;
const NODE = 'it-node-a';

let client: KubeClient;
let root: string;
let provisioner: LocalVolumeProvisioner;

function storageClass(name: string, mode: string): Json {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: mode,
  };
}

function claim(name: string, cls: string, extra: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: {
      storageClassName: cls,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '64Mi' } },
      ...extra,
    },
  };
}

async function waitFor<T>(what: string, read: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const getClaim = (name: string): Promise<Json | undefined> => client.getIfExists<Json>(PVCS, NS, name);

const newProvisioner = (): LocalVolumeProvisioner =>
  new LocalVolumeProvisioner({
    client,
    nodeName: NODE,
    root,
    recorder: new EventRecorder(client, silentLogger(), 'virtkit-handler', NODE),
    log: silentLogger(),
  });

beforeAll(async () => {
  client = await sharedClient();
  await createNamespace(client, NS);
  for (const [n, m] of [
    [IMMEDIATE, 'Immediate'],
    [WAITING, 'WaitForFirstConsumer'],
  ])
    await client.create(STORAGE_CLASSES, undefined, storageClass(n, m));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-volumes-'));
  provisioner = newProvisioner();
  await provisioner.start();
});

afterAll(async () => {
  await provisioner?.stop();
  await deleteNamespace(client, NS);
  for (const n of [IMMEDIATE, WAITING])
    await client.delete(STORAGE_CLASSES, undefined, n).catch(() => undefined);
  // A Block claim a failed test left behind keeps its loop device until detached.
  detachLoopsUnder(root);
  fs.rmSync(root, { recursive: true, force: true });
});

test('an Immediate claim gets a directory and a PersistentVolume on this node, bound by the cluster', async () => {
  const created = await client.create<Json>(PVCS, NS, claim('data', IMMEDIATE));
  const bound = await waitFor('the claim to be Bound', async () => {
    const c = await getClaim('data');
    return (c?.status as Json | undefined)?.phase === 'Bound' ? c : undefined;
  });
  const uid = (created.metadata as Json).uid as string;
  expect((bound.spec as Json).volumeName).toBe(`pvc-${uid}`);
  const pv = await client.get<Json>(PVS, undefined, `pvc-${uid}`);
  expect(pv).toMatchObject({
    metadata: { annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PROVISIONER } },
    spec: {
      capacity: { storage: '64Mi' },
      local: { path: path.join(root, `pvc-${uid}`) },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: IMMEDIATE,
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] },
          ],
        },
      },
    },
  });
  expect(fs.statSync(path.join(root, `pvc-${uid}`)).mode & 0o777).toBe(0o700);
  const events = await client.list<Json>(EVENTS, NS, { fieldSelector: 'involvedObject.name=data' });
  expect(events.items.map((e) => e.reason)).toContain('ProvisioningSucceeded');
});

test('deleting the claim deletes its volume and its data', async () => {
  const c = (await getClaim('data'))!;
  const volume = (c.spec as Json).volumeName as string;
  fs.writeFileSync(path.join(root, volume, 'disk.img'), 'guest data');
  await client.delete(PVCS, NS, 'data');
  await waitFor('the volume to go', async () =>
    (await client.getIfExists(PVS, undefined, volume)) ? undefined : true,
  );
  expect(fs.existsSync(path.join(root, volume))).toBe(false);
});

test('WaitForFirstConsumer: nothing until the scheduler picks a node; another node is not ours', async () => {
  await client.create(PVCS, NS, claim('later', WAITING));
  await client.create(PVCS, NS, claim('elsewhere', WAITING));
  await new Promise((r) => setTimeout(r, 3000));
  expect(((await getClaim('later'))?.status as Json).phase).toBe('Pending');
  expect(fs.readdirSync(root)).toEqual([]);
  // What kube-scheduler writes when it places the claim's first pod.
  const annotate = (name: string, node: string): Promise<unknown> =>
    client.mergePatch(PVCS, NS, name, { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node } } });
  await annotate('later', NODE);
  await annotate('elsewhere', 'it-node-b');
  await waitFor('later to be Bound', async () =>
    ((await getClaim('later'))?.status as Json | undefined)?.phase === 'Bound' ? true : undefined,
  );
  await new Promise((r) => setTimeout(r, 2000));
  expect(((await getClaim('elsewhere'))?.status as Json).phase).toBe('Pending');
  expect(fs.readdirSync(root)).toHaveLength(1);
});

test('a Block claim is a loop device of its size behind a stable node; deleting the claim detaches and removes it', async () => {
  const created = await client.create<Json>(PVCS, NS, claim('raw', IMMEDIATE, { volumeMode: 'Block' }));
  const uid = (created.metadata as Json).uid as string;
  await waitFor('the Block claim to be Bound', async () =>
    ((await getClaim('raw'))?.status as Json | undefined)?.phase === 'Bound' ? true : undefined,
  );
  const pv = await client.get<Json>(PVS, undefined, `pvc-${uid}`);
  const node = path.join(root, `pvc-${uid}`, 'device');
  expect(pv.spec).toMatchObject({ volumeMode: 'Block', local: { path: node } });
  const st = fs.statSync(node);
  expect(st.isBlockDevice()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
  expect(execFileSync('blockdev', ['--getsize64', node], { encoding: 'utf8' }).trim()).toBe(
    String(64 * 2 ** 20),
  );
  // What is written to the device is in the backing file (the guest's data lives there).
  const fd = fs.openSync(node, 'r+');
  fs.writeSync(fd, Buffer.from('block data'), 0, 10, 4096);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const backing = path.join(root, `pvc-${uid}`, 'block.img');
  expect(fs.readFileSync(backing).subarray(4096, 4106).toString()).toBe('block data');

  // A node reboot loses loop devices: a handler that starts again attaches the volume again,
  // and the same path reads the same data.
  await provisioner.stop();
  for (const dev of execFileSync('losetup', ['--associated', backing, '--noheadings', '--output', 'NAME'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean))
    execFileSync('losetup', ['--detach', dev.trim()]);
  provisioner = newProvisioner();
  await provisioner.start();
  const again = await waitFor('the loop device to be attached again', async () => {
    try {
      const f = fs.openSync(node, 'r');
      const b = Buffer.alloc(10);
      fs.readSync(f, b, 0, 10, 4096);
      fs.closeSync(f);
      // A detached loop device reads as empty: wait for the data.
      return b.toString() === 'block data' ? b.toString() : undefined;
    } catch {
      return undefined;
    }
  });
  expect(again).toBe('block data');

  await client.delete(PVCS, NS, 'raw');
  await waitFor('the Block volume to go', async () =>
    (await client.getIfExists(PVS, undefined, `pvc-${uid}`)) ? undefined : true,
  );
  expect(fs.existsSync(path.join(root, `pvc-${uid}`))).toBe(false);
  expect(
    execFileSync('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE'], { encoding: 'utf8' }),
  ).not.toContain(backing);
});

test('a ReadWriteMany claim is refused with a ProvisioningFailed Event naming the fix', async () => {
  await client.create(PVCS, NS, claim('shared', IMMEDIATE, { accessModes: ['ReadWriteMany'] }));
  const failed = async (name: string): Promise<string | undefined> => {
    const events = await client.list<Json>(EVENTS, NS, { fieldSelector: `involvedObject.name=${name}` });
    return events.items.find((e) => e.reason === 'ProvisioningFailed')?.message as string | undefined;
  };
  expect(await waitFor('the ReadWriteMany refusal', () => failed('shared'))).toMatch(
    /spec.accessModes ReadWriteMany cannot be served by a volume on one node; use ReadWriteOnce/,
  );
  expect(((await getClaim('shared'))?.status as Json).phase).toBe('Pending');
});
