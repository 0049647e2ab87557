/**
 * KubeVirt's container-disk layout, both ways: building an image (one layer holding
 * `disk/<file>` owned by the qemu user, uid and gid 107, mode 0440, as the user guide's
 * `ADD --chown=107:107 disk.qcow2 /disk/` makes it) and finding the disk file in the layers of
 * a pulled image. Builds are reproducible: fixed mtimes, no user or host names, fixed key order
 * and gzip settings, so the same disk file gives the same digest.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { Transform, Writable, type Readable } from 'stream';
import * as zlib from 'zlib';
import * as tar from 'tar-stream';
import { MEDIA_TYPES, type Descriptor } from './client';

export const DISK_DIR = 'disk';
/** KubeVirt's qemu user and group. */
export const QEMU_ID = 107;
export const DISK_FILE_MODE = 0o440;
export const DISK_DIR_MODE = 0o555;
export const DISK_EXTENSIONS = ['qcow2', 'img', 'raw', 'iso'] as const;
/** Every entry's mtime: the epoch, so the digest depends on the bytes alone. */
const FIXED_MTIME = new Date(0);
const GZIP_LEVEL = 6;

export class ContainerDiskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerDiskError';
  }
}

/** The disk file's name inside the image: the local file's base name, checked. */
export function diskEntryName(file: string): string {
  const base = path.basename(file);
  const ext = base.includes('.') ? base.slice(base.lastIndexOf('.') + 1).toLowerCase() : '';
  if (!(DISK_EXTENSIONS as readonly string[]).includes(ext))
    throw new ContainerDiskError(
      `${file}: a container disk is a .qcow2, .img, .raw or .iso file (KubeVirt's layout); rename it or convert it with qemu-img`,
    );
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(base))
    throw new ContainerDiskError(`${file}: use a file name of letters, digits, '.', '_' and '-' only`);
  return base;
}

/** The tar headers of the layer, in order (pure: what the unit tests check). */
export function layerHeaders(name: string, size: number): (Partial<tar.Header> & { name: string })[] {
  const owner = { uid: QEMU_ID, gid: QEMU_ID, uname: '', gname: '', mtime: FIXED_MTIME };
  return [
    { name: `${DISK_DIR}/`, type: 'directory', mode: DISK_DIR_MODE, ...owner },
    { name: `${DISK_DIR}/${name}`, type: 'file', mode: DISK_FILE_MODE, size, ...owner },
  ];
}

export interface BuiltLayer {
  /** Of the compressed blob. */
  readonly digest: string;
  readonly size: number;
  /** Of the uncompressed tar (the config's rootfs.diff_ids). */
  readonly diffId: string;
  readonly file: string;
}

function hashing(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.n += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Writes the gzip-compressed layer for `diskFile` to `out`, hashing both forms in one pass. */
export async function buildLayer(
  diskFile: string,
  out: string,
  onProgress?: (bytes: number) => void,
): Promise<BuiltLayer> {
  const name = diskEntryName(diskFile);
  const stat = fs.statSync(diskFile);
  if (!stat.isFile()) throw new ContainerDiskError(`${diskFile} is not a regular file`);
  const [dir, file] = layerHeaders(name, stat.size);
  const pack = tar.pack();
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  const rawCount = { n: 0 };
  const gzCount = { n: 0 };
  const done = pipeline(
    pack as unknown as Readable,
    hashing(diff, rawCount),
    zlib.createGzip({ level: GZIP_LEVEL }),
    hashing(blob, gzCount),
    fs.createWriteStream(out, { mode: 0o600 }),
  );
  pack.entry(dir);
  const entry = pack.entry(file);
  let read = 0;
  const src = fs.createReadStream(diskFile);
  src.on('data', (c) => {
    read += c.length;
    onProgress?.(read);
  });
  await pipeline(src, entry as unknown as Writable);
  pack.finalize();
  await done;
  return {
    digest: `sha256:${blob.digest('hex')}`,
    size: gzCount.n,
    diffId: `sha256:${diff.digest('hex')}`,
    file: out,
  };
}

/** The image config: no dates, no host, no history (stable across builds). */
export function imageConfig(diffId: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
}

export function imageManifest(config: Descriptor, layers: readonly Descriptor[]): Buffer {
  const d = (x: Descriptor): Descriptor => ({ mediaType: x.mediaType, digest: x.digest, size: x.size });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: d(config),
      layers: layers.map(d),
    }),
  );
}

