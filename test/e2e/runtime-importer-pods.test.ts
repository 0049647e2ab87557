/**
 * CDI worker pods on the real local runtime, with no DataVolume controller involved: the test
 * writes claims of the default class `local` and importer pods by hand, exactly as
 * api/cdi/worker-pod.ts describes them, so the handler's worker-pod runner is tested on its own.
 * A loopback HTTP server serves the test guest as qcow2 (trickled, so progress is seen) and as
 * an .xz of the raw disk; the guest is also pushed to a real registry. Each import lands as
 * disk.img in the claim's volume directory with the guest's bytes and CDI's size; a 404 is
 * terminated with CDI's words and run again after kubelet's back-off; blank and clone work; an
 * ephemeral provisioning placeholder runs without a launcher.
 */
import { execFileSync, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  CDI_APP_LABEL,
  CDI_APP_LABEL_VALUE,
  CDI_COMPONENT_LABEL,
  CDI_IMPORTER_COMPONENT,
  DATA_MOUNT_PATH,
  DATA_VOLUME_NAME,
  EPHEMERAL_PROVISIONING_ANNOTATION,
  IMPORT_COMPLETE_MESSAGE,
  importerPodName,
  PROGRESS_CONDITION,
  SOURCE_MOUNT_PATH,
  SOURCE_VOLUME_NAME,
  WORKER_CONTAINER,
} from '../../api/cdi/worker-pod';
import { usableSpace } from '../../handler/importer/size';
import { ensureGuestImage, type GuestImage } from '../fixtures/guest/build';
import { TestRegistry } from '../fixtures/registry';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(900_000);

const NS = 'rt-importer';
const Mi = 2 ** 20;
const CLAIM = '64Mi';
const DISK_SIZE = usableSpace(0.055, 64 * Mi);
const VIRTKIT = path.resolve(__dirname, '../../bin/virtkit.js');

let rt: Runtime;
let reg: TestRegistry;
let image: GuestImage;
let work: string;
let server: http.Server;
let base: string;
let guestSum: string;
let guestBytes: number;
const files = new Map<string, Buffer>();

type ContainerStatus = {
  restartCount?: number;
  state?: Record<string, { reason?: string; message?: string; exitCode?: number }>;
  lastState?: { terminated?: { message?: string; exitCode?: number; reason?: string } };
};
type PodObj = Omit<Obj, 'status'> & {
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatus[];
    conditions?: { type: string; status: string; message?: string }[];
  };
};

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const slow = url.pathname.startsWith('/slow/');
  const body = files.get(url.pathname.replace(/^\/slow\//, '/').slice(1));
  if (!body) return void res.writeHead(404, 'Not Found').end('no such file');
  res.writeHead(200, { 'content-length': body.length });
  if (!slow) return void res.end(body);
  // Trickled over about 4 s, so a Running pod with progress is seen.
  const step = Math.ceil(body.length / 20);
  let off = 0;
  const next = (): void => {
    if (off >= body.length) return void res.end();
    res.write(body.subarray(off, off + step));
    off += step;
    setTimeout(next, 200);
  };
  next();
}

beforeAll(async () => {
  image = ensureGuestImage();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-importer-e2e-'));
  const raw = fs.readFileSync(image.disk);
  guestBytes = raw.length;
  guestSum = createHash('sha256').update(raw).digest('hex');
  const qcow2 = path.join(work, 'guest.qcow2');
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', image.disk, qcow2]);
  files.set('guest.qcow2', fs.readFileSync(qcow2));
  files.set('guest.img.xz', execFileSync('xz', ['-T1', '-0', '-c', image.disk], { maxBuffer: 256 * Mi }));
  server = http.createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  reg = await TestRegistry.start();
  const push = spawnSync(
    process.execPath,
    [VIRTKIT, 'image', 'push', image.disk, `${reg.host}/virtkit/testguest:v1`],
    {
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (push.status !== 0) throw new Error(`virtkit image push failed: ${push.stderr}`);
  rt = await Runtime.startAll(NS, { featureGates: [] });
}, 900_000);

afterAll(async () => {
  await rt?.stop();
  await reg?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

function claim(name: string): void {
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: NS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: CLAIM } } },
  });
}

