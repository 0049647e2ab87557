/**
 * The two halves of a clone from another namespace, on this machine: `sendClone` streams a
 * source claim's disk.img to a real upload server in raw mode (what the target's upload pod
 * runs), over a unix socket.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createHash } from 'crypto';
import { sendClone } from './clone-send';
import { usableSpace } from './size';
import { serveUpload } from './upload-server';

const Mi = 2 ** 20;
let dir: string;
let source: string;
let target: string;
let socketPath: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-clone-'));
  source = path.join(dir, 'src');
  target = path.join(dir, 'dst');
  fs.mkdirSync(source);
  fs.mkdirSync(target);
  socketPath = path.join(dir, 'u.sock');
});
/** Upload servers still serving (a refused upload leaves one ready for another try). */
const stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s.abort();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sha = (file: string, bytes?: number): string => {
  const data = fs.readFileSync(file);
  return createHash('sha256')
    .update(bytes === undefined ? data : data.subarray(0, bytes))
    .digest('hex');
};

/** A raw guest disk whose first bytes look like a qcow2 header, with a backing file named. */
function trickyDisk(bytes: number): Buffer {
  const disk = Buffer.alloc(bytes);
  disk.write('QFI\xfb', 0, 'latin1');
  disk.writeUInt32BE(3, 4);
  disk.write('/etc/shadow', 512, 'latin1');
  for (let i = Mi; i < bytes; i += 4096) disk.writeUInt32BE(i, i);
  return disk;
}

async function startTarget(requestedBytes: number): Promise<{ served: Promise<unknown> }> {
  let listening!: () => void;
  const up = new Promise<void>((r) => (listening = r));
  const stop = new AbortController();
  stops.push(stop);
  const served = serveUpload({
    signal: stop.signal,
    targetDir: target,
    requestedBytes,
    filesystemOverhead: 0.055,
    socketPath,
    raw: true,
    onListening: () => listening(),
  });
  served.catch(() => undefined);
  await up;
  return { served };
}

describe('sendClone into a raw upload server', () => {
  it("lands the source's bytes as they are, never read as an image format, grown to the target", async () => {
    const disk = trickyDisk(8 * Mi);
    fs.writeFileSync(path.join(source, 'disk.img'), disk);
    const { served } = await startTarget(16 * Mi);
    const progress: string[] = [];
    const result = await sendClone({
      sourceDir: source,
      socketPath,
      onProgress: (p) => progress.push(p),
      progressIntervalMs: 0,
    });
    await served;
    expect(result.sentBytes).toBe(8 * Mi);
    expect(progress.at(-1)).toBe('100.00%');
    const landed = path.join(target, 'disk.img');
    // A qcow2 reading would have produced something else (or followed the "backing file").
    expect(sha(landed, 8 * Mi)).toBe(createHash('sha256').update(disk).digest('hex'));
    expect(fs.statSync(landed).size).toBe(usableSpace(0.055, 16 * Mi));
  });

  it("fails with the target's refusal when the source does not fit", async () => {
    fs.writeFileSync(path.join(source, 'disk.img'), trickyDisk(8 * Mi));
    await startTarget(4 * Mi);
    await expect(sendClone({ sourceDir: source, socketPath })).rejects.toThrow(
      /the clone target refused disk\.img \(400\): Saving stream failed: .*larger/i,
    );
    expect(fs.existsSync(path.join(target, 'disk.img'))).toBe(false);
  });

  it('names the missing target socket: the upload pod went away, the run is tried again', async () => {
    fs.writeFileSync(path.join(source, 'disk.img'), Buffer.alloc(Mi));
    await expect(sendClone({ sourceDir: source, socketPath })).rejects.toThrow(
      /sending disk\.img to the clone target's upload server: .*ENOENT/,
    );
  });

  it('refuses a source directory whose disk.img is a link out of it', async () => {
    fs.symlinkSync('/etc/passwd', path.join(source, 'disk.img'));
    await expect(sendClone({ sourceDir: source, socketPath })).rejects.toThrow(/source directory/);
  });
});