/**
 * Where an entry of a layer lands under /disk/, or undefined when it is outside /disk/.
 * `./disk/x`, `/disk/x` and `disk/x` are the same path; anything with `..`, or deeper than
 * one level under disk/, is refused.
 */
export function diskEntryOf(entryName: string): { kind: 'dir' } | { kind: 'file'; name: string } | undefined {
  const parts = entryName.split('/').filter((p) => p !== '' && p !== '.');
  if (parts[0] !== DISK_DIR) return undefined;
  if (parts.some((p) => p === '..'))
    throw new ContainerDiskError(`layer entry ${JSON.stringify(entryName)} has '..'; refused`);
  if (parts.length === 1) return { kind: 'dir' };
  if (parts.length > 2)
    throw new ContainerDiskError(
      `layer entry ${JSON.stringify(entryName)} is below a directory in /disk/; a container disk has exactly one file directly in /disk/`,
    );
  return { kind: 'file', name: parts[1] };
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** The entries of a layer file: a tar, or a gzip-compressed one (told by its magic bytes). */
function openLayer(layer: string): tar.Extract {
  const extract = tar.extract();
  const input = fs.createReadStream(layer);
  const source = isGzip(layer) ? input.pipe(zlib.createGunzip()) : input;
  source.on('error', (e: Error) => extract.destroy(e));
  source.pipe(extract as unknown as Writable);
  return extract;
}

function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    fs.readSync(fd, b, 0, 2, 0);
    return b.equals(GZIP_MAGIC);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Applies the layers (tar or tar+gzip files, lowest first) and writes the one disk file found
 * under /disk/ into `destDir` (which must exist and be empty). Whiteouts are honoured; links,
 * devices and more than one file are refused; no file may exceed `maxBytes`.
 */
export async function extractDisk(
  layers: readonly string[],
  destDir: string,
  maxBytes: number,
): Promise<string> {
  const present = new Set<string>();
  for (const layer of layers) {
    // Whiteouts hide what lower layers put there, never what this layer adds (OCI's rule).
    const thisLayer = new Set<string>();
    for await (const entry of openLayer(layer)) {
      const h = entry.header;
      const at = diskEntryOf(h.name);
      if (!at || at.kind === 'dir') {
        entry.resume();
        continue;
      }
      if (at.name === '.wh..wh..opq') {
        for (const f of [...present])
          if (!thisLayer.has(f)) {
            present.delete(f);
            fs.rmSync(path.join(destDir, f), { force: true });
          }
        entry.resume();
        continue;
      }
      if (at.name.startsWith('.wh.')) {
        const gone = at.name.slice(4);
        if (!thisLayer.has(gone) && present.delete(gone))
          fs.rmSync(path.join(destDir, gone), { force: true });
        entry.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file')
        throw new ContainerDiskError(
          `layer entry ${h.name} is a ${h.type}; the disk in /disk/ must be a regular file`,
        );
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(at.name))
        throw new ContainerDiskError(
          `layer entry ${JSON.stringify(h.name)}: disk file names are letters, digits, '.', '_' and '-'`,
        );
      if (h.size > maxBytes)
        throw new ContainerDiskError(
          `layer entry ${h.name} is ${h.size} bytes, more than the ${maxBytes} allowed`,
        );
      const target = path.join(destDir, at.name);
      fs.rmSync(target, { force: true });
      await pipeline(entry, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      present.add(at.name);
      thisLayer.add(at.name);
    }
  }
  const files = [...present];
  if (files.length !== 1)
    throw new ContainerDiskError(
      files.length
        ? `the image has ${files.length} files in /disk/ (${files.join(', ')}); a container disk has exactly one`
        : 'the image has no file in /disk/; a container disk has its disk image at /disk/<name>.qcow2 (or .img, .raw, .iso)',
    );
  return path.join(destDir, files[0]);
}

/**
 * A path inside an image, as a list of components (`/boot/vmlinuz` → ['boot', 'vmlinuz']);
 * refuses '..', '.', empty components' tricks, NUL and the root itself.
 */
export function imagePathParts(p: string): string[] {
  if (typeof p !== 'string' || !p || p.length > 1024 || p.includes('\0'))
    throw new ContainerDiskError(`path ${JSON.stringify(p)} inside the image is empty or too long`);
  const parts = p.split('/').filter((x) => x !== '');
  if (!parts.length || parts.some((x) => x === '..' || x === '.'))
    throw new ContainerDiskError(
      `path ${JSON.stringify(p)} inside the image must name a file without '.' or '..' components, such as /boot/vmlinuz`,
    );
  return parts;
}

/** An entry name of a layer, normalized the same way (undefined for names with '..'). */
function entryParts(name: string): string[] | undefined {
  const parts = name.split('/').filter((x) => x !== '' && x !== '.');
  return parts.some((x) => x === '..') ? undefined : parts;
}

/**
 * Applies the layers (lowest first) and writes the files at `wanted` (paths inside the image)
 * into `destDir` at the same relative paths; whiteouts honoured. A wanted path that is missing,
 * a link or not a regular file is refused with the reason; nothing else is written.
 */
export async function extractFiles(
  layers: readonly string[],
  wanted: readonly string[],
  destDir: string,
  maxBytes: number,
): Promise<Record<string, string>> {
  const keys = new Map(wanted.map((w) => [imagePathParts(w).join('/'), w]));
  const present = new Map<string, { type: string; linkname?: string }>();
  for (const layer of layers) {
    const thisLayer = new Set<string>();
    const hide = (k: string): void => {
      if (thisLayer.has(k)) return;
      present.delete(k);
      fs.rmSync(path.join(destDir, k), { force: true });
    };
    for await (const entry of openLayer(layer)) {
      const h = entry.header;
      const parts = entryParts(h.name);
      const base = parts?.[parts.length - 1] ?? '';
      if (parts && base === '.wh..wh..opq') {
        const dir = parts.slice(0, -1).join('/');
        for (const k of [...present.keys()]) if (k.startsWith(`${dir}/`) || !dir) hide(k);
      } else if (parts && base.startsWith('.wh.')) {
        const gone = [...parts.slice(0, -1), base.slice(4)].join('/');
        for (const k of [...present.keys()]) if (k === gone || k.startsWith(`${gone}/`)) hide(k);
      }
      const key = parts?.join('/');
      if (!key || !keys.has(key)) {
        entry.resume();
        continue;
      }
      const target = path.join(destDir, ...parts!);
      fs.rmSync(target, { force: true });
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        present.set(key, { type: h.type, linkname: h.linkname ?? '' });
        thisLayer.add(key);
        entry.resume();
        continue;
      }
      if (h.size > maxBytes)
        throw new ContainerDiskError(
          `/${key} in the image is ${h.size} bytes, more than the ${maxBytes} allowed`,
        );
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(entry, fs.createWriteStream(target, { flags: 'wx', mode: 0o600 }));
      present.set(key, { type: 'file' });
      thisLayer.add(key);
    }
  }
  const out: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, original] of keys) {
    const got = present.get(key);
    if (!got) problems.push(`/${key} is not in the image`);
    else if (got.type !== 'file')
      problems.push(
        `/${key} in the image is a ${got.type}${got.linkname ? ` to ${got.linkname}` : ''}; name the file itself`,
      );
    else out[original] = path.join(destDir, ...key.split('/'));
  }
  if (problems.length) throw new ContainerDiskError(problems.join('; '));
  return out;
}
