/**
 * VirtualMachineExport against the real control plane, every component under its own identity
 * and RBAC (api/install/rbac.ts): the controller (ControllerManager, whose export controller makes
 * the token Secret, the TLS Secret, the Service and the exporter pod), the node's local volume
 * provisioner and exporter pod runner and its node API (as the handler runs them), and `virtkit
 * api` with its node client certificate (the export proxy), started as local mode starts it.
 *
 * A claim is filled with known bytes (as the volume snapshot suite fills one), exported, and once
 * Ready its raw and gzip downloads through `virtkit api`'s export proxy (KubeVirt's external
 * layout) have the volume's sha256; a wrong or missing token gets 401; an export with a short
 * TTL is deleted, and its pod goes with it. A VirtualMachineSnapshot of a stopped VM using the
 * claim is exported after the claim changed: the export restores the claim from the snapshot
 * (the node's local snapshotter took it and restores it) into a claim of its own, its download
 * has the bytes of snapshot time, its VM manifest points at that claim, and deleting the export
 * deletes the claim.
 *
 * The test's Node carries a NoSchedule taint so no other suite's pod lands on it, and the test
 * binds the exporter pod to it (kube-scheduler's part) once the controller made it.
 */
import { spawn, type ChildProcess } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { CONTENT_TYPE_ANNOTATION } from '../../api/cdi/worker-pod';
import { volumeSnapshotCrds } from '../../api/crd/generate';
import { exporterPodName, externalBasePath } from '../../api/export/exporter-pod';
import { LOCAL_VOLUME_DRIVER } from '../../api/storage/local';
import { DEFAULT_SNAPSHOT_CLASS_ANNOTATION } from '../../api/volumesnapshot/v1/well-known';
import { installVolumeSnapshotCrds } from '../../cli/local/crds';
import { apiNodeClientArgs, apiServingArgs, apiServingFiles } from '../../cli/local/components';
import { componentKubeconfig, layout } from '../../cli/local/layout';
import { nodeApiPaths } from '../../cli/local/pki';
import { reservePorts } from '../../cli/local/ports';
import { installRbac } from '../../cli/local/rbac';
import { createLogger, silentLogger } from '../../common/log';
import { handlerEndpoint, HANDLER_ENDPOINT_ANNOTATION, NODE_API_CLIENT_NAME } from '../../common/node-api';
import { ControllerManager } from '../../controller/manager';
import { startNodeApiServer, type RunningNodeApi } from '../../handler/api/server';
import { ExporterPodRunner } from '../../handler/exporter/pod-runner';
import { defaultLauncherCommand } from '../../handler/pods/launcher-process';
import { LocalSnapshotter } from '../../handler/storage/local-snapshots';
import { LocalVolumeProvisioner } from '../../handler/storage/local-volumes';
import {
  EventRecorder,
  KubeClient,
  NODES,
  PODS,
  PVCS,
  SECRETS,
  STORAGE_CLASSES,
  VIRTUAL_MACHINE_EXPORTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VIRTUAL_MACHINES,
  VOLUME_SNAPSHOT_CLASSES,
} from '../../kube';
import { detachLoopsUnder } from '../../handler/storage/loop-devices';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { REPO_ROOT } from './support/examples';
import { readShared } from './support/shared-controlplane';

const id = randomBytes(3).toString('hex');
const NS = `vm-export-${id}`;
const STORAGE = `it-export-local-${id}`;
const SNAP_CLASS = `it-export-snap-${id}`;
const NODE = `it-export-node-${id}`;
const TAINT = 'virtkit.io/it-vm-export';

type Obj = Json & {
  metadata: Json & { name: string; uid: string; annotations?: Record<string, string> };
  spec?: Json;
  status?: Json & { phase?: string; tokenSecretRef?: string; links?: Json; conditions?: Json[] };
};

