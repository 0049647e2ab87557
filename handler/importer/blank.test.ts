/** The blank source: a sparse raw disk.img of CDI's usable size, replacing an earlier one whole. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createBlankDisk } from './blank';
import { ImportError } from './errors';

const Mi = 1024 * 1024;
let work: string;
beforeAll(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-blank-'))));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it('makes a sparse disk.img of the usable share of the claim (60 MiB of 64 MiB), mode 0660', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'pvc-'));
  fs.writeFileSync(path.join(dir, 'disk.img.tmp'), 'leftover of a dead attempt');
  const r = await createBlankDisk({ targetDir: dir, requestedBytes: 64 * Mi });
  expect(r.size).toBe(60 * Mi);
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  const st = fs.statSync(path.join(dir, 'disk.img'));
  expect(st.size).toBe(60 * Mi);
  expect(st.blocks * 512).toBeLessThan(Mi);
  expect(st.mode & 0o777).toBe(0o660);
});

it('replaces an existing disk.img only by the final rename', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'pvc-'));
  fs.writeFileSync(path.join(dir, 'disk.img'), 'old data');
  await createBlankDisk({ targetDir: dir, requestedBytes: 8 * Mi, filesystemOverhead: 0 });
  expect(fs.statSync(path.join(dir, 'disk.img')).size).toBe(8 * Mi);
  expect(
    fs
      .readFileSync(path.join(dir, 'disk.img'))
      .subarray(0, 8)
      .every((b) => b === 0),
  ).toBe(true);
});

it('refuses a missing directory, a bad size and an overhead outside [0, 1)', async () => {
  await expect(createBlankDisk({ targetDir: path.join(work, 'nope'), requestedBytes: Mi })).rejects.toThrow(
    /does not exist; mount or create the volume first/,
  );
  await expect(createBlankDisk({ targetDir: work, requestedBytes: 0 })).rejects.toBeInstanceOf(ImportError);
  await expect(
    createBlankDisk({ targetDir: work, requestedBytes: Mi, filesystemOverhead: 1 }),
  ).rejects.toThrow(/not a fraction in \[0, 1\)/);
});

it('refuses a disk.img that is a symlink out of the directory, and writes nothing through it', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'pvc-'));
  const outside = path.join(work, 'outside.img');
  fs.writeFileSync(outside, 'keep');
  fs.symlinkSync(outside, path.join(dir, 'disk.img'));
  await expect(createBlankDisk({ targetDir: dir, requestedBytes: 8 * Mi })).rejects.toThrow(/outside/);
  expect(fs.readFileSync(outside, 'utf8')).toBe('keep');
});