/** An importer pod as the DataVolume controller writes it (api/cdi/worker-pod.ts). */
function importerPod(claimName: string, env: Record<string, string>, sourceClaim?: string): void {
  rt.apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: importerPodName(claimName),
      namespace: NS,
      labels: { [CDI_APP_LABEL]: CDI_APP_LABEL_VALUE, [CDI_COMPONENT_LABEL]: CDI_IMPORTER_COMPONENT },
    },
    spec: {
      restartPolicy: 'OnFailure',
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: WORKER_CONTAINER,
          image: 'virtkit:dev',
          command: ['virtkit'],
          args: ['importer'],
          env: Object.entries({
            IMPORTER_CONTENTTYPE: 'kubevirt',
            IMPORTER_IMAGE_SIZE: CLAIM,
            FILESYSTEM_OVERHEAD: '0.055',
            ...env,
          }).map(([name, value]) => ({ name, value })),
          volumeMounts: [
            { name: DATA_VOLUME_NAME, mountPath: DATA_MOUNT_PATH },
            ...(sourceClaim
              ? [{ name: SOURCE_VOLUME_NAME, mountPath: SOURCE_MOUNT_PATH, readOnly: true }]
              : []),
          ],
        },
      ],
      volumes: [
        { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName } },
        ...(sourceClaim
          ? [{ name: SOURCE_VOLUME_NAME, persistentVolumeClaim: { claimName: sourceClaim, readOnly: true } }]
          : []),
      ],
    },
  });
}

const pod = (claimName: string): PodObj | undefined =>
  rt.get('pod', NS, importerPodName(claimName)) as PodObj | undefined;

async function succeeded(claimName: string): Promise<PodObj> {
  const p = await rt.waitFor(
    `importer pod of ${claimName} Succeeded`,
    () => {
      const got = pod(claimName);
      if (got?.status?.phase === 'Failed')
        throw new Error(`the import failed: ${JSON.stringify(got.status)}`);
      return got?.status?.phase === 'Succeeded' ? got : undefined;
    },
    300_000,
    () => pod(claimName)?.status,
  );
  const term = p.status?.containerStatuses?.[0]?.state?.terminated;
  expect(term).toMatchObject({ exitCode: 0, message: IMPORT_COMPLETE_MESSAGE });
  return p;
}

/** The claim's volume directory on the node. */
function volumeDir(claimName: string): string {
  const c = rt.get('pvc', NS, claimName) as Obj & { spec?: { volumeName?: string } };
  const pv = rt.get('pv', undefined, c.spec?.volumeName ?? '') as Obj & {
    spec?: { local?: { path?: string } };
  };
  const dir = pv.spec?.local?.path ?? '';
  expect(dir.startsWith(path.join(rt.handlerStateDir, 'volumes') + path.sep)).toBe(true);
  return dir;
}

/** disk.img holds the guest's raw bytes, then zeros, at CDI's size. */
function expectGuestDisk(claimName: string): void {
  const dir = volumeDir(claimName);
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  const disk = path.join(dir, 'disk.img');
  expect(fs.statSync(disk).size).toBe(DISK_SIZE);
  const data = fs.readFileSync(disk);
  expect(createHash('sha256').update(data.subarray(0, guestBytes)).digest('hex')).toBe(guestSum);
  expect(data.subarray(guestBytes).every((b) => b === 0)).toBe(true);
}

async function deletePod(claimName: string): Promise<void> {
  rt.kubectl(['-n', NS, 'delete', 'pod', importerPodName(claimName), '--wait=false']);
  await rt.waitFor(`importer pod of ${claimName} removed`, () => pod(claimName) === undefined, 60_000);
}

