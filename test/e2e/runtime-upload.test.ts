/**
 * CDI uploads on the real local runtime, with no DataVolume controller involved: the test makes
 * a claim of the default class `local` and its upload server pod by hand with uploadServerPod
 * (api/cdi/upload-pod.ts), as the controller will. Then the real `virtkit image-upload pvc NAME
 * --no-create` takes an UploadTokenRequest through the aggregated API upload.cdi.kubevirt.io and
 * POSTs to `virtkit api`'s upload proxy, which streams to the node handler and the runner's
 * `virtkit importer --source upload`. A bad token is refused 401; an image larger than the claim
 * gets CDI's error while the pod stays ready; the test guest as qcow2 then lands as disk.img with
 * the guest's raw bytes at CDI's size, and the pod Succeeds with "Import Complete". The CLI sends
 * on the async path (answered once the file is saved) and waits for the processing. With curl
 * and a token of its own, the test also sends the guest as a multipart form (`-F file=@...`, a
 * form without that field and a body that is not a form being refused 400 with the fix) and as
 * raw bytes on the async path, each landing as the same disk.img.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { uploadServerPod, uploadPodName } from '../../api/cdi/upload-pod';
import { IMPORT_COMPLETE_MESSAGE, UPLOAD_REQUEST_ANNOTATION } from '../../api/cdi/worker-pod';
import { usableSpace } from '../../handler/importer/size';
import { ensureGuestImage, type GuestImage } from '../fixtures/guest/build';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(900_000);

const NS = 'rt-upload';
const Mi = 2 ** 20;
const CLAIM = '64Mi';
const DISK_SIZE = usableSpace(0.055, 64 * Mi);

let rt: Runtime;
let image: GuestImage;
let work: string;
let proxy: string;

type PodObj = Omit<Obj, 'status'> & {
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: Record<string, { message?: string; exitCode?: number }> }[];
  };
};

beforeAll(async () => {
  image = ensureGuestImage();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-upload-e2e-'));
  execFileSync('qemu-img', [
    'convert',
    '-f',
    'raw',
    '-O',
    'qcow2',
    image.disk,
    path.join(work, 'guest.qcow2'),
  ]);
  // Tiny on disk, 1 GiB inside: more than the 64Mi claim holds.
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', path.join(work, 'big.qcow2'), '1G']);
  rt = await Runtime.startAll(NS, { featureGates: [] });
  proxy = `https://127.0.0.1:${rt.ports.api}`;
}, 900_000);

afterAll(async () => {
  await rt?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const pod = (claim: string): PodObj | undefined =>
  rt.get('pod', NS, uploadPodName(claim)) as PodObj | undefined;

function post(pathname: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${proxy}${pathname}`,
      { method: 'POST', rejectUnauthorized: false, headers: { 'Content-Length': '4', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end('data');
  });
}

/**
 * A claim of the default class and its upload server pod, made by hand as the controller makes
 * them; `annotated` marks the claim as an upload target as CDI does (image-upload adds the mark
 * itself to a claim without it).
 */
function uploadTarget(name: string, annotated = false): void {
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: NS,
      ...(annotated ? { annotations: { [UPLOAD_REQUEST_ANNOTATION]: '' } } : {}),
    },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: CLAIM } } },
  });
  const claim = rt.get('pvc', NS, name)!;
  rt.apply(
    uploadServerPod({
      claim: { name, namespace: NS, uid: claim.metadata.uid, requestedStorage: CLAIM },
      image: 'virtkit:dev',
      filesystemOverhead: '0.055',
    }),
  );
}

