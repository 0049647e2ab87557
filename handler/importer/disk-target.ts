/**
 * The target side every importer source shares (I/O): the checked target directory and its file
 * names (all confined to it, never through a symlink), CDI's target size for it, and the last
 * steps that turn a file the source produced inside the directory into `disk.img`: tell its
 * format, inspect it with qemu-img, check that it fits, convert it to raw under a temporary name
 * (or rename it, when raw), grow it to the target size, sync, and rename it into place. Until
 * that rename nothing named disk.img is touched.
 *
 * A `volumeMode: Block` claim's target is its device (`targetDevice`, ./block-device.ts): the
 * directory then only holds the source's scratch files, the usable size is the whole device (no
 * filesystem overhead), and the last step converts the checked file straight onto the device
 * with qemu-img. A device cannot be replaced whole as a file can, so a failure after it was
 * opened zeroes its first MiB: what is left is never a bootable half image.
 */
import * as fs from 'fs';
import * as path from 'path';
import { confinedRealPath } from '../../common/confine';
import { openBlockDevice, syncDevice, withDeviceFd, zeroDeviceHead, type BlockDevice } from './block-device';
import { ImportError, invalidImage, invalidInput, largerPvcRequired, writeFailed } from './errors';
import { detectImageFormat, HEAD_BYTES, type ImageFormat } from './formats';
import { convertOntoDevice, convertToRaw, inspectImage, QemuImgError } from './qemu-img';
import { DEFAULT_FILESYSTEM_OVERHEAD, overheadProblem, requiredSpace, targetImageSize } from './size';

/** KubeVirt's disk image name on a filesystem PVC. */
export const DISK_IMAGE = 'disk.img';
/** The raw image being made, renamed to disk.img when complete. */
export const CONVERTED = 'disk.img.tmp';
/** What a source brings in before it is checked (a download, a copy). */
export const SCRATCH = 'disk.img.download';
/** The registry source's pull work (layers, the extracted disk). */
export const PULL_SCRATCH = 'disk.img.pull';

export interface TargetOptions {
  /**
   * The directory that receives disk.img (the PVC's mount); it must exist. With `targetDevice`,
   * the directory for the scratch files only.
   */
  readonly targetDir: string;
  /** A Block claim's device node: the image is written onto it as raw. */
  readonly targetDevice?: string;
  /** The PVC's requested size in bytes. */
  readonly requestedBytes: number;
  /** @default 0.055 (CDI's global filesystem overhead); never given with targetDevice */
  readonly filesystemOverhead?: number;
}

export interface DiskTarget {
  /** The target directory, symlinks resolved (the scratch directory of a device target). */
  readonly dir: string;
  /** disk.img, or the device node of a device target. */
  readonly disk: string;
  /** A Block claim's device, written in place of disk.img. */
  readonly device?: BlockDevice;
  readonly scratch: string;
  readonly converted: string;
  readonly pullScratch: string;
  /** disk.img's size: CDI's usable share of the volume (a device: all of it). */
  readonly size: number;
  /** The filesystem overhead applied (0 for a device). */
  readonly overhead: number;
}

/** Checks the options, removes an earlier attempt's leftovers and works out the target size. */
export function openTarget(o: TargetOptions): DiskTarget {
  if (!path.isAbsolute(o.targetDir))
    throw invalidInput('target directory', `"${o.targetDir}" is not an absolute path`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(o.targetDir);
  } catch {
    throw invalidInput('target directory', `${o.targetDir} does not exist; mount or create the volume first`);
  }
  if (!stat.isDirectory()) throw invalidInput('target directory', `${o.targetDir} is not a directory`);
  if (!Number.isSafeInteger(o.requestedBytes) || o.requestedBytes <= 0)
    throw invalidInput('requested size', `${o.requestedBytes} is not a positive number of bytes`);
  if (o.targetDevice !== undefined && o.filesystemOverhead !== undefined)
    throw invalidInput(
      'filesystemOverhead',
      'a Block target has no filesystem, so no overhead applies; leave --filesystem-overhead out',
    );
  const overhead = o.targetDevice !== undefined ? 0 : (o.filesystemOverhead ?? DEFAULT_FILESYSTEM_OVERHEAD);
  const problem = overheadProblem(overhead);
  if (problem) throw invalidInput('filesystemOverhead', problem);
  const dir = fs.realpathSync(o.targetDir);
  // A disk.img (or leftover) that is a symlink out of the directory is refused, never followed.
  const inDir = (name: string): string => {
    try {
      return confinedRealPath(dir, name, `target directory file ${name}`);
    } catch (e) {
      throw invalidInput('target directory', (e as Error).message);
    }
  };
  const t = {
    dir,
    disk: inDir(DISK_IMAGE),
    scratch: inDir(SCRATCH),
    converted: inDir(CONVERTED),
    pullScratch: inDir(PULL_SCRATCH),
    overhead,
  };
  // Leftovers of an attempt that died are ours to remove (CDI cleans its scratch space too).
  removeTargetScratch(t);
  if (o.targetDevice !== undefined) {
    const { fd, device } = openBlockDevice(o.targetDevice, 'write', 'target device');
    fs.closeSync(fd);
    return { ...t, disk: device.path, device, size: device.size, overhead: 0 };
  }
  const size = targetImageSize({
    requestedBytes: o.requestedBytes,
    availableBytes: availableBytes(dir, t.disk),
    overhead,
  });
  return { ...t, size };
}

