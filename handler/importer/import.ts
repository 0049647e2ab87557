/**
 * The importer a DataVolume's import runs (CDI's importer pod's job, for the http source): the
 * body streams in, its compression layer comes off on the way, it lands in a scratch file inside
 * the target directory while its checksum and progress are taken, then qemu-img checks it, it is
 * converted to raw (or kept, when raw), grown to the target size, and only then renamed to
 * `disk.img`. Until that rename nothing named disk.img is touched: a failure leaves what was
 * there before and removes every file of its own.
 */
import { createHash } from 'crypto';
import { Readable } from 'stream';
import { parseChecksum, type ExpectedChecksum } from './checksum';
import { DecompressError, decompress } from './decompress';
import { convertIntoTarget, DISK_IMAGE, openTarget, placeDisk, withTarget } from './disk-target';
import {
  ImportError,
  checksumMismatch,
  connectionError,
  downloadTooLarge,
  invalidImage,
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
import { parseSourceUrl } from './source-url';
import { TooLargeError, writeSparse } from './sparse-writer';

export { DISK_IMAGE };

export interface ImportOptions {
  /** spec.source.http.url: http or https. */
  readonly url: string;
  /** The directory that receives disk.img (the PVC's mount); it must exist. With targetDevice, scratch only. */
  readonly targetDir: string;
  /** A Block claim's device node: the image is written onto it as raw (./disk-target.ts). */
  readonly targetDevice?: string;
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
  /** targetDir/disk.img, or the target device */
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
  readonly checksum: ExpectedChecksum | undefined;
}

function checkOptions(o: ImportOptions): Checked {
  const url = parseSourceUrl(o.url);
  let checksum: ExpectedChecksum | undefined;
  try {
    checksum = o.checksum === undefined ? undefined : parseChecksum(o.checksum);
  } catch (e) {
    throw new ImportError('InvalidInput', (e as Error).message);
  }
  return { url, checksum };
}

/** Reads up to HEAD_BYTES from the front of `it`, returning them and a stream of everything. */
export async function peek(it: AsyncIterator<Buffer>): Promise<{ head: Buffer; all: Readable }> {
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

/**
 * How many decompressed bytes a source may stream into scratch for a target of `target` bytes: a
 * raw image that fits is at most the target; an image format's file at most a little more (its
 * metadata). Anything bigger is refused while it streams (a decompression bomb too).
 */
export function streamLimitFor(target: number): (head: Buffer) => number {
  return (inner) =>
    detectImageFormat(inner) === 'raw' ? target : Math.floor(target * 1.1) + 64 * 1024 * 1024;
}

export async function importDisk(o: ImportOptions): Promise<ImportResult> {
  const c = checkOptions(o);
  const t = openTarget(o);
  const target = t.size;
  return withTarget(t, async () => {
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
    let written;
    try {
      written = await writeSparse(decompress(all, compression), t.scratch, streamLimitFor(target));
    } catch (e) {
      if (e instanceof TooLargeError) throw downloadTooLarge(url, e.limit, target);
      if (e instanceof DecompressError) throw invalidImage(url, e.message);
      if (e instanceof ImportError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS')
        throw writeFailed(`writing ${t.scratch}`, (e as Error).message);
      throw connectionError(url, (e as Error).message);
    }
    report(read, true);

    // 2. The checksum of what was served.
    if (hash && c.checksum) {
      const actual = hash.digest('hex');
      if (actual !== c.checksum.hex)
        throw checksumMismatch(url, c.checksum.algorithm, c.checksum.hex, actual);
    }

    // 3. What it is, whether it fits, then raw at the target size under the temporary name, then disk.img.
    const converted = await convertIntoTarget(t, t.scratch, url, {
      head: written.head,
      ...(o.convertTimeoutMs !== undefined ? { convertTimeoutMs: o.convertTimeoutMs } : {}),
    });
    placeDisk(t);
    return {
      path: t.disk,
      sourceVirtualSize: converted.sourceVirtualSize,
      size: target,
      compression,
      sourceFormat: converted.sourceFormat,
      downloadedBytes: read,
    };
  });
}
