/**
 * virtkit's host-assisted clone (the pvc source): the source claim's disk.img, read as raw bytes
 * (never probed: a clone copies what is there), is copied sparsely into the target under the
 * temporary name, grown to the target's usable size and renamed to disk.img. A source larger
 * than that size is refused with CDI's words for a too small target. The source is opened
 * read-only and never through a symlink out of its directory.
 *
 * Block claims (CDI copies raw bytes between volume modes when the target is large enough): a
 * Block source is its device (`sourceDevice`), read whole; a Block target is its device, written
 * from its first byte by qemu-img from the opened source (zeroes as write-zeroes, so a loop
 * device stays sparse). Filesystem→Block, Block→Block and Block→Filesystem all work this way.
 */
import * as fs from 'fs';
import * as path from 'path';
import { confinedRealPath } from '../../common/confine';
import { openBlockDevice, withDeviceFd } from './block-device';
import {
  DISK_IMAGE,
  openTarget,
  placeDisk,
  withTarget,
  type DiskTarget,
  type TargetOptions,
} from './disk-target';
import { cloneTargetTooSmall, invalidInput, sourceUnreadable, writeFailed } from './errors';
import { formatProgress, ProgressThrottle } from './progress';
import { convertOntoDevice, QemuImgError } from './qemu-img';
import { requiredSpace } from './size';
import { TooLargeError, writeSparse } from './sparse-writer';

export interface CloneOptions extends TargetOptions {
  /** The source claim's directory (its mount): disk.img in it is copied. */
  readonly sourceDir?: string;
  /** A Block source claim's device node, copied whole (instead of sourceDir). */
  readonly sourceDevice?: string;
  readonly onProgress?: (progress: string) => void;
  /** @default 1000 */
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface CloneResult {
  readonly path: string;
  readonly size: number;
  readonly sourceFormat: 'raw';
  readonly sourceVirtualSize: number;
}

export interface OpenSource {
  readonly fd: number;
  readonly file: string;
  readonly bytes: number;
  /** How messages name it: disk.img or the device. */
  readonly what: string;
}

/** The source: its disk.img or its device, read-only, never the target itself. */
function openSource(o: CloneOptions, t: DiskTarget): OpenSource {
  return openCloneSource(o, { dir: t.dir, ...(t.device ? { rdev: t.device.rdev } : {}) });
}

/**
 * A clone's source, read-only: `sourceDir`'s disk.img (confined, no symlink followed, a regular
 * file) or the Block device `sourceDevice`; never `not` (the target's directory or device).
 */
export function openCloneSource(
  o: { readonly sourceDir?: string; readonly sourceDevice?: string },
  not: { readonly dir?: string; readonly rdev?: number } = {},
): OpenSource {
  if ((o.sourceDir === undefined) === (o.sourceDevice === undefined))
    throw invalidInput('source', 'give exactly one of the source directory and the source device');
  if (o.sourceDevice === undefined) return openSourceFile(o.sourceDir!, not.dir);
  const { fd, device } = openBlockDevice(o.sourceDevice, 'read', 'source device');
  if (not.rdev !== undefined && not.rdev === device.rdev) {
    fs.closeSync(fd);
    throw invalidInput(
      'source device',
      `${o.sourceDevice} is the target device; a claim cannot be cloned into itself`,
    );
  }
  return { fd, file: device.path, bytes: device.size, what: `device ${device.path}` };
}

/** The source's disk.img, opened read-only (confined to its directory, no symlink followed). */
function openSourceFile(sourceDir: string, targetDir: string | undefined): OpenSource {
  if (!path.isAbsolute(sourceDir))
    throw invalidInput('source directory', `"${sourceDir}" is not an absolute path`);
  let dir: string;
  try {
    dir = fs.realpathSync(sourceDir);
  } catch {
    throw invalidInput(
      'source directory',
      `${sourceDir} does not exist; the source claim's volume is not on this node`,
    );
  }
  if (dir === targetDir)
    throw invalidInput(
      'source directory',
      `${sourceDir} is the target directory; a claim cannot be cloned into itself`,
    );
  let file: string;
  try {
    file = confinedRealPath(dir, DISK_IMAGE, `source directory file ${DISK_IMAGE}`);
  } catch (e) {
    throw invalidInput('source directory', (e as Error).message);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    throw sourceUnreadable(file, (e as Error).message);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw sourceUnreadable(
      file,
      'it is not a regular file (a Block source claim is given as its device, --source-device)',
    );
  }
  return { fd, file, bytes: st.size, what: DISK_IMAGE };
}

/** A Block target: qemu-img copies the source's raw bytes onto the device, reporting progress. */
async function cloneOntoDevice(
  t: DiskTarget,
  src: OpenSource,
  report: (read: number, final: boolean) => void,
): Promise<void> {
  const device = t.device!;
  try {
    await withDeviceFd(device, (fd) =>
      convertOntoDevice({ fd: src.fd }, 'raw', fd, {
        onProgress: (percent) => report(Math.floor((src.bytes * percent) / 100), false),
      }),
    );
  } catch (e) {
    if (e instanceof QemuImgError) throw writeFailed(`copying ${src.file} onto ${device.path}`, e.message);
    throw e;
  }
}

export async function cloneDisk(o: CloneOptions): Promise<CloneResult> {
  const t = openTarget(o);
  const src = openSource(o, t);
  try {
    if (src.bytes > t.size)
      throw cloneTargetTooSmall(src.bytes, t.size, requiredSpace(t.overhead, src.bytes), src.what);
    return await withTarget(t, async () => {
      const throttle = new ProgressThrottle(o.progressIntervalMs ?? 1000);
      const report = (read: number, final: boolean): void => {
        const p = throttle.next(formatProgress(read, src.bytes, final), Date.now(), final);
        if (p !== undefined) o.onProgress?.(p);
      };
      let read = 0;
      report(0, false);
      if (t.device) {
        await cloneOntoDevice(t, src, report);
        report(src.bytes, true);
        placeDisk(t);
        return { path: t.disk, size: t.size, sourceFormat: 'raw' as const, sourceVirtualSize: src.bytes };
      }
      const stream = fs.createReadStream('', {
        fd: src.fd,
        autoClose: false,
        start: 0,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      async function* counted(): AsyncGenerator<Buffer> {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          read += chunk.length;
          report(read, false);
          yield chunk;
        }
      }
      try {
        // Into the temporary name directly: the bytes are raw already and at most the target.
        await writeSparse(counted(), t.converted, () => t.size);
      } catch (e) {
        if (e instanceof TooLargeError)
          throw cloneTargetTooSmall(read, t.size, requiredSpace(t.overhead, read), src.what);
        const code = (e as NodeJS.ErrnoException).code;
        if (
          code === 'ENOSPC' ||
          code === 'EDQUOT' ||
          code === 'EACCES' ||
          code === 'EROFS' ||
          code === 'EEXIST'
        )
          throw writeFailed(`writing ${t.converted}`, (e as Error).message);
        throw sourceUnreadable(src.file, (e as Error).message);
      }
      report(read, true);
      placeDisk(t);
      return { path: t.disk, size: t.size, sourceFormat: 'raw' as const, sourceVirtualSize: read };
    });
  } finally {
    fs.closeSync(src.fd);
  }
}
