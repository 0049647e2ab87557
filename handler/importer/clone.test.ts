/**
 * The pvc source (virtkit's clone): the source's disk.img copied sparsely and grown to the
 * target's usable size; a larger source is refused with CDI's words; the source is never changed
 * and never read through a symlink out of its directory.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cloneDisk } from './clone';

const Mi = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
let work: string;
let source: string;
let sourceSum: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-clone-'));
  source = path.join(work, 'source');
  fs.mkdirSync(source);
  // 30 MiB raw: 1 MiB of data, a hole, 1 MiB of data at the end.
  const file = path.join(source, 'disk.img');
  const fd = fs.openSync(file, 'w', 0o440);
  fs.writeSync(fd, Buffer.alloc(Mi, 0x5a), 0, Mi, 0);
  fs.writeSync(fd, Buffer.alloc(Mi, 0xa5), 0, Mi, 29 * Mi);
  fs.closeSync(fd);
  sourceSum = sha(fs.readFileSync(file));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function target(): string {
  return fs.mkdtempSync(path.join(work, 'target-'));
}

it('copies the source sparsely, grows it to the target size, reports progress to 100%, leaves the source alone', async () => {
  const dir = target();
  const progress: string[] = [];
  const r = await cloneDisk({
    sourceDir: source,
    targetDir: dir,
    requestedBytes: 64 * Mi,
    onProgress: (p) => progress.push(p),
  });
  expect(r).toMatchObject({ size: 60 * Mi, sourceVirtualSize: 30 * Mi, sourceFormat: 'raw' });
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  const copy = fs.readFileSync(path.join(dir, 'disk.img'));
  expect(copy.length).toBe(60 * Mi);
  expect(sha(copy.subarray(0, 30 * Mi))).toBe(sourceSum);
  expect(copy.subarray(30 * Mi).every((b) => b === 0)).toBe(true);
  expect(fs.statSync(path.join(dir, 'disk.img')).blocks * 512).toBeLessThan(4 * Mi);
  expect(progress[0]).toBe('0.00%');
  expect(progress[progress.length - 1]).toBe('100.00%');
  expect(sha(fs.readFileSync(path.join(source, 'disk.img')))).toBe(sourceSum);
});

it("refuses a target smaller than the source with CDI's words and the claim size that would do", async () => {
  const dir = target();
  fs.writeFileSync(path.join(dir, 'disk.img'), 'earlier');
  await expect(
    cloneDisk({ sourceDir: source, targetDir: dir, requestedBytes: 16 * Mi }),
  ).rejects.toMatchObject({
    reason: 'LargerPVCRequired',
    message: expect.stringMatching(
      /^Unable to process data: target resources requests storage size is smaller than the source: the source disk.img is 31457280 bytes, the target holds 15728640; request at least \d+ bytes/,
    ),
  });
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  expect(fs.readFileSync(path.join(dir, 'disk.img'), 'utf8')).toBe('earlier');
});

it('refuses a source without disk.img, a source disk.img that links out, and the target itself', async () => {
  const empty = target();
  await expect(
    cloneDisk({ sourceDir: empty, targetDir: target(), requestedBytes: 64 * Mi }),
  ).rejects.toMatchObject({
    reason: 'SourceUnreadable',
  });
  const linked = target();
  fs.symlinkSync(path.join(source, 'disk.img'), path.join(linked, 'disk.img'));
  await expect(
    cloneDisk({ sourceDir: linked, targetDir: target(), requestedBytes: 64 * Mi }),
  ).rejects.toThrow(/outside/);
  const same = target();
  await expect(cloneDisk({ sourceDir: same, targetDir: same, requestedBytes: 64 * Mi })).rejects.toThrow(
    /cannot be cloned into itself/,
  );
});
