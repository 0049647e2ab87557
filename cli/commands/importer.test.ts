/**
 * `virtkit importer` in-process against a loopback HTTP server: JSON lines on stdout (progress,
 * then the result), exit 0 or 1 with CDI's message, credentials taken from the environment.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { importerOptions, register } from './importer';
import { runInProcess } from './run-in-process.test-helper';

const Mi = 1024 * 1024;
const IMAGE = zlib.gzipSync(Buffer.concat([Buffer.alloc(Mi, 0xab), Buffer.alloc(Mi)]));
let server: http.Server;
let base: string;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-importer-cli-'));
  server = http.createServer((req, res) => {
    if (req.url !== '/disk.img.gz') return void res.writeHead(404, 'Not Found').end();
    res.writeHead(200, { 'content-length': IMAGE.length }).end(IMAGE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

const run = (url: string, dir: string, size: string) =>
  runInProcess(register, ['importer', '--url', url, '--target-dir', dir, '--size', size]);

function target(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  return dir;
}

it('prints progress lines and a Succeeded line, exit 0', async () => {
  const dir = target('ok');
  const r = await run(`${base}/disk.img.gz`, dir, String(64 * Mi));
  expect(r.code).toBe(0);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines[0]).toEqual({ progress: '0.00%' });
  expect(lines).toContainEqual({ progress: '100.00%' });
  expect(lines[lines.length - 1]).toMatchObject({
    phase: 'Succeeded',
    path: path.join(fs.realpathSync(dir), 'disk.img'),
    size: 60 * Mi,
    compression: 'gzip',
    sourceFormat: 'raw',
  });
  expect(fs.statSync(path.join(dir, 'disk.img')).size).toBe(60 * Mi);
});

it("prints a Failed line with CDI's message and exits 1, leaving nothing behind", async () => {
  const dir = target('fail');
  const bad = await run(`${base}/disk.img.gz`, dir, '64Mi');
  expect(bad.code).toBe(1);
  expect(JSON.parse(bad.stdout.trim())).toMatchObject({ phase: 'Failed', reason: 'InvalidInput' });
  const missing = await run(`${base}/nope`, dir, String(64 * Mi));
  expect(missing.code).toBe(1);
  expect(JSON.parse(missing.stdout.trim().split('\n').pop()!)).toMatchObject({
    phase: 'Failed',
    reason: 'HTTPStatus',
  });
  expect(missing.stderr).toContain(
    'Unable to connect to http data source: expected status code 200, got 404',
  );
  expect(fs.readdirSync(dir)).toEqual([]);
});

it("takes basic auth and extra headers from CDI's environment variables, never from flags", () => {
  const o = importerOptions(
    { url: 'https://x/y', targetDir: '/v', size: '1048576' },
    {
      IMPORTER_ACCESS_KEY_ID: 'alice',
      IMPORTER_SECRET_KEY: 's3cret',
      IMPORTER_EXTRA_HEADER_1: 'X-B: 2',
      IMPORTER_EXTRA_HEADER_0: 'X-A: 1',
    },
  );
  expect(o.basicAuth).toEqual({ username: 'alice', password: 's3cret' });
  expect(o.extraHeaders).toEqual(['X-A: 1', 'X-B: 2']);
  expect(importerOptions({ url: 'u', targetDir: '/v', size: '1' }, {}).basicAuth).toBeUndefined();
});

it('--source blank makes an empty disk.img; bad --source values and missing flags are refused in one line', async () => {
  const dir = target('blank');
  const ok = await runInProcess(register, [
    'importer',
    '--source',
    'blank',
    '--target-dir',
    dir,
    '--size',
    String(64 * Mi),
  ]);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout.trim())).toMatchObject({
    phase: 'Succeeded',
    size: 60 * Mi,
    sourceFormat: 'raw',
  });
  expect(fs.statSync(path.join(dir, 'disk.img')).size).toBe(60 * Mi);
  for (const [args, words] of [
    [['--source', 's3'], '--source s3: give one of http, registry, blank, pvc'],
    [['--source', 'pvc'], '--source pvc needs --source-dir'],
    [['--source', 'registry'], '--source registry needs --url'],
    [
      ['--source', 'blank', '--checksum', 'sha256:00'],
      '--checksum and --ca-file apply to the http source only',
    ],
  ] as const) {
    const r = await runInProcess(register, ['importer', ...args, '--target-dir', dir, '--size', '1048576']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ phase: 'Failed', reason: 'InvalidInput' });
    expect(r.stderr).toContain(words);
  }
});