/** The claim's disk.img holds the test guest's raw bytes at CDI's size, and nothing else is there. */
function expectGuestDisk(name: string): void {
  const c = rt.get('pvc', NS, name) as Obj & { spec?: { volumeName?: string } };
  const pv = rt.get('pv', undefined, c.spec?.volumeName ?? '') as Obj & {
    spec?: { local?: { path?: string } };
  };
  const dir = pv.spec?.local?.path ?? '';
  expect(dir.startsWith(path.join(rt.handlerStateDir, 'volumes') + path.sep)).toBe(true);
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  const disk = fs.readFileSync(path.join(dir, 'disk.img'));
  expect(disk.length).toBe(DISK_SIZE);
  const raw = fs.readFileSync(image.disk);
  expect(createHash('sha256').update(disk.subarray(0, raw.length)).digest('hex')).toBe(
    createHash('sha256').update(raw).digest('hex'),
  );
  expect(disk.subarray(raw.length).every((b) => b === 0)).toBe(true);
}

/** An upload token for the claim, from the aggregated API, as virtctl gets one. */
function uploadToken(claim: string): string {
  const out = rt.kubectl(
    ['create', '-f', '-', '-o', 'json'],
    JSON.stringify({
      apiVersion: 'upload.cdi.kubevirt.io/v1beta1',
      kind: 'UploadTokenRequest',
      metadata: { name: `token-for-${claim}`, namespace: NS },
      spec: { pvcName: claim },
    }),
  );
  const token = (JSON.parse(out) as { status?: { token?: string } }).status?.token;
  if (!token) throw new Error(`no token in ${out}`);
  return token;
}

/** curl against the upload proxy (its certificate is local mode's own): the status and the body. */
function curl(pathname: string, token: string, args: readonly string[]): { status: number; body: string } {
  const out = execFileSync(
    'curl',
    [
      '-sS',
      '-k',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      '-H',
      `Authorization: Bearer ${token}`,
      ...args,
      `${proxy}${pathname}`,
    ],
    { encoding: 'utf8', timeout: 180_000 },
  );
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)), body: out.slice(0, i) };
}

async function waitSucceeded(claim: string): Promise<void> {
  const done = await rt.waitFor(
    `upload pod of ${claim} Succeeded`,
    () => (pod(claim)?.status?.phase === 'Succeeded' ? pod(claim) : undefined),
    120_000,
    () => pod(claim)?.status,
  );
  expect(done.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
    exitCode: 0,
    message: IMPORT_COMPLETE_MESSAGE,
  });
}

function upload(file: string): { code: number | null; stdout: string; stderr: string } {
  return rt.virtkit([
    'image-upload',
    'pvc',
    'up',
    '-n',
    NS,
    '--no-create',
    '--image-path',
    path.join(work, file),
    '--uploadproxy-url',
    proxy,
    '--wait-secs',
    '240',
  ]);
}

