import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar-stream';
import { gunzipSync } from 'zlib';
import { silentLogger } from '../../common/log';
import { TestPki } from '../../common/test-pki.test-helper';
import { startExportServer, type RunningExportServer } from './server';

const TOKEN = 'sekret-token-0123456789';
let pki: TestPki;
let dir: string;
let outside: string;
let server: RunningExportServer;
let ca: Buffer;

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
}

function get(p: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.address as number,
        path: p,
        ca,
        servername: 'virt-export-x.ns.svc',
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
const auth = { 'x-kubevirt-export-token': TOKEN };
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  pki = new TestPki()
    .ca('ca')
    .leaf('srv', 'virt-export-x.ns.svc', 'ca', { sans: ['DNS:virt-export-x.ns.svc'] });
  ca = pki.read('ca', 'crt');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-exporter-test-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-exporter-outside-'));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'host secret');
  // An image volume: a sparse-ish disk.img of random data.
  fs.mkdirSync(path.join(dir, 'img'));
  fs.writeFileSync(path.join(dir, 'img', 'disk.img'), randomBytes(3 << 20));
  // A directory volume, with a symlink out of it and one inside it.
  const files = path.join(dir, 'files');
  fs.mkdirSync(path.join(files, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(files, 'lost+found'));
  fs.writeFileSync(path.join(files, 'a.txt'), 'alpha');
  fs.writeFileSync(path.join(files, 'sub', 'b.txt'), 'beta');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(files, 'escape'));
  fs.symlinkSync(outside, path.join(files, 'escape-dir'));
  fs.symlinkSync('a.txt', path.join(files, 'inside'));
  // An image volume whose disk.img is a symlink out.
  fs.mkdirSync(path.join(dir, 'evil'));
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'evil', 'disk.img'));
  fs.writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  server = await startExportServer({
    volumes: [
      { name: 'img', kind: 'image', path: path.join(dir, 'img') },
      { name: 'files', kind: 'archive', path: files },
      { name: 'evil', kind: 'image', path: path.join(dir, 'evil') },
    ],
    cert: pki.read('srv', 'crt'),
    key: pki.read('srv', 'key'),
    tokenFile: path.join(dir, 'token'),
    exportName: 'x',
    listen: { host: '127.0.0.1', port: 0 },
    log: silentLogger(),
  });
});

afterAll(async () => {
  await server?.close();
  pki?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('the token', () => {
  test('missing or wrong gets 401; the header or the query parameter lets through', async () => {
    expect((await get('/volumes/img/disk.img')).status).toBe(401);
    expect((await get('/volumes/img/disk.img', { 'x-kubevirt-export-token': 'wrong' })).status).toBe(401);
    expect((await get('/volumes/img/disk.img?x-kubevirt-export-token=wrong')).status).toBe(401);
    expect((await get(`/volumes/img/disk.img?x-kubevirt-export-token=${TOKEN}`)).status).toBe(200);
    expect((await get('/volumes/img/disk.img', auth)).status).toBe(200);
  });

  test('the readiness probe needs none', async () => {
    expect(await get('/exportready')).toMatchObject({ status: 200 });
  });
});

describe('an image volume', () => {
  test('raw: the download has the sha256 of the file, with its length', async () => {
    const a = await get('/volumes/img/disk.img', auth);
    const file = fs.readFileSync(path.join(dir, 'img', 'disk.img'));
    expect(a.headers['content-length']).toBe(String(file.length));
    expect(sha(a.body)).toBe(sha(file));
  });

  test('gzip round-trips to the same bytes', async () => {
    const a = await get('/volumes/img/disk.img.gz', auth);
    expect(a.status).toBe(200);
    expect(sha(gunzipSync(a.body))).toBe(sha(fs.readFileSync(path.join(dir, 'img', 'disk.img'))));
  });

  test('a disk.img that is a symlink out of the volume is refused', async () => {
    const a = await get('/volumes/evil/disk.img', auth);
    expect(a.status).toBe(403);
    expect(a.body.toString()).not.toContain('host secret');
  });

  test('other names and formats are 404 with what to ask for', async () => {
    const a = await get('/volumes/img/disk.tar.gz', auth);
    expect(a.status).toBe(404);
    expect(a.body.toString()).toContain('download disk.img or disk.img.gz');
    expect((await get('/volumes/nope/disk.img', auth)).status).toBe(404);
  });
});

describe('a directory volume', () => {
  test('dir/ lists it (without lost+found), and serves a file', async () => {
    const list = await get('/volumes/files/dir/', auth);
    expect(list.status).toBe(200);
    const html = list.body.toString();
    expect(html).toContain('>a.txt<');
    expect(html).toContain('>sub/<');
    expect(html).not.toContain('lost+found');
    expect((await get('/volumes/files/dir/sub/b.txt', auth)).body.toString()).toBe('beta');
    expect((await get('/volumes/files/dir/inside', auth)).body.toString()).toBe('alpha');
    expect(await get('/volumes/files/dir', auth)).toMatchObject({ status: 301 });
  });

  test.each([
    ['..', '/volumes/files/dir/../img/disk.img', 400],
    ['encoded ..', '/volumes/files/dir/%2e%2e/%2e%2e/etc/passwd', 400],
    ['an encoded slash', '/volumes/files/dir/sub%2f..%2f..%2fx', 400],
    ['an absolute path', '/volumes/files/dir//etc/passwd', 400],
    ['a NUL', '/volumes/files/dir/a.txt%00', 400],
    ['a symlink to a file out', '/volumes/files/dir/escape', 403],
    ['a symlink to a directory out', '/volumes/files/dir/escape-dir/secret.txt', 403],
  ])('%s is refused', async (_what, p, status) => {
    const a = await get(p, auth);
    expect(a.status).toBe(status);
    expect(a.body.toString()).not.toContain('host secret');
  });

  test('tar.gz holds its files and directories, links as links, nothing of the host', async () => {
    const a = await get('/volumes/files/disk.tar.gz', auth);
    expect(a.status).toBe(200);
    const entries = new Map<string, { type: string; body: string; linkname?: string }>();
    await new Promise<void>((resolve, reject) => {
      const x = tar.extract();
      x.on('entry', (h, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
        stream.on('end', () => {
          entries.set(h.name, {
            type: h.type ?? '',
            body: Buffer.concat(chunks).toString(),
            ...(h.linkname ? { linkname: h.linkname } : {}),
          });
          next();
        });
      });
      x.on('finish', resolve);
      x.on('error', reject);
      x.end(gunzipSync(a.body));
    });
    expect(entries.get('./a.txt')).toMatchObject({ type: 'file', body: 'alpha' });
    expect(entries.get('./sub/b.txt')).toMatchObject({ type: 'file', body: 'beta' });
    expect(entries.get('./sub')).toMatchObject({ type: 'directory' });
    expect(entries.get('./escape')).toMatchObject({ type: 'symlink', body: '' });
    expect([...entries.keys()].some((k) => k.includes('lost+found'))).toBe(false);
    expect([...entries.values()].some((e) => e.body.includes('host secret'))).toBe(false);
  });
});

test('the header secret manifest carries the token as CDI header; no VM manifests for a claim', async () => {
  const a = await get('/external/manifests/secret', auth);
  expect(JSON.parse(a.body.toString())).toEqual({
    apiVersion: 'v1',
    kind: 'List',
    metadata: {},
    items: [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'header-secret-x' },
        stringData: { token: `x-kubevirt-export-token:${TOKEN}` },
      },
    ],
  });
  expect((await get('/internal/manifests/all', auth)).status).toBe(404);
});

