/**
 * DataVolumes end to end on the local runtime, with every component real: a VM whose
 * `dataVolumeTemplates` import the test guest as qcow2 from a loopback HTTP server (trickled, so
 * the DataVolume's progress is seen moving) and make a blank data disk on the default class
 * `local` (WaitForFirstConsumer: KubeVirt's ephemeral pod binds the claims first); the guest boots
 * from the imported disk, and what it writes on the blank disk survives stop and start. A
 * `volumeMode: Block` root disk is imported as raw onto its loop device and booted from. Bad
 * sources — a 404, a server that is not there, a corrupt image, an image larger than its claim —
 * each give the DataVolume a Running=False condition with CDI's words and a Warning Event, are
 * tried again with back-off, and leave no disk.img behind.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { createCounterDisk, ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { cloneSourcePod } from '../../api/cdi/clone-source-pod';
import { TestPki } from '../../common/test-pki.test-helper';
import { KubeClient, PODS } from '../../kube';
import { consoleHas, printableStatus, waitRunning, eventsOf } from './runtime-support/expect';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(900_000);

const NS = 'rt-datavolumes';
/** A second namespace, cloning from NS. */
const TEAM = 'rt-datavolumes-team';
const Mi = 2 ** 20;
let rt: Runtime;
let image: GuestImage;
let work: string;
let server: http.Server;
let base: string;
let tlsServer: https.Server;
let tlsBase: string;
let pki: TestPki;
/** Basic auth the HTTPS server wants (from the DataVolume's secretRef). */
const AUTH = `Basic ${Buffer.from('importer:s3cret-pass').toString('base64')}`;
const files = new Map<string, Buffer>();

type DvObj = Omit<Obj, 'status'> & {
  status?: {
    phase?: string;
    progress?: string;
    restartCount?: number;
    claimName?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
};

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const name = (req.url ?? '/').slice(1);
  const body = files.get(name);
  if (!body) return void res.writeHead(404, 'Not Found').end('no such file');
  res.writeHead(200, { 'content-length': body.length });
  // Trickled over about 8 s, so the DataVolume's progress is seen between 0 and 100%.
  const step = Math.ceil(body.length / 40);
  let off = 0;
  const next = (): void => {
    if (off >= body.length) return void res.end();
    res.write(body.subarray(off, off + step));
    off += step;
    setTimeout(next, 200);
  };
  next();
}

const dv = (name: string): DvObj | undefined => rt.get('dv', NS, name) as DvObj | undefined;
const condition = (d: DvObj | undefined, type: string) => d?.status?.conditions?.find((c) => c.type === type);

/** The directory of the local volume behind a claim (the handler's provisioner made it). */
function volumeDir(claim: string, namespace = NS): string | undefined {
  const pvc = rt.get('pvc', namespace, claim) as (Obj & { spec?: { volumeName?: string } }) | undefined;
  const pv = pvc?.spec?.volumeName
    ? (rt.get('pv', undefined, pvc.spec.volumeName) as Obj & { spec?: { local?: { path?: string } } })
    : undefined;
  return pv?.spec?.local?.path;
}

/** A VM that always runs, its disks (virtio, in order) the DataVolumes of its dataVolumeTemplates. */
function vmWithDataVolumes(
  name: string,
  templates: { disk: string; name: string; serial?: string; spec: Record<string, unknown> }[],
): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: templates.map((t) => ({ metadata: { name: t.name }, spec: t.spec })),
      template: {
        spec: {
          domain: {
            resources: { requests: { memory: '128Mi' } },
            devices: {
              autoattachGraphicsDevice: false,
              disks: templates.map((t) => ({
                name: t.disk,
                disk: { bus: 'virtio' },
                ...(t.serial ? { serial: t.serial } : {}),
              })),
            },
          },
          volumes: templates.map((t) => ({ name: t.disk, dataVolume: { name: t.name } })),
        },
      },
    },
  };
}

const events = (name: string) => eventsOf(rt, NS, name);

