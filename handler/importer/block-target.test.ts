/**
 * The importer onto real loop devices (losetup over sparse files in a temporary directory, as the
 * local provisioner makes Block volumes; detached in afterAll the way detachLoopsUnder (../storage/loop-devices.ts)
 * does): a qcow2 served over HTTP lands as raw bytes on the device (checksummed, over garbage that
 * was there before), an image larger than the device is refused with CDI's words and leaves the
 * device's first MiB zeroed, blank zeroes the device, clones copy device and disk.img bytes in
 * every direction, an upload lands on the device, and a path that is not the device is refused.
 * Needs root (losetup), as the handler does.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { detachLoopsUnder } from '../storage/loop-devices';
import { createBlankDisk } from './blank';
import { blockDeviceSize, ZEROED_HEAD_BYTES } from './block-device';
import { cloneDisk } from './clone';
import { openTarget, tooBigFor } from './disk-target';
import { ImportError } from './errors';
import { importDisk } from './import';
import { serveUpload } from './upload-server';

jest.setTimeout(120_000);

const Mi = 1024 * 1024;
const DEVICE_BYTES = 32 * Mi;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const asRoot = process.getuid?.() === 0 ? describe : describe.skip;

/** The guest-like raw image: a pattern, a hole, another pattern (the hole must read back as zeros). */
function rawImage(): Buffer {
  const b = Buffer.alloc(6 * Mi);
  for (let i = 0; i < 2 * Mi; i++) b[i] = (i * 31 + 7) & 0xff;
  b.fill(0x5a, 4 * Mi, 5 * Mi);
  return b;
}

let work: string;
let server: http.Server;
let base: string;
const files = new Map<string, Buffer>();
let raw: Buffer;
const devices: string[] = [];

function attach(name: string, bytes = DEVICE_BYTES): string {
  const file = path.join(work, name);
  fs.writeFileSync(file, '');
  fs.truncateSync(file, bytes);
  const dev = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
  devices.push(dev);
  return dev;
}

