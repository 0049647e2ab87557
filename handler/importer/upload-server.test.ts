/**
 * The upload source on a real unix socket, with real qemu-img: a raw image and a multipart form's
 * "file" part land as disk.img; the async paths answer once the body is saved and process after;
 * a refused upload leaves nothing behind and the server ready; CDI's answers.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import * as diskTarget from './disk-target';
import { serveUpload, type UploadResult, type UploadServerOptions } from './upload-server';
import { usableSpace } from './size';

// Each case runs qemu-img on real files; on a loaded 2-core machine that alone can pass 5 s.
jest.setTimeout(60_000);

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

afterEach(() => jest.restoreAllMocks());

/** One request; settles once the answer has come and the whole body was taken (a refused body is drained too). */
function send(
  method: string,
  p: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path: p,
        // A fresh connection each time: the servers of the tests share one socket path.
        agent: false,
        headers: { ...(body ? { 'Content-Length': String(body.length) } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body, () => (taken = true));
  });
  let taken = false;
  return answer.then(async (a) => {
    while (!taken) await new Promise((r) => setTimeout(r, 10));
    return a;
  });
}

/** Starts the server; `done` is wrapped so awaiting start() does not wait for the upload. */
async function start(more: Partial<UploadServerOptions> = {}): Promise<{ done: Promise<UploadResult> }> {
  let listening: () => void = () => undefined;
  const up = new Promise<void>((r) => (listening = r));
  const done = serveUpload({
    targetDir: target,
    requestedBytes: 8 * Mi,
    socketPath,
    onListening: listening,
    ...more,
  });
  // A rejection is awaited by the test that expects it; none goes unhandled meanwhile.
  done.catch(() => undefined);
  await up;
  return { done };
}

interface Part {
  readonly name: string;
  /** Present: a file part (as curl -F name=@file sends it); absent: a plain value. */
  readonly filename?: string;
  readonly data: Buffer | string;
}