beforeAll(async () => {
  image = ensureGuestImage();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-dv-e2e-'));
  const qcow2 = path.join(work, 'guest.qcow2');
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', image.disk, qcow2]);
  files.set('guest.qcow2', fs.readFileSync(qcow2));
  // qcow2's magic, then nonsense: qemu-img refuses it.
  files.set('corrupt.qcow2', Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(4096, 7)]));
  // A valid qcow2 whose disk is far larger than the 64Mi claims below.
  const big = path.join(work, 'big.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, '1G']);
  files.set('big.qcow2', fs.readFileSync(big));
  server = http.createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // HTTPS with a private CA (the DataVolume's certConfigMap) and basic auth (its secretRef).
  pki = new TestPki().ca('ca').leaf('server', 'localhost', 'ca', { sans: ['IP:127.0.0.1'] });
  tlsServer = https.createServer(
    { cert: pki.read('server', 'crt'), key: pki.read('server', 'key') },
    (req, res) =>
      req.headers.authorization === AUTH ? serve(req, res) : void res.writeHead(401, 'Unauthorized').end(),
  );
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  rt = await Runtime.startAll(NS);
}, 900_000);

afterAll(async () => {
  await rt?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await new Promise((r) => (tlsServer ? tlsServer.close(r) : r(undefined)));
  pki?.remove();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('a VM with dataVolumeTemplates', () => {
  const progress = new Set<string>();
  const printable = new Set<string>();

  it('imports its root disk over HTTP (progress seen moving) and boots from it; the blank data disk is there', async () => {
    rt.apply(
      vmWithDataVolumes('imported', [
        {
          disk: 'root',
          name: 'imported-root',
          spec: {
            source: { http: { url: `${base}/guest.qcow2` } },
            storage: { resources: { requests: { storage: '64Mi' } } },
          },
        },
        {
          disk: 'data',
          name: 'imported-data',
          serial: 'data',
          spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '16Mi' } } } },
        },
      ]),
    );
    await rt.waitFor(
      'the root DataVolume to succeed',
      () => {
        const d = dv('imported-root');
        if (d?.status?.progress) progress.add(d.status.progress);
        const p = printableStatus(rt, NS, 'imported');
        if (p) printable.add(p);
        return d?.status?.phase === 'Succeeded' ? d : undefined;
      },
      600_000,
      () => dv('imported-root')?.status,
    );
    const root = dv('imported-root')!;
    expect(root.status?.progress).toBe('100.0%');
    expect(condition(root, 'Ready')?.status).toBe('True');
    expect(root.metadata.ownerReferences?.[0]).toMatchObject({
      uid: rt.get('vm', NS, 'imported')?.metadata.uid,
    });
    // Moving: some value strictly between 0 and 100%.
    expect(
      [...progress].some((p) => /^(\d+\.\d+)%$/.test(p) && parseFloat(p) > 0 && parseFloat(p) < 100),
    ).toBe(true);
    // While the claims waited for their first consumer, then while the import ran.
    expect(printable).toContain('Provisioning');
    expect(events('imported-root').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['ImportScheduled', 'ImportSucceeded']),
    );
    await waitRunning(rt, NS, 'imported', GuestMarkers.booted);
    expect(dv('imported-data')?.status?.phase).toBe('Succeeded');
    // The guest's bytes, at the start of a disk of CDI's usable size.
    const dir = volumeDir('imported-root')!;
    const disk = fs.readFileSync(path.join(dir, 'disk.img'));
    const guest = fs.readFileSync(image.disk);
    expect(createHash('sha256').update(disk.subarray(0, guest.length)).digest('hex')).toBe(
      createHash('sha256').update(guest).digest('hex'),
    );
    expect(disk.length).toBeGreaterThanOrEqual(60 * Mi);
    // The ephemeral provisioning pod did its work and went.
    expect(
      rt.list('pods', NS).filter((p) => p.metadata.annotations?.['kubevirt.io/ephemeral-provisioning']),
    ).toEqual([]);
  });

  it('what the guest writes on the blank disk survives stop and start', async () => {
    expect(rt.virtkit(['stop', 'imported', '-n', NS]).code).toBe(0);
    await rt.waitFor('the VM Stopped', () => printableStatus(rt, NS, 'imported') === 'Stopped', 240_000);
    // Make the blank disk a boot counter (as a user would put data on it); the guest counts up.
    const data = path.join(volumeDir('imported-data')!, 'disk.img');
    createCounterDisk(data, fs.statSync(data).size);
    for (const count of [1, 2]) {
      const before = rt.get('vmi', NS, 'imported')?.metadata.uid;
      expect(rt.virtkit(['start', 'imported', '-n', NS]).code).toBe(0);
      const vmi = await waitRunning(rt, NS, 'imported', GuestMarkers.booted, before);
      await rt.waitFor(`boot count ${count}`, () =>
        consoleHas(rt, NS, 'imported', `VIRTKIT-BOOT-COUNT dev=vdb serial=data count=${count}`),
      );
      expect(rt.virtkit(['stop', 'imported', '-n', NS]).code).toBe(0);
      await rt.waitFor(
        'the VMI gone',
        () => rt.get('vmi', NS, 'imported')?.metadata.uid !== vmi.metadata.uid,
      );
      await rt.waitFor('the VM Stopped', () => printableStatus(rt, NS, 'imported') === 'Stopped', 240_000);
    }
    const counter = fs.readFileSync(data).subarray(0, 26).toString('latin1');
    expect(counter).toBe('VIRTKIT-COUNTER:0000000002');
  });
});