function read(dev: string, bytes: number, at = 0): Buffer {
  const fd = fs.openSync(dev, 'r');
  try {
    const b = Buffer.alloc(bytes);
    fs.readSync(fd, b, 0, bytes, at);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

function fill(dev: string, byte: number, bytes: number, at = 0): void {
  const fd = fs.openSync(dev, 'r+');
  try {
    fs.writeSync(fd, Buffer.alloc(bytes, byte), 0, bytes, at);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function scratch(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  return dir;
}

asRoot('a Block target (a real loop device)', () => {
  let dev: string;
  let dev2: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-block-importer-'));
    raw = rawImage();
    const rawFile = path.join(work, 'guest.raw');
    fs.writeFileSync(rawFile, raw);
    const qcow2 = path.join(work, 'guest.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', rawFile, qcow2]);
    files.set('guest.qcow2', fs.readFileSync(qcow2));
    const big = path.join(work, 'big.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', big, '64M']);
    files.set('big.qcow2', fs.readFileSync(big));
    server = http.createServer((req, res) => {
      const body = files.get((req.url ?? '/').slice(1));
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dev = attach('block-a.img');
    dev2 = attach('block-b.img');
  });

  afterAll(async () => {
    if (work) detachLoopsUnder(work);
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('is chosen by targetDevice: the whole device is the usable size, no filesystem overhead', () => {
    const t = openTarget({ targetDir: scratch('select'), targetDevice: dev, requestedBytes: DEVICE_BYTES });
    expect(t).toMatchObject({ disk: dev, size: DEVICE_BYTES, overhead: 0 });
    expect(t.device).toMatchObject({ path: dev, size: DEVICE_BYTES });
    expect(t.device!.rdev).toBe(fs.statSync(dev).rdev);
    expect(blockDeviceSize(fs.statSync(dev).rdev)).toBe(DEVICE_BYTES);
    expect(() =>
      openTarget({
        targetDir: scratch('select2'),
        targetDevice: dev,
        requestedBytes: 1,
        filesystemOverhead: 0.055,
      }),
    ).toThrow(/a Block target has no filesystem/);
  });

  it('imports a qcow2 over HTTP as raw bytes onto the device (over what was there)', async () => {
    fill(dev, 0xff, 8 * Mi);
    const dir = scratch('import');
    const progress: string[] = [];
    const r = await importDisk({
      url: `${base}/guest.qcow2`,
      targetDir: dir,
      targetDevice: dev,
      requestedBytes: DEVICE_BYTES,
      onProgress: (p) => progress.push(p),
    });
    expect(r).toMatchObject({
      path: dev,
      size: DEVICE_BYTES,
      sourceFormat: 'qcow2',
      sourceVirtualSize: raw.length,
    });
    expect(sha256(read(dev, raw.length))).toBe(sha256(raw));
    expect(progress[progress.length - 1]).toBe('100.00%');
    // No scratch file left, and no disk.img: the device is the disk.
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("refuses an image larger than the device with CDI's words and zeroes the device's first MiB", async () => {
    fill(dev, 0xee, 2 * Mi);
    const dir = scratch('too-big');
    const e = await importDisk({
      url: `${base}/big.qcow2`,
      targetDir: dir,
      targetDevice: dev,
      requestedBytes: DEVICE_BYTES,
    }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ImportError);
    expect(e).toMatchObject({ reason: 'LargerPVCRequired' });
    expect((e as Error).message).toBe(
      `Unable to process data: Unable to convert source data to target format: virtual image size ${64 * Mi} is larger than the reported available storage ${DEVICE_BYTES}. A larger PVC is required (request at least ${64 * Mi} bytes)`,
    );
    expect(read(dev, ZEROED_HEAD_BYTES).equals(Buffer.alloc(ZEROED_HEAD_BYTES))).toBe(true);
    expect(read(dev, 16, ZEROED_HEAD_BYTES)[0]).toBe(0xee);
    expect(fs.readdirSync(dir)).toEqual([]);
    // The same words as the pure refusal: no overhead on a device, so the request is the image's size.
    const t = openTarget({ targetDir: dir, targetDevice: dev, requestedBytes: DEVICE_BYTES });
    expect(tooBigFor(t, 64 * Mi).message).toBe((e as Error).message);
  });

  it('blank: the whole device reads zero afterwards', async () => {
    fill(dev, 0x11, Mi, 0);
    fill(dev, 0x22, Mi, DEVICE_BYTES - Mi);
    const r = await createBlankDisk({
      targetDir: scratch('blank'),
      targetDevice: dev,
      requestedBytes: DEVICE_BYTES,
    });
    expect(r).toMatchObject({ path: dev, size: DEVICE_BYTES });
    expect(read(dev, DEVICE_BYTES).equals(Buffer.alloc(DEVICE_BYTES))).toBe(true);
  });

  it('clones Block → Block, disk.img → Block and Block → disk.img byte for byte; a too small target is refused', async () => {
    // Source device: the image; target device: garbage first.
    fs.writeFileSync(path.join(work, 'img.raw'), raw);
    const srcFd = fs.openSync(dev, 'r+');
    fs.writeSync(srcFd, raw, 0, raw.length, 0);
    fs.fsyncSync(srcFd);
    fs.closeSync(srcFd);
    fill(dev2, 0xff, 8 * Mi);
    const progress: string[] = [];
    const b2b = await cloneDisk({
      targetDir: scratch('clone-bb'),
      targetDevice: dev2,
      sourceDevice: dev,
      requestedBytes: DEVICE_BYTES,
      onProgress: (p) => progress.push(p),
    });
    expect(b2b).toMatchObject({ path: dev2, size: DEVICE_BYTES, sourceVirtualSize: DEVICE_BYTES });
    expect(sha256(read(dev2, DEVICE_BYTES))).toBe(sha256(read(dev, DEVICE_BYTES)));
    expect(progress[progress.length - 1]).toBe('100.00%');

    // A source disk.img (Filesystem claim) onto a device.
    const srcDir = scratch('fs-source');
    const disk = Buffer.concat([raw.subarray(0, 3 * Mi), Buffer.alloc(Mi, 0x77)]);
    fs.writeFileSync(path.join(srcDir, 'disk.img'), disk);
    fill(dev2, 0xff, 8 * Mi);
    await cloneDisk({
      targetDir: scratch('clone-fb'),
      targetDevice: dev2,
      sourceDir: srcDir,
      requestedBytes: DEVICE_BYTES,
    });
    expect(sha256(read(dev2, disk.length))).toBe(sha256(disk));

    // A device onto a Filesystem claim's disk.img: the whole device, the target's usable size.
    const fsTarget = scratch('clone-bf');
    const r = await cloneDisk({ targetDir: fsTarget, sourceDevice: dev2, requestedBytes: 64 * Mi });
    expect(r.sourceVirtualSize).toBe(DEVICE_BYTES);
    const copied = fs.readFileSync(path.join(fsTarget, 'disk.img'));
    expect(copied.length).toBe(60 * Mi);
    expect(sha256(copied.subarray(0, DEVICE_BYTES))).toBe(sha256(read(dev2, DEVICE_BYTES)));

    // A 32 MiB device does not fit a 32 MiB Filesystem claim (its usable share is 30 MiB).
    const small = scratch('clone-small');
    await expect(
      cloneDisk({ targetDir: small, sourceDevice: dev2, requestedBytes: DEVICE_BYTES }),
    ).rejects.toThrow(
      /the source device .* is 33554432 bytes, the target holds 31457280; request at least 35507336 bytes/,
    );
    expect(fs.readdirSync(small)).toEqual([]);
    // A device cannot be cloned into itself.
    await expect(
      cloneDisk({
        targetDir: scratch('clone-self'),
        targetDevice: dev2,
        sourceDevice: dev2,
        requestedBytes: DEVICE_BYTES,
      }),
    ).rejects.toThrow(/is the target device; a claim cannot be cloned into itself/);
  });

  it('an upload lands on the device', async () => {
    fill(dev, 0xff, 8 * Mi);
    const socketPath = path.join(scratch('upload'), 'upload.sock');
    const dir = scratch('upload-scratch');
    const done = serveUpload({
      targetDir: dir,
      targetDevice: dev,
      requestedBytes: DEVICE_BYTES,
      socketPath,
      onListening: () => {
        const req = http.request({ socketPath, path: '/v1beta1/upload', method: 'POST' });
        req.end(files.get('guest.qcow2'));
        req.on('response', (res) => res.resume());
      },
    });
    const r = await done;
    expect(r).toMatchObject({ path: dev, sourceFormat: 'qcow2', sourceVirtualSize: raw.length });
    expect(sha256(read(dev, raw.length))).toBe(sha256(raw));
  });

  it('opens only a block device, never through a symlink, write-only', () => {
    const link = path.join(work, 'link-to-device');
    fs.symlinkSync(dev, link);
    expect(() =>
      openTarget({ targetDir: scratch('sym'), targetDevice: link, requestedBytes: DEVICE_BYTES }),
    ).toThrow(/target device: .*outside/);
    const regular = path.join(work, 'not-a-device');
    fs.writeFileSync(regular, 'x');
    expect(() =>
      openTarget({ targetDir: scratch('reg'), targetDevice: regular, requestedBytes: DEVICE_BYTES }),
    ).toThrow(/is not a block device/);
    expect(() =>
      openTarget({ targetDir: scratch('rel'), targetDevice: 'dev/loop0', requestedBytes: 1 }),
    ).toThrow(/not an absolute path/);
  });
});