/** A multipart/form-data body as curl -F and browsers write it. */
function form(
  parts: readonly Part[],
  boundary = '----virtkit-test-7MA4YWxkTrZu0gW',
): {
  body: Buffer;
  headers: Record<string, string>;
} {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const type = p.filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** A raw guest-like image: a marker, then data that is not all zeros. */
const rawImage = (): Buffer =>
  Buffer.concat([Buffer.from('guest'), Buffer.alloc(3 * Mi, 7), Buffer.from('end')]);

function expectDisk(data: Buffer): void {
  const disk = fs.readFileSync(path.join(target, 'disk.img'));
  expect(disk.length).toBe(usableSpace(0.055, 8 * Mi));
  expect(disk.subarray(0, data.length).equals(data)).toBe(true);
  expect(disk.subarray(data.length).every((b) => b === 0)).toBe(true);
}

/** A qcow2 of 4 MiB whose first MiB is 0xab, and its raw content. */
function qcow2(): { image: Buffer; raw: Buffer } {
  const file = path.join(dir, 'disk.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, String(4 * Mi)]);
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 1M', file], { stdio: 'pipe' });
  const image = fs.readFileSync(file);
  fs.rmSync(file);
  return { image, raw: Buffer.concat([Buffer.alloc(Mi, 0xab), Buffer.alloc(3 * Mi)]) };
}

/** Holds the conversion step (the first phase after the body) until `release` is called. */
function holdConversion(): { started: Promise<void>; release: () => void } {
  let release: () => void = () => undefined;
  let started: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const startedP = new Promise<void>((r) => (started = r));
  const real = diskTarget.convertIntoTarget;
  jest.spyOn(diskTarget, 'convertIntoTarget').mockImplementation(async (...args) => {
    started();
    await gate;
    return real(...args);
  });
  return { started: startedP, release };
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

describe('form uploads (upload-form, upload-form-async)', () => {
  it('lands the bytes of the "file" part as disk.img; every other part is dropped', async () => {
    const { done } = await start();
    const data = rawImage();
    const f = form([
      { name: 'note', data: 'a field before the image' },
      { name: 'other', filename: 'other.img', data: Buffer.alloc(70_000, 9) },
      { name: 'file', filename: 'disk.img', data },
      { name: 'after', data: 'and one after' },
    ]);
    const r = await send('POST', '/v1beta1/upload-form', f.body, f.headers);
    expect(r).toEqual({ status: 200, text: '' });
    expect(await done).toMatchObject({ sourceFormat: 'raw', uploadedBytes: f.body.length });
    expect(fs.readdirSync(target)).toEqual(['disk.img']);
    expectDisk(data);
  });

  it('refuses forms it cannot take with 400 and the fix, leaving nothing behind and the server ready', async () => {
    const failed: string[] = [];
    const { done } = await start({ onAttemptFailed: (m) => failed.push(m) });
    const image = rawImage();
    const cases: [string, { body: Buffer; headers: Record<string, string> }, RegExp][] = [
      [
        'no "file" part',
        form([{ name: 'image', filename: 'disk.img', data: image }]),
        /^Saving stream failed: the form has no field "file": it carries the image; send the image as the form field "file" \(curl -F file=@disk\.qcow2\)/,
      ],
      [
        'two "file" parts',
        form([
          { name: 'file', filename: 'a.img', data: image },
          { name: 'file', filename: 'b.img', data: image },
        ]),
        /^Saving stream failed: the form has more than one field "file"; send exactly one: the image \(curl -F file=@disk\.qcow2\)/,
      ],
      [
        '"file" as a plain value',
        form([{ name: 'file', data: 'not a file part' }]),
        /^Saving stream failed: the form's field "file" is a plain value, not a file; send the image as a file part \(curl -F file=@disk\.qcow2\)/,
      ],
      [
        'an image larger than the claim',
        form([{ name: 'file', filename: 'big.img', data: Buffer.alloc(9 * Mi, 1) }]),
        /^Saving stream failed: Unable to process data: .*A larger PVC is required/,
      ],
      [
        'a form cut short',
        (() => {
          const f = form([{ name: 'file', filename: 'disk.img', data: image }]);
          return { body: f.body.subarray(0, f.body.length - 20), headers: f.headers };
        })(),
        /^Saving stream failed: the multipart form is malformed: Unexpected end of form; send the image as the form field "file"/,
      ],
    ];
    for (const [what, f, message] of cases) {
      const r = await send('POST', '/v1beta1/upload-form-async', f.body, f.headers);
      expect([what, r.status]).toEqual([what, 400]);
      expect(r.text).toMatch(message);
      expect([what, fs.readdirSync(target)]).toEqual([what, []]);
    }
    expect(failed).toHaveLength(cases.length);

    // Not multipart at all: refused before a byte is read, pointing at the raw path.
    for (const headers of [{ 'Content-Type': 'application/octet-stream' }, {}] as Record<string, string>[]) {
      const r = await send('POST', '/v1alpha1/upload-form', image, headers);
      expect(r.status).toBe(400);
      expect(r.text).toMatch(
        /^a form upload takes a multipart\/form-data body, not (Content-Type "application\/octet-stream"|a body without a Content-Type); .*POST the raw image bytes to \/v1beta1\/upload/,
      );
    }
    const noBoundary = await send('POST', '/v1beta1/upload-form', image, {
      'Content-Type': 'multipart/form-data',
    });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.text).toMatch(/names no boundary/);

    // The uploader leaving halfway removes what was written.
    const f = form([{ name: 'file', filename: 'disk.img', data: image }]);
    const gone = new Promise<void>((resolve) => {
      const req = http.request({
        socketPath,
        method: 'POST',
        path: '/v1beta1/upload-form',
        headers: { ...f.headers, 'Content-Length': String(f.body.length) },
      });
      req.on('error', () => resolve());
      req.write(f.body.subarray(0, 2 * Mi), () => setTimeout(() => req.destroy(), 50));
    });
    await gone;
    while (failed.length < cases.length + 1) await new Promise((r) => setTimeout(r, 20));
    expect(failed[cases.length]).toMatch(/the uploader closed the connection before the end of the body/);
    expect(fs.readdirSync(target)).toEqual([]);

    // Still ready: a good form is taken.
    const good = form([{ name: 'file', filename: 'disk.img', data: image }]);
    expect((await send('POST', '/v1beta1/upload-form', good.body, good.headers)).status).toBe(200);
    await done;
    expectDisk(image);
  });
});

describe('async uploads (upload-async, upload-form-async)', () => {
  it('answer once the body is saved; the qcow2 is converted after the answer', async () => {
    const { image, raw } = qcow2();
    const hold = holdConversion();
    const { done } = await start();
    let settled = false;
    void done.finally(() => (settled = true));
    // Answered while the conversion is held: it cannot have been waited for.
    const r = await send('POST', '/v1beta1/upload-async', image);
    expect(r).toEqual({ status: 200, text: '' });
    await hold.started;
    expect(fs.existsSync(path.join(target, 'disk.img'))).toBe(false);
    expect(settled).toBe(false);
    // The body was taken: another upload is refused while the first is processed.
    expect((await send('POST', '/v1beta1/upload', Buffer.from('x'))).status).toBe(409);
    hold.release();
    expect(await done).toMatchObject({ sourceFormat: 'qcow2', sourceVirtualSize: 4 * Mi });
    expect(fs.readdirSync(target)).toEqual(['disk.img']);
    expectDisk(raw);
  });

  it('a form upload too: its "file" part is converted after the answer', async () => {
    const { image, raw } = qcow2();
    const hold = holdConversion();
    const { done } = await start();
    const f = form([
      { name: 'file', filename: 'disk.qcow2', data: image },
      { name: 'note', data: 'x' },
    ]);
    expect((await send('POST', '/v1beta1/upload-form-async', f.body, f.headers)).status).toBe(200);
    await hold.started;
    expect(fs.existsSync(path.join(target, 'disk.img'))).toBe(false);
    hold.release();
    await done;
    expectDisk(raw);
  });

  it('the sync path answers only once disk.img is in place', async () => {
    const { image, raw } = qcow2();
    const hold = holdConversion();
    const { done } = await start();
    let answered = false;
    const r = send('POST', '/v1beta1/upload', image).then((a) => {
      answered = true;
      return a;
    });
    await hold.started;
    await new Promise((res) => setTimeout(res, 100));
    expect(answered).toBe(false);
    hold.release();
    expect(await r).toEqual({ status: 200, text: '' });
    expect(answered).toBe(true);
    await done;
    expectDisk(raw);
  });

  it('check the image before answering, as CDI validates before it pauses: what cannot fit or be read is refused 400', async () => {
    const failed: string[] = [];
    const { done } = await start({ onAttemptFailed: (m) => failed.push(m) });
    const big = path.join(dir, 'big.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, String(1024 * Mi)]);
    const tooBig = await send('POST', '/v1beta1/upload-async', fs.readFileSync(big));
    expect(tooBig.status).toBe(400);
    expect(tooBig.text).toMatch(
      /^Saving stream failed: Unable to process data: .*virtual image size 1073741824 is larger than the reported available storage \d+\. A larger PVC is required/,
    );
    const corrupt = Buffer.from(qcow2().image);
    corrupt.writeUInt32BE(0xffff, 20); // cluster_bits far out of range
    const f = form([{ name: 'file', filename: 'disk.qcow2', data: corrupt }]);
    const unreadable = await send('POST', '/v1beta1/upload-form-async', f.body, f.headers);
    expect(unreadable.status).toBe(400);
    expect(unreadable.text).toMatch(
      /^Saving stream failed: Unable to process data: .*qcow2: .*Unsupported cluster size/,
    );
    expect(unreadable.text).not.toContain('disk.img.download');
    expect(failed).toHaveLength(2);
    expect(fs.readdirSync(target)).toEqual([]);
    // Still ready.
    const data = rawImage();
    expect((await send('POST', '/v1beta1/upload-async', data)).status).toBe(200);
    await done;
    expectDisk(data);
  });

  it('a failure after the answer fails the server with the reason and leaves no disk.img, half-written or not', async () => {
    // Real: a qcow2 whose header and size pass, and whose first data cluster qemu-img cannot read.
    {
      const corrupt = Buffer.from(qcow2().image);
      const l1 = Number(corrupt.readBigUInt64BE(40));
      const l2 = Number(corrupt.readBigUInt64BE(l1) & 0x00fffffffffffe00n);
      corrupt.writeBigUInt64BE((1n << 63n) | 0x12345n, l2); // an unaligned cluster offset
      const seen: string[][] = [];
      const real = diskTarget.convertIntoTarget;
      jest.spyOn(diskTarget, 'convertIntoTarget').mockImplementation(async (...args) => {
        try {
          return await real(...args);
        } finally {
          seen.push(fs.readdirSync(target).sort());
        }
      });
      const failed: string[] = [];
      const { done } = await start({ onAttemptFailed: (m) => failed.push(m) });
      expect(await send('POST', '/v1beta1/upload-async', corrupt)).toEqual({ status: 200, text: '' });
      await expect(done).rejects.toMatchObject({
        reason: 'InvalidImage',
        message: expect.stringMatching(/^Unable to process data: .*qemu-img convert: .*Input\/output error/),
      });
      // It had begun writing the raw image under its temporary name; nothing of it is left.
      expect(seen).toEqual([['disk.img.download', 'disk.img.tmp']]);
      expect(fs.readdirSync(target)).toEqual([]);
      expect(fs.existsSync(socketPath)).toBe(false);
      // The uploader was answered: the failure is the server's (the pod's), not an attempt's.
      expect(failed).toEqual([]);
    }
    // The last step failing, with the converted image complete under its temporary name.
    {
      const { image } = qcow2();
      const seen: string[][] = [];
      jest.spyOn(diskTarget, 'placeDisk').mockImplementation(() => {
        seen.push(fs.readdirSync(target).sort());
        throw new Error('the disk went away');
      });
      const { done } = await start();
      const f = form([{ name: 'file', filename: 'disk.qcow2', data: image }]);
      expect((await send('POST', '/v1beta1/upload-form-async', f.body, f.headers)).status).toBe(200);
      await expect(done).rejects.toThrow(/the disk went away/);
      expect(seen).toEqual([['disk.img.tmp']]);
      expect(fs.readdirSync(target)).toEqual([]);
    }
  });
});
