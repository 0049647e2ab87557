import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { tarOf, type TestEntry } from './tar.test-helper';
import {
  buildLayer,
  ContainerDiskError,
  diskEntryName,
  diskEntryOf,
  extractDisk,
  extractFiles,
  imageConfig,
  imagePathParts,
  imageManifest,
  layerHeaders,
} from './container-disk';
import { MEDIA_TYPES, sha256Digest } from './client';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-cdisk-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function disk(name: string, bytes = 200_000, seed = 1): string {
  const file = path.join(dir, name);
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = (i * 31 + seed) & 0xff;
  fs.writeFileSync(file, buf);
  return file;
}

/** A gzip tar layer with the given entries (name, type, content). */
async function layer(file: string, entries: TestEntry[]): Promise<string> {
  fs.writeFileSync(file, zlib.gzipSync(await tarOf(entries)));
  return file;
}

describe("KubeVirt's container-disk layout", () => {
  it('one layer: disk/ and disk/<file>, uid and gid 107, 0555 and 0440, epoch mtimes, no names', () => {
    expect(layerHeaders('fedora.qcow2', 42)).toEqual([
      expect.objectContaining({
        name: 'disk/',
        type: 'directory',
        mode: 0o555,
        uid: 107,
        gid: 107,
        uname: '',
        gname: '',
        mtime: new Date(0),
      }),
      expect.objectContaining({
        name: 'disk/fedora.qcow2',
        type: 'file',
        mode: 0o440,
        uid: 107,
        gid: 107,
        size: 42,
        mtime: new Date(0),
      }),
    ]);
  });

  it('builds a gzip layer that tar lists as KubeVirt expects, with the same digest every time', async () => {
    const file = disk('guest.qcow2');
    const a = await buildLayer(file, path.join(dir, 'a.tar.gz'));
    fs.utimesSync(file, new Date(), new Date(1_000_000));
    const b = await buildLayer(file, path.join(dir, 'b.tar.gz'));
    expect(b.digest).toBe(a.digest);
    expect(b.diffId).toBe(a.diffId);
    expect(sha256Digest(fs.readFileSync(a.file))).toBe(a.digest);
    expect(a.size).toBe(fs.statSync(a.file).size);
    const listing = execFileSync('tar', ['--numeric-owner', '-tvzf', a.file], { encoding: 'utf8' });
    expect(listing).toMatch(/^dr-xr-xr-x 107\/107\s+0 1970-01-01 00:00 disk\/$/m);
    expect(listing).toMatch(/^-r--r----- 107\/107\s+200000 1970-01-01 00:00 disk\/guest\.qcow2$/m);
    expect(listing.trim().split('\n')).toHaveLength(2);
    const other = await buildLayer(disk('guest.qcow2', 200_000, 2), path.join(dir, 'c.tar.gz'));
    expect(other.digest).not.toBe(a.digest);
  });

  it('config and manifest are stable JSON with OCI media types', () => {
    const diff = `sha256:${'1'.repeat(64)}`;
    const config = imageConfig(diff);
    expect(JSON.parse(config.toString())).toEqual({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diff] },
    });
    expect(imageConfig(diff).equals(config)).toBe(true);
    const m = JSON.parse(
      imageManifest({ mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(config), size: config.length }, [
        { mediaType: MEDIA_TYPES.ociLayerGzip, digest: diff, size: 9 },
      ]).toString(),
    );
    expect(m.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(m.schemaVersion).toBe(2);
    expect(m.layers).toEqual([{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: diff, size: 9 }]);
  });

  it('takes .qcow2, .img, .raw and .iso with plain names only', () => {
    expect(diskEntryName('/x/fedora.qcow2')).toBe('fedora.qcow2');
    expect(diskEntryName('a.ISO')).toBe('a.ISO');
    expect(() => diskEntryName('/x/disk.vmdk')).toThrow(/qcow2, \.img, \.raw or \.iso/);
    expect(() => diskEntryName('/x/we ird.img')).toThrow(/letters, digits/);
  });

  it('reads /disk/ entries in every spelling and refuses escapes and nesting', () => {
    expect(diskEntryOf('disk/a.img')).toEqual({ kind: 'file', name: 'a.img' });
    expect(diskEntryOf('./disk/a.img')).toEqual({ kind: 'file', name: 'a.img' });
    expect(diskEntryOf('/disk/')).toEqual({ kind: 'dir' });
    expect(diskEntryOf('etc/passwd')).toBeUndefined();
    expect(diskEntryOf('diskette/a')).toBeUndefined();
    expect(() => diskEntryOf('disk/../etc/passwd')).toThrow(ContainerDiskError);
    expect(() => diskEntryOf('disk/sub/a.img')).toThrow(/exactly one file/);
  });
});