/** Removes every file of the importer's own (never disk.img). */
export function removeTargetScratch(t: Pick<DiskTarget, 'scratch' | 'converted' | 'pullScratch'>): void {
  removeQuietly(t.scratch);
  removeQuietly(t.converted);
  removeQuietly(t.pullScratch);
}

/** Free bytes of the volume, counting an existing disk.img as free since the import replaces it. */
function availableBytes(dir: string, disk: string): number {
  const s = fs.statfsSync(dir);
  let old = 0;
  try {
    old = fs.lstatSync(disk).blocks * 512;
  } catch {
    /* none yet */
  }
  return s.bavail * s.bsize + old;
}

export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true, recursive: true });
  } catch {
    /* best effort: nothing else to do */
  }
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** CDI's refusal of an image larger than the target, with the claim size that would hold it. */
export function tooBigFor(t: DiskTarget, virtualSize: number): ImportError {
  return largerPvcRequired(virtualSize, t.size, requiredSpace(t.overhead, virtualSize));
}

/** Creates the (empty, sparse) raw file of `bytes` under the temporary name, exclusively. */
export function createConverted(t: DiskTarget, bytes: number): void {
  const fh = fs.openSync(
    t.converted,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    0o600,
  );
  try {
    fs.ftruncateSync(fh, bytes);
  } finally {
    fs.closeSync(fh);
  }
}

function readHead(file: string): Buffer {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const b = Buffer.alloc(HEAD_BYTES);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    return b.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

export interface Converted {
  readonly sourceFormat: ImageFormat;
  readonly sourceVirtualSize: number;
}

/**
 * `file` (inside the target directory, the importer's own) becomes the raw image under the
 * temporary name: renamed when raw, converted by qemu-img otherwise. `source` names the data in
 * messages (the URL, the image); `head` saves a read when the caller has the first bytes.
 */
export async function convertIntoTarget(
  t: DiskTarget,
  file: string,
  source: string,
  /** raw: the bytes are taken as a raw disk, never probed (a clone's stream). */
  o: { head?: Buffer; convertTimeoutMs?: number; raw?: boolean } = {},
): Promise<Converted> {
  const head = o.head ?? readHead(file);
  const format = o.raw ? 'raw' : detectImageFormat(head);
  // qemu-img names the scratch file; the user knows the image by its source.
  const named = (m: string): string => m.split(file).join('the download');
  if (format === 'raw') {
    const virtualSize = fs.statSync(file).size;
    if (virtualSize === 0) throw invalidImage(source, 'it is empty');
    if (virtualSize > t.size) throw tooBigFor(t, virtualSize);
    if (t.device) await ontoDevice(t.device, file, format, named, o.convertTimeoutMs);
    else fs.renameSync(file, t.converted);
    return { sourceFormat: format, sourceVirtualSize: virtualSize };
  }
  let virtualSize: number;
  try {
    virtualSize = (await inspectImage(file, format)).virtualSize;
  } catch (e) {
    if (e instanceof QemuImgError) throw invalidImage(source, `${format}: ${named(e.message)}`);
    throw e;
  }
  if (virtualSize > t.size) throw tooBigFor(t, virtualSize);
  if (t.device) {
    await ontoDevice(t.device, file, format, named, o.convertTimeoutMs);
    return { sourceFormat: format, sourceVirtualSize: virtualSize };
  }
  createConverted(t, virtualSize);
  try {
    await convertToRaw(file, format, t.converted, o.convertTimeoutMs);
  } catch (e) {
    if (e instanceof QemuImgError) throw invalidImage(source, `qemu-img convert: ${named(e.message)}`);
    throw e;
  }
  removeQuietly(file);
  return { sourceFormat: format, sourceVirtualSize: virtualSize };
}

/** A checked image file (the importer's own) converted onto the device, then removed. */
async function ontoDevice(
  device: BlockDevice,
  file: string,
  format: ImageFormat,
  named: (m: string) => string,
  timeoutMs: number | undefined,
): Promise<void> {
  try {
    await withDeviceFd(device, (fd) =>
      convertOntoDevice({ file }, format, fd, timeoutMs !== undefined ? { timeoutMs } : {}),
    );
  } catch (e) {
    if (e instanceof QemuImgError)
      throw writeFailed(`qemu-img convert onto ${device.path}`, named(e.message));
    throw e;
  }
  removeQuietly(file);
}

/**
 * The raw image under the temporary name is grown to the target size (a sparse truncate, as
 * CDI's resize), made 0660, synced and renamed to disk.img. A device target is synced only: the
 * image is on it already, and a device has its size.
 */
export function placeDisk(t: DiskTarget): void {
  if (t.device) {
    try {
      syncDevice(t.device);
    } catch (e) {
      throw writeFailed(`syncing ${t.disk}`, (e as Error).message);
    }
    return;
  }
  try {
    fs.truncateSync(t.converted, t.size);
    fs.chmodSync(t.converted, 0o660);
    const fd = fs.openSync(t.converted, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(t.converted, t.disk);
    fsyncDir(t.dir);
  } catch (e) {
    throw writeFailed(`putting ${t.disk} in place`, (e as Error).message);
  }
}

/**
 * Runs `work` against the target; on any failure removes the importer's own files (and zeroes the
 * front of a device target) and rethrows as ImportError.
 */
export async function withTarget<T>(t: DiskTarget, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    removeTargetScratch(t);
    if (t.device) await zeroDeviceHead(t.device);
    if (e instanceof ImportError) throw e;
    throw writeFailed('import', (e as Error).message);
  }
}