test("a VM's manifests from a ConfigMap volume (each key a link into kubelet's ..data folder); a key linked out of it is refused", async () => {
  // The layout kubelet's atomic writer makes: ..<stamp>/<key> files, ..data -> ..<stamp>, <key> -> ..data/<key>.
  const cm = path.join(dir, 'manifests');
  const stamp = path.join(cm, '..2026_12_05_02_50_00.123');
  fs.mkdirSync(stamp, { recursive: true });
  const keys: Record<string, string> = {
    'export-name': 'x',
    internal_host: 'virt-export-x.ns.svc',
    internal_ca_cm: 'CA',
    'virtualmachine-manifest': JSON.stringify({
      metadata: { name: 'web', namespace: 'ns' },
      spec: { template: { spec: { volumes: [{ name: 'd', dataVolume: { name: 'img' } }] } } },
    }),
    'dv-img': JSON.stringify({ metadata: { name: 'img' }, spec: { storage: {} } }),
  };
  for (const [k, v] of Object.entries(keys)) fs.writeFileSync(path.join(stamp, k), v);
  fs.symlinkSync(path.basename(stamp), path.join(cm, '..data'));
  for (const k of Object.keys(keys)) fs.symlinkSync(path.join('..data', k), path.join(cm, k));
  const s = await startExportServer({
    volumes: [{ name: 'img', kind: 'image', path: path.join(dir, 'img') }],
    cert: pki.read('srv', 'crt'),
    key: pki.read('srv', 'key'),
    tokenFile: path.join(dir, 'token'),
    exportName: 'x',
    manifestDir: cm,
    listen: { host: '127.0.0.1', port: 0 },
    log: silentLogger(),
  });
  const at = (p: string): Promise<Answer> =>
    new Promise((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: s.address as number,
            path: p,
            ca,
            servername: 'virt-export-x.ns.svc',
            headers: auth,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
            );
          },
        )
        .on('error', reject);
    });
  try {
    const all = await at('/internal/manifests/all');
    expect(all.status).toBe(200);
    const items = (
      JSON.parse(all.body.toString()) as { items: { kind: string; metadata: { name: string } }[] }
    ).items;
    expect(items.map((i) => `${i.kind}/${i.metadata.name}`)).toEqual([
      'ConfigMap/export-ca-cm-x',
      'VirtualMachine/web',
      'DataVolume/img',
    ]);
    expect(all.body.toString()).toContain('https://virt-export-x.ns.svc/volumes/img/disk.img.gz');
    // A key that is a link out of the volume is not read.
    fs.rmSync(path.join(cm, 'internal_host'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(cm, 'internal_host'));
    const refused = await at('/internal/manifests/all');
    expect(refused.status).toBe(403);
    expect(refused.body.toString()).not.toContain('host secret');
  } finally {
    await s.close();
  }
});

test('the server closes at its deadline', async () => {
  const s = await startExportServer({
    volumes: [],
    cert: pki.read('srv', 'crt'),
    key: pki.read('srv', 'key'),
    tokenFile: path.join(dir, 'token'),
    exportName: 'x',
    listen: { socket: path.join(dir, 'exporter.sock') },
    deadline: Date.now() + 200,
    log: silentLogger(),
  });
  expect((fs.statSync(path.join(dir, 'exporter.sock')).mode & 0o777).toString(8)).toBe('600');
  await s.closed;
});