let admin: KubeClient;
let controllerClient: KubeClient;
let handlerClient: KubeClient;
let root: string;
let stateDir: string;
let provisioner: LocalVolumeProvisioner;
let snapshotter: LocalSnapshotter;
let runner: ExporterPodRunner;
let nodeApi: RunningNodeApi;
let manager: ControllerManager;
let api: ChildProcess | undefined;
let apiPort = 0;
let apiLog = '';
const logs: string[] = [];

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventually(what, probe, {
    timeoutMs,
    context: () => `logs:\n${logs.slice(-40).join('')}\nvirtkit api:\n${apiLog.slice(-4000)}`,
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  const ca = fs.readFileSync(apiServingFiles(layout(readShared().stateDir)).ca);
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** The URL of `format` of volume `vol` through this suite's `virtkit api`, in KubeVirt's external layout. */
function externalUrl(e: Obj, vol: string, format: string): string {
  const suffix = { raw: 'disk.img', gzip: 'disk.img.gz' }[format];
  const path0 = `${externalBasePath(NS, e.metadata.name)}/volumes/${vol}/${suffix}`;
  // When the cluster's virtkit-api Service names this suite's api, the link is ours as it stands.
  const ext = (
    e.status?.links as {
      external?: { volumes?: { name: string; formats: { format: string; url: string }[] }[] };
    }
  )?.external;
  const link = ext?.volumes?.find((v) => v.name === vol)?.formats.find((f) => f.format === format)?.url;
  if (link) expect(new URL(link).pathname).toBe(path0);
  return `https://127.0.0.1:${apiPort}${path0}`;
}

beforeAll(async () => {
  admin = await sharedClient();
  await installRbac(admin);
  // What `virtkit up` does: the snapshot CRDs where the cluster has none.
  await installVolumeSnapshotCrds(admin, volumeSnapshotCrds());
  await createNamespace(admin, NS);
  // The default class of the local driver, so another suite's classes of it leave the choice clear.
  await admin.create(VOLUME_SNAPSHOT_CLASSES, undefined, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name: SNAP_CLASS, annotations: { [DEFAULT_SNAPSHOT_CLASS_ANNOTATION]: 'true' } },
    driver: LOCAL_VOLUME_DRIVER,
    deletionPolicy: 'Delete',
  });
  await admin.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE },
    provisioner: LOCAL_VOLUME_DRIVER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-export-volumes-'));
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-export-state-'));
  const l = layout(readShared().stateDir);
  const as = (component: string): KubeClient =>
    KubeClient.connect({ kubeconfig: componentKubeconfig(l, component), fieldManager: component });
  controllerClient = as('virtkit-controller');
  handlerClient = as('virtkit-handler');
  const log = (component: string) =>
    createLogger({ component, destination: { write: (line: string) => void logs.push(line) } });

  // The node: the handler's node API (mutual TLS, `virtkit api`'s client only) published on it.
  const files = nodeApiPaths(l.pkiDir);
  nodeApi = await startNodeApiServer({
    tls: { certFile: files.servingCert, keyFile: files.servingKey, clientCaFile: files.ca },
    allowedClients: [NODE_API_CLIENT_NAME],
    host: '127.0.0.1',
    port: 0,
    nodeName: NODE,
    locator: { locate: () => ({ kind: 'absent' }) },
    exportEndpoint: (ns, name) => runner?.exportEndpoint(ns, name),
    log: log('node-api'),
  });
  await admin.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE,
      annotations: { [HANDLER_ENDPOINT_ANNOTATION]: handlerEndpoint('127.0.0.1', nodeApi.port) },
    },
    spec: { taints: [{ key: TAINT, value: 'true', effect: 'NoSchedule' }] },
  });
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
  // `virtkit exporter` runs from this checkout, as the handler runs it.
  process.env.TS_NODE_PROJECT = path.join(REPO_ROOT, 'tsconfig.json');
  runner = new ExporterPodRunner({
    client: handlerClient,
    nodeName: NODE,
    stateDir,
    volumeRoot: root,
    hostIP: '127.0.0.1',
    command: defaultLauncherCommand(),
    log: log('exporter-runner'),
  });
  await runner.start();

  // `virtkit api` as local mode starts it: its identity, serving certificate and node client certificate.
  ({ port: apiPort } = await reservePorts({ port: undefined }));
  api = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin', 'virtkit.js'),
      'api',
      '--kubeconfig',
      componentKubeconfig(l, 'virtkit-api'),
      ...apiServingArgs(l, apiPort),
      ...apiNodeClientArgs(l),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  api.stdout?.on('data', (d: Buffer) => void (apiLog += d.toString()));
  api.stderr?.on('data', (d: Buffer) => void (apiLog += d.toString()));
  await wait(
    'virtkit api to serve',
    async () => (apiLog.includes('serving admission') ? true : undefined),
    90_000,
  );

  manager = await ControllerManager.create({
    connection: { kubeconfig: componentKubeconfig(l, 'virtkit-controller') },
    namespace: NS,
    log: log('virtkit-controller'),
  });
  await manager.start();
}, 180_000);

