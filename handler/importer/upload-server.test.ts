/** The upload source on a real unix socket: a raw image lands as disk.img; a refused upload leaves the server ready; CDI's answers. */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { serveUpload, type UploadResult } from './upload-server';
import { usableSpace } from './size';

const Mi = 2 ** 20;
let dir: string;
let target: string;
let socketPath: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-upl-'));
  target = path.join(dir, 'vol');
  fs.mkdirSync(target);
  socketPath = path.join(dir, 'u.sock');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function send(method: string, p: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, method, path: p, headers: body ? { 'Content-Length': String(body.length) } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts the server; `done` is wrapped so awaiting start() does not wait for the upload. */
async function start(): Promise<{ done: Promise<UploadResult> }> {
  let listening: () => void = () => undefined;
  const up = new Promise<void>((r) => (listening = r));
  const done = serveUpload({ targetDir: target, requestedBytes: 8 * Mi, socketPath, onListening: listening });
  await up;
  return { done };
}

it('takes one raw upload, sized as CDI sizes it, after refusing one that does not fit', async () => {
  const { done } = await start();
  expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
  expect((await send('GET', '/v1beta1/upload')).status).toBe(404);
  expect((await send('HEAD', '/v1beta1/upload-async')).status).toBe(200);
  const big = await send('POST', '/v1beta1/upload', Buffer.alloc(9 * Mi, 1));
  expect(big.status).toBe(400);
  expect(big.text).toMatch(/^Saving stream failed: Unable to process data: .*A larger PVC is required/);
  expect(fs.readdirSync(target)).toEqual([]);
  const data = Buffer.concat([Buffer.from('guest'), Buffer.alloc(Mi, 7)]);
  expect((await send('POST', '/v1beta1/upload', data)).status).toBe(200);
  const r = await done;
  const size = usableSpace(0.055, 8 * Mi);
  expect(r).toMatchObject({ size, sourceFormat: 'raw', uploadedBytes: data.length });
  const disk = fs.readFileSync(path.join(target, 'disk.img'));
  expect(disk.length).toBe(size);
  expect(disk.subarray(0, data.length).equals(data)).toBe(true);
  expect(fs.existsSync(socketPath)).toBe(false);
});

it('stops when aborted, leaving nothing behind', async () => {
  const abort = new AbortController();
  let listening: () => void = () => undefined;
  const up = new Promise<void>((r) => (listening = r));
  const done = serveUpload({
    targetDir: target,
    requestedBytes: 8 * Mi,
    socketPath,
    onListening: listening,
    signal: abort.signal,
  });
  await up;
  abort.abort();
  await expect(done).rejects.toThrow(/stopped before an upload completed/);
  expect(fs.existsSync(socketPath)).toBe(false);
});
