/**
 * The importer against real qemu-img, qemu-io and xz, fed by HTTP(S) servers on loopback started
 * here: qcow2, .xz raw and .gz raw images land as a raw disk.img of CDI's target size with the
 * content served; bad input (nothing listening, 404, a corrupt qcow2, a wrong checksum, an image
 * larger than the volume, a file:// URL) is a clear error and leaves the directory as it was.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { TestPki } from '../../common/test-pki.test-helper';
import { ImportError } from './errors';
import { importDisk, type ImportOptions } from './import';

jest.setTimeout(60_000);

const Mi = 1024 * 1024;
const REQUEST = 64 * Mi;
/** CDI's usable share of a 64 MiB filesystem volume: ceil(0.945 * 64 MiB) down to 1 MiB. */
const TARGET = 60 * Mi;
const PATTERN = Buffer.alloc(Mi, 0xab);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let work: string;
const files = new Map<string, Buffer>();
let server: http.Server;
let base: string;
let tlsServer: https.Server;
let tlsBase: string;
let pki: TestPki;

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/moved') {
    res.writeHead(302, { location: '/raw.img.gz' }).end();
    return;
  }
  if (url.pathname === '/private/raw.img.xz') {
    const want = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    if (req.headers.authorization !== want) {
      res.writeHead(401).end();
      return;
    }
  }
  const name = url.pathname.replace(/^\/(slow|private)\//, '/').slice(1);
  const body = files.get(name);
  if (!body) {
    res.writeHead(404, 'Not Found').end('no such file');
    return;
  }
  res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
  if (!url.pathname.startsWith('/slow/')) {
    res.end(body);
    return;
  }
  // Trickled, so progress is seen between 0 and 100%.
  const step = Math.ceil(body.length / 8);
  let off = 0;
  const next = (): void => {
    if (off >= body.length) return void res.end();
    res.write(body.subarray(off, off + step));
    off += step;
    setTimeout(next, 60);
  };
  next();
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-importer-'));
  const raw = Buffer.concat([PATTERN, Buffer.alloc(3 * Mi)]);
  fs.writeFileSync(path.join(work, 'raw.img'), raw);
  files.set('raw.img.gz', zlib.gzipSync(raw));
  files.set('raw.img.xz', execFileSync('xz', ['-T1', '-c', path.join(work, 'raw.img')]));
  const qcow2 = path.join(work, 'disk.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, String(4 * Mi)]);
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 1M', qcow2], { stdio: 'pipe' });
  files.set('disk.qcow2', fs.readFileSync(qcow2));
  const corrupt = Buffer.from(files.get('disk.qcow2')!);
  corrupt.writeUInt32BE(0xffff, 20); // cluster_bits far out of range
  files.set('corrupt.qcow2', corrupt);
  const big = path.join(work, 'big.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, String(Mi * 1024)]);
  files.set('big.qcow2', fs.readFileSync(big));
  server = http.createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pki = new TestPki().ca('ca').leaf('server', 'localhost', 'ca', { sans: ['IP:127.0.0.1'] });
  tlsServer = https.createServer({ cert: pki.read('server', 'crt'), key: pki.read('server', 'key') }, serve);
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await new Promise((r) => tlsServer.close(r));
  pki.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

let n = 0;
function newTarget(): string {
  const dir = path.join(work, `pvc-${++n}`);
  fs.mkdirSync(dir);
  return dir;
}

function expectImported(dir: string): void {
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  const disk = path.join(dir, 'disk.img');
  expect(fs.statSync(disk).size).toBe(TARGET);
  const fd = fs.openSync(disk, 'r');
  const first = Buffer.alloc(2 * Mi);
  fs.readSync(fd, first, 0, first.length, 0);
  fs.closeSync(fd);
  expect(sha256(first.subarray(0, Mi))).toBe(sha256(PATTERN));
  expect(first.subarray(Mi).every((b) => b === 0)).toBe(true);
  expect(fs.statSync(disk).mode & 0o777).toBe(0o660);
}

const options = (dir: string, url: string, more: Partial<ImportOptions> = {}): ImportOptions => ({
  url,
  targetDir: dir,
  requestedBytes: REQUEST,
  ...more,
});

it('imports a qcow2, converting it to a raw disk.img of the target size, with progress 0 to 100%', async () => {
  const dir = newTarget();
  const progress: string[] = [];
  const result = await importDisk(
    options(dir, `${base}/slow/disk.qcow2`, { onProgress: (p) => progress.push(p), progressIntervalMs: 20 }),
  );
  expect(result).toMatchObject({
    sourceFormat: 'qcow2',
    compression: 'none',
    sourceVirtualSize: 4 * Mi,
    size: TARGET,
  });
  expectImported(dir);
  expect(progress[0]).toBe('0.00%');
  expect(progress[progress.length - 1]).toBe('100.00%');
  expect(progress.length).toBeGreaterThan(2);
  const values = progress.map((p) => Number(p.replace('%', '')));
  expect(values).toEqual([...values].sort((a, b) => a - b));
  for (const p of progress) expect(p).toMatch(/^\d{1,3}\.\d\d%$/);
});

it('imports an .xz raw image (decompressed while it streams), with basic auth from the secret', async () => {
  const dir = newTarget();
  const result = await importDisk(
    options(dir, `${base}/private/raw.img.xz`, { basicAuth: { username: 'alice', password: 's3cret' } }),
  );
  expect(result).toMatchObject({ sourceFormat: 'raw', compression: 'xz', sourceVirtualSize: 4 * Mi });
  expectImported(dir);
  // Sparse: the zero blocks of the raw image take no space.
  expect(fs.statSync(path.join(dir, 'disk.img')).blocks * 512).toBeLessThan(4 * Mi);
});

it('imports a .gz raw image through a redirect, with its checksum verified, over https with a custom CA', async () => {
  const dir = newTarget();
  const checksum = `sha256:${sha256(files.get('raw.img.gz')!)}`;
  const result = await importDisk(
    options(dir, `${tlsBase}/moved`, { checksum, caBundle: pki.read('ca', 'crt').toString() }),
  );
  expect(result).toMatchObject({ sourceFormat: 'raw', compression: 'gzip' });
  expectImported(dir);
});

describe('bad input: a clear error, and the directory as it was', () => {
  const OLD = Buffer.from('the disk that was here before');
  async function failure(url: string, more: Partial<ImportOptions> = {}): Promise<ImportError> {
    const dir = newTarget();
    fs.writeFileSync(path.join(dir, 'disk.img'), OLD);
    const err = await importDisk(options(dir, url, more)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImportError);
    expect(fs.readdirSync(dir)).toEqual(['disk.img']);
    expect(fs.readFileSync(path.join(dir, 'disk.img'))).toEqual(OLD);
    return err as ImportError;
  }

  it('nothing listening', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const url = `http://127.0.0.1:${port}/disk.qcow2`;
    const e = await failure(url);
    expect(e.reason).toBe('ConnectionFailed');
    expect(e.message).toMatch(/^Unable to connect to http data source: HTTP request errored: GET "/);
    expect(e.message).toContain(url);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.message).toContain('spec.source.http.url');
  });

  it('404', async () => {
    const e = await failure(`${base}/missing.qcow2`);
    expect(e.reason).toBe('HTTPStatus');
    expect(e.message).toBe(
      `Unable to connect to http data source: expected status code 200, got 404. Status: 404 Not Found (GET "${base}/missing.qcow2"; no file at that URL: check spec.source.http.url)`,
    );
  });

  it('wrong credentials', async () => {
    const e = await failure(`${base}/private/raw.img.xz`, {
      basicAuth: { username: 'alice', password: 'nope' },
    });
    expect(e.message).toContain('got 401');
    expect(e.message).toContain('secretRef');
    expect(e.message).not.toContain('nope');
  });

  it('a corrupt qcow2', async () => {
    const e = await failure(`${base}/corrupt.qcow2`);
    expect(e.reason).toBe('InvalidImage');
    expect(e.message).toMatch(/^Unable to process data: Unable to convert source data to target format: /);
    expect(e.message).toContain(`${base}/corrupt.qcow2`);
    expect(e.message).toContain("qcow2: qemu-img: Could not open 'the download': Unsupported cluster size");
    expect(e.message).not.toContain('disk.img.download');
  });

  it('a wrong checksum', async () => {
    const wrong = `sha256:${'0'.repeat(64)}`;
    const e = await failure(`${base}/disk.qcow2`, { checksum: wrong });
    expect(e.reason).toBe('ChecksumMismatch');
    expect(e.message).toContain(`is ${sha256(files.get('disk.qcow2')!)}, expected ${'0'.repeat(64)}`);
    expect(e.message).toContain('check the checksum');
  });

  it('a virtual size larger than the target', async () => {
    const e = await failure(`${base}/big.qcow2`);
    expect(e.reason).toBe('LargerPVCRequired');
    expect(e.message).toBe(
      `Unable to process data: Unable to convert source data to target format: virtual image size ${1024 * Mi} is larger than the reported available storage ${TARGET}. A larger PVC is required (request at least ${Math.ceil((1024 * Mi) / 0.945)} bytes)`,
    );
  });

  it('a raw image that outgrows the target while it streams', async () => {
    const e = await failure(`${base}/raw.img.gz`, { requestedBytes: 3 * Mi });
    expect(e.reason).toBe('LargerPVCRequired');
    expect(e.message).toBe(
      `Unable to process data: the image from "${base}/raw.img.gz" is larger than ${2 * Mi} bytes once decompressed, more than the reported available storage ${2 * Mi} can hold. A larger PVC is required`,
    );
  });

  it("a file:// URL, a custom CA that is not the server's, and a malformed checksum", async () => {
    expect((await failure('file:///etc/passwd')).message).toMatch(/scheme "file" is not supported/);
    const other = new TestPki().ca('other');
    try {
      const e = await failure(`${tlsBase}/disk.qcow2`, { caBundle: other.read('other', 'crt').toString() });
      expect(e.reason).toBe('ConnectionFailed');
      expect(e.message).toMatch(/certificate/i);
      expect(e.message).toContain('spec.source.http.certConfigMap');
    } finally {
      other.remove();
    }
    const dir = newTarget();
    fs.symlinkSync('/etc/hostname', path.join(dir, 'disk.img'));
    const link = await importDisk(options(dir, `${base}/disk.qcow2`)).catch((e: ImportError) => e);
    expect(link).toMatchObject({ reason: 'InvalidInput' });
    expect((link as Error).message).toMatch(/^target directory: .*outside/);
    expect(fs.readlinkSync(path.join(dir, 'disk.img'))).toBe('/etc/hostname');
    expect((await failure(`${base}/disk.qcow2`, { checksum: 'sha256:xyz' })).message).toBe(
      'checksum "sha256:xyz": a sha256 sum is 64 hex digits; write sha256:<64 hex digits>',
    );
  });
});