describe('worker pods', () => {
  it('http: a qcow2 shows progress while Running, Succeeds, and lands as the raw guest of CDI size; a 404 is retried after the back-off', async () => {
    claim('from-qcow2');
    claim('missing');
    importerPod('from-qcow2', { IMPORTER_SOURCE: 'http', IMPORTER_ENDPOINT: `${base}/slow/guest.qcow2` });
    importerPod('missing', { IMPORTER_SOURCE: 'http', IMPORTER_ENDPOINT: `${base}/nope.img` });

    const running = await rt.waitFor(
      'a Running importer pod with progress',
      () => {
        const p = pod('from-qcow2');
        const c = p?.status?.conditions?.find((x) => x.type === PROGRESS_CONDITION);
        return p?.status?.phase === 'Running' && c?.message ? c.message : undefined;
      },
      180_000,
      () => pod('from-qcow2')?.status,
    );
    expect(running).toMatch(/^\d{1,3}\.\d{2}%$/);
    const done = await succeeded('from-qcow2');
    expect(done.status?.conditions?.find((x) => x.type === PROGRESS_CONDITION)?.message).toBe('100.00%');
    expectGuestDisk('from-qcow2');

    // The 404: terminated with CDI's words, then (OnFailure) run again after 10 s of back-off.
    const failed = await rt.waitFor(
      'the 404 import failed and counted',
      () => {
        const cs = pod('missing')?.status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) >= 1 ? cs : undefined;
      },
      180_000,
      () => pod('missing')?.status,
    );
    expect(failed.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(failed.lastState?.terminated?.message).toMatch(
      /^Unable to connect to http data source: expected status code 200, got 404/,
    );
    expect(pod('missing')?.status?.phase).toBe('Running');
    await rt.waitFor(
      'the 404 import run again after the back-off',
      () => {
        const cs = pod('missing')?.status?.containerStatuses?.[0];
        return cs?.state?.waiting?.reason !== 'CrashLoopBackOff' || (cs?.restartCount ?? 0) >= 2;
      },
      60_000,
      () => pod('missing')?.status,
    );
    expect(fs.readFileSync(path.join(rt.dir, 'handler.log'), 'utf8')).toMatch(
      /importer started \(pid \d+, source http, run 2\)/,
    );
    await deletePod('missing');
    await deletePod('from-qcow2');
  });

  it('http: an .xz of the raw guest', async () => {
    claim('from-xz');
    importerPod('from-xz', { IMPORTER_SOURCE: 'http', IMPORTER_ENDPOINT: `${base}/guest.img.xz` });
    await succeeded('from-xz');
    expectGuestDisk('from-xz');
    await deletePod('from-xz');
  });

  it('registry: the guest pushed with virtkit image push', async () => {
    claim('from-registry');
    importerPod('from-registry', {
      IMPORTER_SOURCE: 'registry',
      IMPORTER_ENDPOINT: `docker://${reg.host}/virtkit/testguest:v1`,
    });
    await succeeded('from-registry');
    expectGuestDisk('from-registry');
    await deletePod('from-registry');
  });

  it('blank and a clone of the .xz import', async () => {
    claim('blank');
    claim('copy');
    importerPod('blank', { IMPORTER_SOURCE: 'none' });
    importerPod('copy', { IMPORTER_SOURCE: 'pvc' }, 'from-xz');
    await succeeded('blank');
    const blank = path.join(volumeDir('blank'), 'disk.img');
    expect(fs.statSync(blank).size).toBe(DISK_SIZE);
    expect(fs.statSync(blank).blocks * 512).toBeLessThan(Mi);
    await succeeded('copy');
    expectGuestDisk('copy');
    expectGuestDisk('from-xz');
    await deletePod('blank');
    await deletePod('copy');
    // Nothing of the runner's own is left behind.
    const workers = path.join(rt.handlerStateDir, 'workers');
    expect(fs.existsSync(workers) ? fs.readdirSync(workers) : []).toEqual([]);
  });

  it('an ephemeral provisioning pod goes Running and Ready and starts no launcher', async () => {
    rt.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'virt-launcher-provisioning',
        namespace: NS,
        labels: { 'kubevirt.io': 'virt-launcher' },
        annotations: { [EPHEMERAL_PROVISIONING_ANNOTATION]: 'true' },
      },
      spec: {
        automountServiceAccountToken: false,
        containers: [{ name: 'compute', image: 'virtkit:dev' }],
      },
    });
    const p = await rt.waitFor(
      'the placeholder Running and Ready',
      () => {
        const got = rt.get('pod', NS, 'virt-launcher-provisioning');
        return got?.status?.phase === 'Running' &&
          got.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          ? got
          : undefined;
      },
      120_000,
    );
    expect(fs.existsSync(path.join(rt.handlerStateDir, 'pods', p.metadata.uid))).toBe(false);
    expect(rt.liveLaunchers()).toEqual([]);
    rt.kubectl(['-n', NS, 'delete', 'pod', 'virt-launcher-provisioning', '--wait=false']);
    await rt.waitFor(
      'the placeholder removed',
      () => rt.get('pod', NS, 'virt-launcher-provisioning') === undefined,
      60_000,
    );
  });
});