describe('a Block DataVolume', () => {
  it("imports the qcow2 as raw onto the claim's loop device (no filesystem overhead) and the VM boots from it", async () => {
    rt.apply(
      vmWithDataVolumes('blocky', [
        {
          disk: 'root',
          name: 'blocky-root',
          spec: {
            source: { http: { url: `${base}/guest.qcow2` } },
            storage: {
              storageClassName: 'local',
              volumeMode: 'Block',
              resources: { requests: { storage: '64Mi' } },
            },
          },
        },
      ]),
    );
    await rt.waitFor(
      'the Block DataVolume to succeed',
      () => dv('blocky-root')?.status?.phase === 'Succeeded',
      600_000,
      () => dv('blocky-root')?.status,
    );
    const d = dv('blocky-root')!;
    expect(d.status?.progress).toBe('100.0%');
    expect(condition(d, 'Ready')?.status).toBe('True');
    expect(condition(d, 'Running')).toMatchObject({ status: 'False', reason: 'Completed' });
    // A Block claim is asked for as written: no room added for a filesystem.
    const pvc = rt.get('pvc', NS, 'blocky-root') as Obj & {
      spec?: { volumeMode?: string; resources?: { requests?: { storage?: string } } };
    };
    expect(pvc.spec).toMatchObject({ volumeMode: 'Block', resources: { requests: { storage: '64Mi' } } });
    // The device's first bytes are the guest image's raw bytes.
    const device = volumeDir('blocky-root')!;
    expect(fs.statSync(device).isBlockDevice()).toBe(true);
    const guest = fs.readFileSync(image.disk);
    const head = Buffer.alloc(guest.length);
    const fd = fs.openSync(device, 'r');
    try {
      fs.readSync(fd, head, 0, head.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    expect(createHash('sha256').update(head).digest('hex')).toBe(
      createHash('sha256').update(guest).digest('hex'),
    );
    await waitRunning(rt, NS, 'blocky', GuestMarkers.booted);
  });
});

describe('https with a private CA and credentials', () => {
  it('certConfigMap and secretRef: the import trusts the CA and authenticates; without the CA it is refused', async () => {
    rt.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'private-ca', namespace: NS },
      data: { 'ca.pem': pki.read('ca', 'crt').toString() },
    });
    rt.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'image-server', namespace: NS },
      stringData: { accessKeyId: 'importer', secretKey: 's3cret-pass' },
    });
    const tlsDv = (name: string, withCa: boolean): Record<string, unknown> => ({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name,
        namespace: NS,
        annotations: { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' },
      },
      spec: {
        source: {
          http: {
            url: `${tlsBase}/guest.qcow2`,
            secretRef: 'image-server',
            ...(withCa ? { certConfigMap: 'private-ca' } : {}),
          },
        },
        storage: { resources: { requests: { storage: '64Mi' } } },
      },
    });
    rt.apply(tlsDv('trusted', true));
    rt.apply(tlsDv('untrusted', false));
    await rt.waitFor(
      'the trusted import to succeed',
      () => dv('trusted')?.status?.phase === 'Succeeded',
      300_000,
      () => dv('trusted')?.status,
    );
    const untrusted = await rt.waitFor(
      'the untrusted import to fail',
      () => (condition(dv('untrusted'), 'Running')?.status === 'False' ? dv('untrusted') : undefined),
      300_000,
      () => dv('untrusted')?.status,
    );
    expect(condition(untrusted, 'Running')?.message).toMatch(/certificate|certConfigMap/i);
    // The credentials never reach a pod's spec as text: the importer pod names the Secret.
    const pod = rt.get('pod', NS, 'importer-untrusted');
    expect(JSON.stringify(pod?.spec)).not.toContain('s3cret-pass');
    rt.kubectl(['-n', NS, 'delete', 'dv', 'untrusted', '--wait=false']);
  });
});