describe('extractDisk', () => {
  const out = (): string => {
    const d = path.join(dir, 'out');
    fs.mkdirSync(d, { recursive: true });
    return d;
  };

  it('extracts the one file of a built layer, byte for byte', async () => {
    const file = disk('guest.qcow2');
    const built = await buildLayer(file, path.join(dir, 'l.tar.gz'));
    const got = await extractDisk([built.file], out(), 1 << 30);
    expect(path.basename(got)).toBe('guest.qcow2');
    expect(fs.readFileSync(got).equals(fs.readFileSync(file))).toBe(true);
  });

  it('applies layers in order with whiteouts, ignoring everything outside /disk/', async () => {
    const l1 = await layer(path.join(dir, '1'), [
      { name: 'disk/old.img', body: 'old' },
      { name: 'etc/hosts' },
    ]);
    const l2 = await layer(path.join(dir, '2'), [
      { name: 'disk/.wh.old.img' },
      { name: './disk/new.img', body: 'new' },
    ]);
    const got = await extractDisk([l1, l2], out(), 100);
    expect(fs.readFileSync(got, 'utf8')).toBe('new');
    expect(fs.readdirSync(path.join(dir, 'out'))).toEqual(['new.img']);
  });

  it.each([
    ['no file', [{ name: 'etc/hosts' }], /no file in \/disk\//],
    ['two files', [{ name: 'disk/a.img' }, { name: 'disk/b.img' }], /2 files in \/disk\/ \(a\.img, b\.img\)/],
    ['a symlink', [{ name: 'disk/a.img', type: 'symlink' as const, linkname: '/etc/shadow' }], /symlink/],
    ['an escape', [{ name: 'disk/../../x.img' }], /'\.\.'/],
  ])('refuses %s', async (_what, entries, why) => {
    const l = await layer(path.join(dir, 'l'), entries);
    await expect(extractDisk([l], out(), 100)).rejects.toThrow(why);
  });

  it('refuses a disk larger than allowed', async () => {
    const l = await layer(path.join(dir, 'l'), [{ name: 'disk/a.img', body: 'x'.repeat(50) }]);
    await expect(extractDisk([l], out(), 10)).rejects.toThrow(/more than the 10 allowed/);
  });
});

describe('extractFiles', () => {
  it('takes files at their paths through the layers, with whiteouts and opaque dirs', async () => {
    const l1 = await layer(path.join(dir, '1'), [
      { name: 'boot/vmlinuz', body: 'old kernel' },
      { name: 'boot/initrd', body: 'old initrd' },
    ]);
    const l2 = await layer(path.join(dir, '2'), [
      { name: './boot/vmlinuz', body: 'new kernel' },
      { name: 'boot/.wh..wh..opq' },
    ]);
    const l3 = await layer(path.join(dir, '3'), [{ name: '/boot/initrd', body: 'new initrd' }]);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const got = await extractFiles([l1, l3], ['/boot/vmlinuz', 'boot/initrd'], out, 100);
    expect(fs.readFileSync(got['/boot/vmlinuz'], 'utf8')).toBe('old kernel');
    expect(fs.readFileSync(got['boot/initrd'], 'utf8')).toBe('new initrd');
    const out2 = path.join(dir, 'out2');
    fs.mkdirSync(out2);
    // An opaque dir hides the lower layers' files, never its own layer's (in any order).
    await expect(extractFiles([l1, l2], ['/boot/initrd'], out2, 100)).rejects.toThrow(
      '/boot/initrd is not in the image',
    );
    const out3 = path.join(dir, 'out3');
    fs.mkdirSync(out3);
    const kept = await extractFiles([l1, l2], ['/boot/vmlinuz'], out3, 100);
    expect(fs.readFileSync(kept['/boot/vmlinuz'], 'utf8')).toBe('new kernel');
  });

  it.each(['', '/', '/a/../b', './x', 'a/./b'])('refuses the path %j', (p) => {
    expect(() => imagePathParts(p)).toThrow(ContainerDiskError);
  });
});