afterAll(async () => {
  // Snapshots first, while the controller runs to let their finalizers (and the VM's) go.
  await admin.delete(VIRTUAL_MACHINE_SNAPSHOTS, NS, 'snap').catch(() => undefined);
  await wait('the suite snapshots to go', async () =>
    (await admin.list(VIRTUAL_MACHINE_SNAPSHOTS, NS)).items.length ? undefined : true,
  ).catch(() => undefined);
  await manager?.stop();
  await runner?.stop();
  await deleteNamespace(admin, NS);
  await wait('the suite volumes to go', async () =>
    (await admin.list(PVCS, NS)).items.length ? undefined : true,
  ).catch(() => undefined);
  await snapshotter?.stop();
  await provisioner?.stop();
  await nodeApi?.close();
  if (api && api.exitCode === null) api.kill('SIGTERM');
  await admin.delete(NODES, undefined, NODE).catch(() => undefined);
  await admin.delete(STORAGE_CLASSES, undefined, STORAGE).catch(() => undefined);
  await admin.delete(VOLUME_SNAPSHOT_CLASSES, undefined, SNAP_CLASS).catch(() => undefined);
  controllerClient?.close();
  handlerClient?.close();
  detachLoopsUnder(root);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(stateDir, { recursive: true, force: true });
  if (process.env.VIRTKIT_IT_VERBOSE) console.error(logs.join(''));
});

/** kube-scheduler's part for this suite's tainted node: bind the export's pod to it. */
async function bindExporterPod(exportName: string): Promise<void> {
  const name = exporterPodName(exportName);
  const pod = await wait(`pod ${name} to be created`, () => admin.getIfExists<Obj>(PODS, NS, name));
  if ((pod.spec as Json | undefined)?.nodeName) return;
  await admin.createSubresource(PODS, NS, name, 'binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name, namespace: NS },
    target: { apiVersion: 'v1', kind: 'Node', name: NODE },
  });
}

async function readyExport(name: string): Promise<Obj> {
  await bindExporterPod(name);
  return wait(`VirtualMachineExport ${name} to be Ready`, async () => {
    const e = await admin.getIfExists<Obj>(VIRTUAL_MACHINE_EXPORTS, NS, name);
    return e?.status?.phase === 'Ready' ? e : undefined;
  });
}

let disk: Buffer;