describe('clones', () => {
  it("a DataVolume from a DataSource (sourceRef) clones the stopped VM's imported disk byte for byte", async () => {
    rt.apply({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataSource',
      metadata: { name: 'golden', namespace: NS },
      spec: { source: { pvc: { namespace: NS, name: 'imported-root' } } },
    });
    rt.apply({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name: 'cloned',
        namespace: NS,
        annotations: { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' },
      },
      spec: {
        sourceRef: { kind: 'DataSource', name: 'golden' },
        storage: { resources: { requests: { storage: '64Mi' } } },
      },
    });
    await rt.waitFor(
      'the clone to succeed',
      () => dv('cloned')?.status?.phase === 'Succeeded',
      300_000,
      () => dv('cloned')?.status,
    );
    expect(events('cloned').map((e) => e.reason)).toContain('CloneSucceeded');
    const sum = (claim: string): string =>
      createHash('sha256')
        .update(fs.readFileSync(path.join(volumeDir(claim)!, 'disk.img')))
        .digest('hex');
    expect(sum('cloned')).toBe(sum('imported-root'));
    const ds = rt.get('datasource', NS, 'golden');
    expect(ds?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a DataVolume in another namespace clones the DataSource through a source pod there, then the pod goes', async () => {
    rt.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: TEAM } });
    // A small clone's source pod can come and go between two polls: a watch on NS, open before
    // the DataVolume exists, sees every pod made there.
    const podsSeen = new Set<string>();
    const pods = KubeClient.connect({ kubeconfig: rt.kubeconfig, fieldManager: 'e2e' }).listWatch<Obj>(
      PODS,
      undefined,
      NS,
    );
    const podWatch = await pods.watch(
      (await pods.list()).resourceVersion,
      (_type, pod) => {
        const name = (pod as Obj).metadata?.name;
        if (name) podsSeen.add(name);
      },
      () => undefined,
    );
    rt.apply({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name: 'team-root',
        namespace: TEAM,
        annotations: { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' },
      },
      spec: {
        sourceRef: { kind: 'DataSource', namespace: NS, name: 'golden' },
        storage: { resources: { requests: { storage: '64Mi' } } },
      },
    });
    const teamDv = (): DvObj | undefined => rt.get('dv', TEAM, 'team-root') as DvObj | undefined;
    // The source pod runs in the DataSource's namespace, named after the target claim's uid.
    try {
      await rt.waitFor(
        'the clone to succeed',
        () => teamDv()?.status?.phase === 'Succeeded',
        300_000,
        () => teamDv()?.status,
      );
    } finally {
      podWatch.abort();
    }
    const claim = rt.get('pvc', TEAM, 'team-root') as Obj & {
      metadata: { annotations?: Record<string, string> };
    };
    const sourcePod = `${claim.metadata.uid}-source-pod`;
    expect([...podsSeen]).toContain(sourcePod);
    expect(claim.metadata.annotations?.['k8s.io/CloneRequest']).toBe(`${NS}/imported-root`);
    const sum = (claim: string, namespace: string): string =>
      createHash('sha256')
        .update(fs.readFileSync(path.join(volumeDir(claim, namespace)!, 'disk.img')))
        .digest('hex');
    expect(sum('team-root', TEAM)).toBe(sum('imported-root', NS));
    // Done: neither the source pod nor the target's upload server is left.
    await rt.waitFor('the source pod to go', () => rt.get('pod', NS, sourcePod) === undefined, 60_000);
    expect(rt.list('pod', TEAM, 'app=containerized-data-importer')).toEqual([]);
  });

  it('a source pod made by hand cannot push into a claim that did not ask for its clone', async () => {
    // A claim in TEAM that asked for nothing, and a "source pod" in NS aimed at it.
    rt.apply({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'victim', namespace: TEAM },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
    });
    const victim = rt.get('pvc', TEAM, 'victim')!;
    const pod = cloneSourcePod({
      source: { namespace: NS, claim: 'imported-root' },
      target: { namespace: TEAM, claim: 'victim', uid: victim.metadata.uid! },
      image: 'virtkit:dev',
      nodeName: rt.nodeName,
    });
    // Without virtkit's target labels: the DataVolume controller would otherwise delete it at
    // once (a source pod for a claim with no DataVolume), and the runner never see it.
    const labels = (pod as { metadata: { labels: Record<string, string> } }).metadata.labels;
    delete labels['virtkit.io/clone-target-namespace'];
    delete labels['virtkit.io/clone-target-claim'];
    rt.apply(pod);
    const name = (pod as { metadata: { name: string } }).metadata.name;
    await rt.waitFor(
      'the pod to be refused',
      () => rt.get('pod', NS, name)?.status?.phase === 'Failed',
      60_000,
      () => rt.get('pod', NS, name)?.status,
    );
    const status = rt.get('pod', NS, name)?.status as {
      containerStatuses?: { state?: { terminated?: { message?: string } } }[];
    };
    expect(status.containerStatuses?.[0]?.state?.terminated?.message).toContain(
      `PersistentVolumeClaim ${TEAM}/victim did not ask for this clone`,
    );
    rt.kubectl(['-n', NS, 'delete', 'pod', name, '--wait=false']);
  });
});