describe('uploads', () => {
  it("a bad token is refused; an image larger than the claim gets CDI's error; the guest lands as disk.img", async () => {
    uploadTarget('up');

    expect((await post('/v1beta1/upload', {})).status).toBe(400);
    const bad = await post('/v1beta1/upload', {
      Authorization: 'Bearer bm90LWEtdG9rZW4.c2lnbmF0dXJlLXRoYXQtaXMtZm9ydHktdGhyZWUtY2hhcnNzc3M',
    });
    expect(bad.status).toBe(401);

    const tooBig = upload('big.qcow2');
    expect(tooBig.code).toBe(1);
    expect(tooBig.stdout).toContain('Using existing PVC rt-upload/up');
    expect(tooBig.stderr).toMatch(
      /unexpected return value 400, Saving stream failed: .*virtual image size 1073741824 is larger than the reported available storage \d+\. A larger PVC is required/,
    );
    // The upload server stays ready for another try.
    const still = pod('up');
    expect(still?.status?.phase).toBe('Running');
    expect(still?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    const ok = upload('guest.qcow2');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Uploading data to ${proxy}`);
    // The async path was taken: answered once saved, then the processing was waited for.
    expect(ok.stdout).toContain(
      'Uploading data completed successfully, waiting for processing to complete, you can hit ctrl-c without interrupting the progress',
    );
    expect(ok.stdout).toContain('Processing completed successfully');
    expect(ok.stdout).toContain(`Uploading ${path.join(work, 'guest.qcow2')} completed successfully`);

    await waitSucceeded('up');
    expectGuestDisk('up');

    // Finished: another upload is refused with virtctl's words.
    const again = upload('guest.qcow2');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('PVC up already successfully imported/cloned/updated');
  });

  it('image-upload dv: the DataVolume controller makes the claim and the upload server; the DataVolume Succeeds', async () => {
    const r = rt.virtkit([
      'image-upload',
      'dv',
      'updv',
      '-n',
      NS,
      '--size',
      CLAIM,
      // The default class waits for a first consumer: bind now, as virtctl's --force-bind does.
      '--force-bind',
      '--image-path',
      path.join(work, 'guest.qcow2'),
      '--uploadproxy-url',
      proxy,
      '--wait-secs',
      '240',
    ]);
    expect(`${r.code} ${r.stderr}`).toBe('0 ');
    const dv = await rt.waitFor('the DataVolume to succeed', () => {
      const d = rt.get('dv', NS, 'updv') as
        (Obj & { status?: { phase?: string; progress?: string } }) | undefined;
      return d?.status?.phase === 'Succeeded' ? d : undefined;
    });
    expect(dv.status?.progress).toBe('100.0%');
    const events = JSON.parse(
      rt.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=updv', '-o', 'json']),
    ) as { items: { reason?: string }[] };
    expect(events.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['UploadScheduled', 'UploadReady', 'UploadSucceeded']),
    );
    const c = rt.get('pvc', NS, 'updv') as Obj & { spec?: { volumeName?: string } };
    const pv = rt.get('pv', undefined, c.spec?.volumeName ?? '') as Obj & {
      spec?: { local?: { path?: string } };
    };
    const disk = fs.readFileSync(path.join(pv.spec?.local?.path ?? '', 'disk.img'));
    const raw = fs.readFileSync(image.disk);
    expect(createHash('sha256').update(disk.subarray(0, raw.length)).digest('hex')).toBe(
      createHash('sha256').update(raw).digest('hex'),
    );
    // The upload server is done and gone.
    await rt.waitFor('the upload pod to go', () => rt.get('pod', NS, uploadPodName('updv')) === undefined);
  });

  it('a multipart form (curl -F file=@...) and raw bytes on the async path land the guest as disk.img', async () => {
    uploadTarget('upform', true);
    uploadTarget('upasync', true);
    for (const claim of ['upform', 'upasync'])
      await rt.waitFor(
        `upload pod of ${claim} Ready`,
        () => pod(claim)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        240_000,
        () => pod(claim)?.status,
      );
    const guest = path.join(work, 'guest.qcow2');

    const formToken = uploadToken('upform');
    const notForm = curl('/v1beta1/upload-form', formToken, ['--data-binary', `@${guest}`]);
    expect(notForm.status).toBe(400);
    expect(notForm.body).toMatch(
      /^a form upload takes a multipart\/form-data body, not Content-Type "application\/x-www-form-urlencoded"; .*curl -F file=@disk\.qcow2.*POST the raw image bytes to \/v1beta1\/upload/,
    );
    const noFile = curl('/v1beta1/upload-form', formToken, ['-F', `image=@${guest}`]);
    expect(noFile.status).toBe(400);
    expect(noFile.body).toMatch(
      /^Saving stream failed: the form has no field "file".*curl -F file=@disk\.qcow2/,
    );
    const form = curl('/v1beta1/upload-form', formToken, ['-F', 'note=ignored', '-F', `file=@${guest}`]);
    expect(form).toEqual({ status: 200, body: '' });
    await waitSucceeded('upform');
    expectGuestDisk('upform');

    const asyncUpload = curl('/v1beta1/upload-async', uploadToken('upasync'), [
      '-H',
      'Content-Type: application/octet-stream',
      '--data-binary',
      `@${guest}`,
    ]);
    expect(asyncUpload).toEqual({ status: 200, body: '' });
    await waitSucceeded('upasync');
    expectGuestDisk('upasync');
  });
});
