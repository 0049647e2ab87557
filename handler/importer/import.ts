/**
 * The importer a DataVolume's import runs (CDI's importer pod's job, for the http source): the
 * body streams in, its compression layer comes off on the way, it lands in a scratch file inside
 * the target directory while its checksum and progress are taken, then qemu-img checks it, it is
 * converted to raw (or kept, when raw), grown to the target size, and only then renamed to
 * `disk.img`. Until that rename nothing named disk.img is touched: a failure leaves what was
 * there before and removes every file of its own.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { confinedRealPath } from '../../common/confine';
import { parseChecksum, type ExpectedChecksum } from './checksum';
import { DecompressError, decompress } from './decompress';
import {
  ImportError,
  checksumMismatch,
  connectionError,
  downloadTooLarge,
  invalidImage,
  invalidInput,
  largerPvcRequired,
  writeFailed,
} from './errors';
import {
  detectCompression,
  detectImageFormat,
  HEAD_BYTES,
  type Compression,
  type ImageFormat,
} from './formats';
import { openHttpSource, type BasicAuth } from './http-source';
import { formatProgress, ProgressThrottle } from './progress';
import { convertToRaw, inspectImage, QemuImgError } from './qemu-img';
import { DEFAULT_FILESYSTEM_OVERHEAD, overheadProblem, requiredSpace, targetImageSize } from './size';
import { parseSourceUrl } from './source-url';
import { TooLargeError, writeSparse } from './sparse-writer';

/** KubeVirt's disk image name on a filesystem PVC. */
export const DISK_IMAGE = 'disk.img';
const CONVERTED = 'disk.img.tmp';
const SCRATCH = 'disk.img.download';

