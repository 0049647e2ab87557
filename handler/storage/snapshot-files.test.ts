import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  copyVerified,
  commitDirectory,
  dataFiles,
  MANIFEST_FORMAT,
  readManifest,
  SnapshotDataError,
  sha256File,
  writeManifest,
} from './snapshot-files';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-snapfiles-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sum = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

test('copies files (sparse ones stay sparse), checks them against their sources, and lists them', async () => {
  const src = path.join(dir, 'vol');
  fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
  const disk = path.join(src, 'disk.img');
  const fd = fs.openSync(disk, 'w');
  fs.writeSync(fd, Buffer.from('start'), 0, 5, 0);
  fs.writeSync(fd, Buffer.from('end'), 0, 3, 32 << 20);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(src, 'sub', 'notes'), 'n');
  expect(dataFiles(src)).toEqual(['disk.img', 'sub/notes']);
  const to = path.join(dir, 'copy');
  fs.mkdirSync(to);
  const copied = await copyVerified(src, to, dataFiles(src));
  expect(copied).toEqual([
    { path: 'disk.img', size: (32 << 20) + 3, sha256: await sha256File(disk) },
    { path: 'sub/notes', size: 1, sha256: sum('n') },
  ]);
  // The hole was not written out.
  expect(fs.statSync(path.join(to, 'disk.img')).blocks * 512).toBeLessThan(1 << 20);
});

test('a copy that differs from what the snapshot recorded fails, naming the file and the fix', async () => {
  fs.writeFileSync(path.join(dir, 'disk.img'), 'changed');
  const to = path.join(dir, 'out');
  fs.mkdirSync(to);
  await expect(copyVerified(dir, to, ['disk.img'], new Map([['disk.img', sum('original')]]))).rejects.toThrow(
    /differs from .* that the snapshot recorded for disk\.img; the snapshot's data is damaged: take a new snapshot/,
  );
});

test('refuses symlinks in a volume and paths that leave their directory', async () => {
  fs.symlinkSync('/etc/passwd', path.join(dir, 'link'));
  expect(() => dataFiles(dir)).toThrow(SnapshotDataError);
  expect(() => dataFiles(dir)).toThrow(/is neither a regular file nor a directory/);
  await expect(copyVerified(dir, dir, ['../escape'])).rejects.toThrow(/'\.\.'/);
});

test('a manifest is written, read back and checked; a directory without one holds no snapshot', async () => {
  const m = {
    format: MANIFEST_FORMAT as typeof MANIFEST_FORMAT,
    content: 'snapcontent-1',
    volume: 'pvc-1',
    volumeMode: 'Filesystem' as const,
    restoreSize: 1024,
    creationTime: '1714557604000000000',
    files: [{ path: 'disk.img', size: 1, sha256: sum('x') }],
  };
  const partial = path.join(dir, '.partial');
  fs.mkdirSync(partial);
  await writeManifest(partial, m);
  await commitDirectory(partial, path.join(dir, 'done'));
  expect(await readManifest(path.join(dir, 'done'))).toEqual(m);
  await expect(readManifest(path.join(dir, 'nothing'))).rejects.toThrow(
    /holds no snapshot \(snapshot\.json is missing\)/,
  );
  fs.writeFileSync(path.join(dir, 'done', 'snapshot.json'), JSON.stringify({ ...m, files: [{ path: 'x' }] }));
  await expect(readManifest(path.join(dir, 'done'))).rejects.toThrow(
    /is not a virtkit\.io\/local-snapshot\/v1 manifest/,
  );
});