test('a claim with known bytes is exported: raw and gzip through virtkit api have its sha256', async () => {
  await admin.create(PVCS, NS, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    // CDI's content type: the claim holds a disk image (raw and gzip), not a directory.
    metadata: { name: 'data', namespace: NS, annotations: { [CONTENT_TYPE_ANNOTATION]: 'kubevirt' } },
    spec: {
      storageClassName: STORAGE,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '64Mi' } },
    },
  });
  const claim = await wait('claim data to be Bound', async () => {
    const c = await admin.getIfExists<Obj>(PVCS, NS, 'data');
    return c?.status?.phase === 'Bound' ? c : undefined;
  });
  const file = path.join(root, (claim.spec as Json).volumeName as string, 'disk.img');
  const fd = fs.openSync(file, 'w', 0o600);
  fs.writeSync(fd, randomBytes(1 << 20), 0, 1 << 20, 0);
  fs.writeSync(fd, Buffer.from('the end of the disk'), 0, 19, 8 << 20);
  fs.closeSync(fd);
  disk = fs.readFileSync(file);

  await admin.create(VIRTUAL_MACHINE_EXPORTS, NS, {
    apiVersion: 'export.kubevirt.io/v1',
    kind: 'VirtualMachineExport',
    metadata: { name: 'data-export', namespace: NS },
    spec: { source: { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'data' } },
  });
  const e = await readyExport('data-export');
  expect(e.status).toMatchObject({
    phase: 'Ready',
    serviceName: 'virt-export-data-export',
    tokenSecretRef: 'export-token-data-export',
    ttlExpirationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
  });
  const internal = (e.status?.links as { internal: { cert: string; volumes: unknown[] } }).internal;
  expect(internal.cert).toContain('BEGIN CERTIFICATE');
  expect(internal.volumes).toEqual([
    {
      name: 'data',
      formats: [
        { format: 'raw', url: `https://virt-export-data-export.${NS}.svc/volumes/data/disk.img` },
        { format: 'gzip', url: `https://virt-export-data-export.${NS}.svc/volumes/data/disk.img.gz` },
      ],
    },
  ]);
  const secret = await admin.get<{ data: Record<string, string> }>(SECRETS, NS, 'export-token-data-export');
  const token = Buffer.from(secret.data.token, 'base64').toString();
  expect(token).toMatch(/^[a-zA-Z0-9]{20}$/);

  const raw = await get(externalUrl(e, 'data', 'raw'), { 'x-kubevirt-export-token': token });
  expect(raw.status).toBe(200);
  expect(raw.body.length).toBe(disk.length);
  expect(sha256(raw.body)).toBe(sha256(disk));
  const gz = await get(`${externalUrl(e, 'data', 'gzip')}?x-kubevirt-export-token=${token}`);
  expect(gz.status).toBe(200);
  expect(sha256(gunzipSync(gz.body))).toBe(sha256(disk));
});

test('a wrong or missing token gets 401', async () => {
  const e = await admin.get<Obj>(VIRTUAL_MACHINE_EXPORTS, NS, 'data-export');
  expect(
    (await get(externalUrl(e, 'data', 'raw'), { 'x-kubevirt-export-token': 'not-the-token' })).status,
  ).toBe(401);
  expect((await get(externalUrl(e, 'data', 'raw'))).status).toBe(401);
});

test('an export with a short TTL is deleted, and its exporter pod with it', async () => {
  await admin.delete(VIRTUAL_MACHINE_EXPORTS, NS, 'data-export');
  await wait('the first export to go', async () =>
    (await admin.getIfExists(VIRTUAL_MACHINE_EXPORTS, NS, 'data-export')) ? undefined : true,
  );
  await admin.create(VIRTUAL_MACHINE_EXPORTS, NS, {
    apiVersion: 'export.kubevirt.io/v1',
    kind: 'VirtualMachineExport',
    metadata: { name: 'short', namespace: NS },
    spec: { source: { apiGroup: '', kind: 'PersistentVolumeClaim', name: 'data' }, ttlDuration: '40s' },
  });
  const e = await readyExport('short');
  expect(
    Date.parse(String(e.status?.ttlExpirationTime)) -
      Date.parse(String((e.metadata as Json).creationTimestamp)),
  ).toBe(40_000);
  await wait(
    'the export to be deleted after its TTL',
    async () => ((await admin.getIfExists(VIRTUAL_MACHINE_EXPORTS, NS, 'short')) ? undefined : true),
    120_000,
  );
  await wait(
    'its exporter pod to go',
    async () => ((await admin.getIfExists(PODS, NS, exporterPodName('short'))) ? undefined : true),
    120_000,
  );
  expect(runner.exportEndpoint(NS, 'short')).toBeUndefined();
});