export interface ImportOptions {
  /** spec.source.http.url: http or https. */
  readonly url: string;
  /** The directory that receives disk.img (the PVC's mount); it must exist. */
  readonly targetDir: string;
  /** The PVC's requested size in bytes. */
  readonly requestedBytes: number;
  /** PEM text of the certConfigMap's CA bundle. */
  readonly caBundle?: string;
  /** `<algorithm>:<hex>` of the bytes as served (not part of CDI's API; see checksum.ts). */
  readonly checksum?: string;
  /** The secretRef's accessKeyId and secretKey. */
  readonly basicAuth?: BasicAuth;
  readonly extraHeaders?: readonly string[];
  readonly secretExtraHeaders?: readonly string[];
  /** @default 0.055 (CDI's global filesystem overhead) */
  readonly filesystemOverhead?: number;
  /** Called with "45.20%" at most once per progressIntervalMs, and with "100.00%" at the end. */
  readonly onProgress?: (progress: string) => void;
  /** @default 1000 */
  readonly progressIntervalMs?: number;
  /** @default 600000 */
  readonly idleTimeoutMs?: number;
  readonly convertTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ImportResult {
  /** targetDir/disk.img */
  readonly path: string;
  /** The image's virtual size as served. */
  readonly sourceVirtualSize: number;
  /** disk.img's size: the usable share of the target. */
  readonly size: number;
  readonly compression: Compression;
  readonly sourceFormat: ImageFormat;
  readonly downloadedBytes: number;
}

interface Checked {
  readonly url: URL;
  readonly dir: string;
  readonly checksum: ExpectedChecksum | undefined;
  readonly overhead: number;
}

function checkOptions(o: ImportOptions): Checked {
  const url = parseSourceUrl(o.url);
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
  const overhead = o.filesystemOverhead ?? DEFAULT_FILESYSTEM_OVERHEAD;
  const problem = overheadProblem(overhead);
  if (problem) throw invalidInput('filesystemOverhead', problem);
  let checksum: ExpectedChecksum | undefined;
  try {
    checksum = o.checksum === undefined ? undefined : parseChecksum(o.checksum);
  } catch (e) {
    throw new ImportError('InvalidInput', (e as Error).message);
  }
  return { url, dir: fs.realpathSync(o.targetDir), checksum, overhead };
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

/** Reads up to HEAD_BYTES from the front of `it`, returning them and a stream of everything. */
async function peek(it: AsyncIterator<Buffer>): Promise<{ head: Buffer; all: Readable }> {
  const first: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < HEAD_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    first.push(r.value);
    len += r.value.length;
  }
  const head = Buffer.concat(first, len);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, all: Readable.from(all(), { objectMode: false }) };
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
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

export async function importDisk(o: ImportOptions): Promise<ImportResult> {
  const c = checkOptions(o);
  // A disk.img (or leftover) that is a symlink out of the directory is refused, never followed.
  const inDir = (name: string): string => {
    try {
      return confinedRealPath(c.dir, name, `target directory file ${name}`);
    } catch (e) {
      throw invalidInput('target directory', (e as Error).message);
    }
  };
  const disk = inDir(DISK_IMAGE);
  const scratch = inDir(SCRATCH);
  const converted = inDir(CONVERTED);
  // Leftovers of an attempt that died are ours to remove (CDI cleans its scratch space too).
  removeQuietly(scratch);
  removeQuietly(converted);

  const available = availableBytes(c.dir, disk);
  const target = targetImageSize({
    requestedBytes: o.requestedBytes,
    availableBytes: available,
    overhead: c.overhead,
  });
  const tooBig = (virtualSize: number): ImportError =>
    largerPvcRequired(virtualSize, target, requiredSpace(c.overhead, virtualSize));
  try {
    // 1. Download into scratch: count, hash, decompress, write sparsely.
    const source = await openHttpSource({
      url: c.url,
      ...(o.caBundle !== undefined ? { caBundle: o.caBundle } : {}),
      ...(o.basicAuth ? { basicAuth: o.basicAuth } : {}),
      ...(o.extraHeaders ? { extraHeaders: o.extraHeaders } : {}),
      ...(o.secretExtraHeaders ? { secretExtraHeaders: o.secretExtraHeaders } : {}),
      ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const url = source.finalUrl.href;
    const hash = c.checksum ? createHash(c.checksum.algorithm) : undefined;
    const throttle = new ProgressThrottle(o.progressIntervalMs ?? 1000);
    const report = (read: number, final: boolean): void => {
      const p = throttle.next(formatProgress(read, source.contentLength, final), Date.now(), final);
      if (p !== undefined) o.onProgress?.(p);
    };
    let read = 0;
    report(0, false);
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of source.body as AsyncIterable<Buffer>) {
        read += chunk.length;
        hash?.update(chunk);
        report(read, false);
        yield chunk;
      }
      if (!source.body.complete)
        throw new Error('the server closed the connection before the end of the body');
    }
    const { head, all } = await peek(counted());
    const compression = detectCompression(head);
    // A raw image that fits is at most the target; an image format's file at most a little
    // more (its metadata). Anything bigger is refused while it streams (a decompression bomb too).
    const limitFor = (inner: Buffer): number =>
      detectImageFormat(inner) === 'raw' ? target : Math.floor(target * 1.1) + 64 * 1024 * 1024;
    let written;
    try {
      written = await writeSparse(decompress(all, compression), scratch, limitFor);
    } catch (e) {
      if (e instanceof TooLargeError) throw downloadTooLarge(url, e.limit, target);
      if (e instanceof DecompressError) throw invalidImage(url, e.message);
      if (e instanceof ImportError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS')
        throw writeFailed(`writing ${scratch}`, (e as Error).message);
      throw connectionError(url, (e as Error).message);
    }
    report(read, true);

    // 2. The checksum of what was served.
    if (hash && c.checksum) {
      const actual = hash.digest('hex');
      if (actual !== c.checksum.hex)
        throw checksumMismatch(url, c.checksum.algorithm, c.checksum.hex, actual);
    }

    // 3. What it is, whether it fits, then raw at the target size under the temporary name.
    const format = detectImageFormat(written.head);
    let virtualSize: number;
    if (format === 'raw') {
      virtualSize = written.bytes;
      if (virtualSize === 0) throw invalidImage(url, 'it is empty');
      if (virtualSize > target) throw tooBig(virtualSize);
      fs.renameSync(scratch, converted);
    } else {
      try {
        virtualSize = (await inspectImage(scratch, format)).virtualSize;
      } catch (e) {
        // qemu-img names the scratch file; the user knows the image by its URL.
        if (e instanceof QemuImgError)
          throw invalidImage(url, `${format}: ${e.message.split(scratch).join('the download')}`);
        throw e;
      }
      if (virtualSize > target) throw tooBig(virtualSize);
      const fh = fs.openSync(
        converted,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
        0o600,
      );
      try {
        fs.ftruncateSync(fh, virtualSize);
      } finally {
        fs.closeSync(fh);
      }
      try {
        await convertToRaw(scratch, format, converted, o.convertTimeoutMs);
      } catch (e) {
        if (e instanceof QemuImgError)
          throw invalidImage(url, `qemu-img convert: ${e.message.split(scratch).join('the download')}`);
        throw e;
      }
      removeQuietly(scratch);
    }
    // Grown to the usable size like CDI's resize; a raw image only grows by a sparse truncate.
    try {
      fs.truncateSync(converted, target);
      fs.chmodSync(converted, 0o660);
      const fd = fs.openSync(converted, 'r+');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(converted, disk);
      fsyncDir(c.dir);
    } catch (e) {
      throw writeFailed(`putting ${disk} in place`, (e as Error).message);
    }
    return {
      path: disk,
      sourceVirtualSize: virtualSize,
      size: target,
      compression,
      sourceFormat: format,
      downloadedBytes: read,
    };
  } catch (e) {
    removeQuietly(scratch);
    removeQuietly(converted);
    if (e instanceof ImportError) throw e;
    throw writeFailed('import', (e as Error).message);
  }
}