describe('bad sources', () => {
  /** A DataVolume that binds at once (CDI's annotation), so its importer runs without a VM. */
  const badDv = (name: string, url: string): Record<string, unknown> => ({
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {
      name,
      namespace: NS,
      annotations: { 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' },
    },
    spec: { source: { http: { url } }, storage: { resources: { requests: { storage: '64Mi' } } } },
  });

  it.each([
    ['missing', () => `${base}/nope.qcow2`, /expected status code 200, got 404/],
    [
      'unreachable',
      () => 'http://127.0.0.1:9/guest.qcow2',
      /Unable to connect to http data source: HTTP request errored/,
    ],
    ['corrupt', () => `${base}/corrupt.qcow2`, /is not a usable disk image/],
    [
      'too-big',
      () => `${base}/big.qcow2`,
      /virtual image size \d+ is larger than the reported available storage \d+\. A larger PVC is required/,
    ],
  ])(
    '%s: Running=False with the reason, a Warning Event, retried with back-off, no disk.img left',
    async (name, url, message) => {
      rt.apply(badDv(name, url()));
      const failed = await rt.waitFor(
        `${name} to fail a second time`,
        () => {
          const d = dv(name);
          const running = condition(d, 'Running');
          return running?.status === 'False' && (d?.status?.restartCount ?? 0) >= 1 ? d : undefined;
        },
        300_000,
        () => dv(name)?.status,
      );
      expect(condition(failed, 'Running')).toMatchObject({
        reason: 'Error',
        message: expect.stringMatching(message),
      });
      expect(failed.status?.phase).not.toBe('Succeeded');
      expect(events(name).some((e) => e.type === 'Warning' && message.test(e.message ?? ''))).toBe(true);
      const dir = volumeDir(name);
      expect(dir).toBeDefined();
      expect(fs.readdirSync(dir!).filter((f) => f.startsWith('disk.img'))).toEqual([]);
      rt.kubectl(['-n', NS, 'delete', 'dv', name, '--wait=false']);
    },
  );
});