test("a VirtualMachineSnapshot is exported with the data of snapshot time, from a claim of the export's own", async () => {
  // A stopped VM using the claim, snapshotted offline; then the claim changes.
  await admin.create(VIRTUAL_MACHINES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: NS },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            devices: { disks: [{ name: 'data', disk: { bus: 'virtio' } }] },
            memory: { guest: '128Mi' },
          },
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
        },
      },
    },
  });
  await admin.create(VIRTUAL_MACHINE_SNAPSHOTS, NS, {
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name: 'snap', namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' } },
  });
  await wait('VirtualMachineSnapshot snap to be ready to use', async () => {
    const s = await admin.getIfExists<Obj & { status?: { readyToUse?: boolean } }>(
      VIRTUAL_MACHINE_SNAPSHOTS,
      NS,
      'snap',
    );
    return s?.status?.readyToUse ? s : undefined;
  });
  const claim = await admin.get<Obj>(PVCS, NS, 'data');
  const file = path.join(root, (claim.spec as Json).volumeName as string, 'disk.img');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, randomBytes(1 << 20), 0, 1 << 20, 0);
  fs.closeSync(fd);
  expect(sha256(fs.readFileSync(file))).not.toBe(sha256(disk));

  await admin.create(VIRTUAL_MACHINE_EXPORTS, NS, {
    apiVersion: 'export.kubevirt.io/v1',
    kind: 'VirtualMachineExport',
    metadata: { name: 'snapexp', namespace: NS },
    spec: { source: { apiGroup: 'snapshot.kubevirt.io', kind: 'VirtualMachineSnapshot', name: 'snap' } },
  });
  const e = await readyExport('snapexp');
  expect(e.status).toMatchObject({ phase: 'Ready', virtualMachineName: 'web' });
  expect(e.status?.conditions).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ type: 'VolumesCreated', status: 'True', reason: 'AllPVCsReady' }),
    ]),
  );
  // The export restored the volume into a claim of its own, named KubeVirt's way.
  const restored = await admin.get<Obj & { metadata: { ownerReferences?: Json[] } }>(
    PVCS,
    NS,
    'snapexp-data',
  );
  expect(restored.metadata.ownerReferences).toEqual([
    expect.objectContaining({
      kind: 'VirtualMachineExport',
      name: 'snapexp',
      uid: e.metadata.uid,
      controller: true,
    }),
  ]);
  expect((restored.spec as Json).dataSource).toMatchObject({ kind: 'VolumeSnapshot' });
  // The links name the volume after the source claim; the URLs the claim served.
  const internal = (e.status?.links as { internal: { volumes: Json[] } }).internal;
  expect(internal.volumes).toEqual([
    {
      name: 'data',
      formats: [
        { format: 'raw', url: `https://virt-export-snapexp.${NS}.svc/volumes/snapexp-data/disk.img` },
        { format: 'gzip', url: `https://virt-export-snapexp.${NS}.svc/volumes/snapexp-data/disk.img.gz` },
      ],
    },
  ]);
  const secret = await admin.get<{ data: Record<string, string> }>(SECRETS, NS, 'export-token-snapexp');
  const token = Buffer.from(secret.data.token, 'base64').toString();
  const base = `https://127.0.0.1:${apiPort}${externalBasePath(NS, 'snapexp')}`;
  const raw = await get(`${base}/volumes/snapexp-data/disk.img`, { 'x-kubevirt-export-token': token });
  expect(raw.status).toBe(200);
  expect(sha256(raw.body)).toBe(sha256(disk));
  expect(sha256(raw.body)).not.toBe(sha256(fs.readFileSync(file)));

  // The VM manifest is the snapshot's VM; its claim is re-imported from the restored claim's URL.
  // (This suite's cluster names no external host, so the internal manifests are asked for.)
  const all = await get(`${base}/internal/manifests/all`, {
    'x-kubevirt-export-token': token,
    accept: 'application/json',
  });
  expect(`${all.status} ${all.status === 200 ? '' : all.body.toString()}`).toBe('200 ');
  const items = (JSON.parse(all.body.toString()) as { items: (Json & { kind: string; metadata: Json })[] })
    .items;
  expect(items.map((i) => `${i.kind}/${String(i.metadata.name)}`)).toEqual([
    'ConfigMap/export-ca-cm-snapexp',
    'VirtualMachine/web',
    'DataVolume/data',
  ]);
  expect(JSON.stringify(items[2])).toContain(
    `https://virt-export-snapexp.${NS}.svc/volumes/snapexp-data/disk.img.gz`,
  );

  await admin.delete(VIRTUAL_MACHINE_EXPORTS, NS, 'snapexp');
  await wait('the restored claim to go with its export', async () =>
    (await admin.getIfExists(PVCS, NS, 'snapexp-data')) ? undefined : true,
  );
});
