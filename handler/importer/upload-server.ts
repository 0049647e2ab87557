/**
 * The upload source (CDI's upload server, in virtkit's importer): an HTTP server on a unix
 * socket (0600, made by the node's worker runner inside the pod's runner directory) that takes
 * exactly one upload. The body streams in: its compression layer comes off on the way, it lands
 * sparsely in the target's scratch file, bounded by what the claim can hold, then the shared
 * target steps (./disk-target.ts) check it, convert it to raw, size it and rename it to
 * disk.img. Then the upload is answered 200 and the server closes: the importer exits 0.
 *
 * As CDI's upload server: only POST takes data (anything else on an upload path is a 404); a
 * second upload while one runs is a 503, one after success a 409; a failed upload is answered
 * with "Saving stream failed: <CDI's message>" (400 for data that is not a usable image or does
 * not fit, 500 otherwise) and the server stays ready for another try. HEAD on the async path
 * answers 200 (virtctl's probe for async support). virtkit answers the async path once
 * processing is done too (the same bytes, the same checks; only later), and does not take
 * multipart form uploads yet.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { UPLOAD_PATHS } from '../../api/cdi/upload-api';
import { DecompressError, decompress } from './decompress';
import { convertIntoTarget, openTarget, placeDisk, withTarget, type TargetOptions } from './disk-target';
import { ImportError, downloadTooLarge, invalidImage, writeFailed } from './errors';
import { detectCompression } from './formats';
import { peek, streamLimitFor } from './import';
import { formatProgress, ProgressThrottle } from './progress';
import { TooLargeError, writeSparse } from './sparse-writer';

/** How messages name the data. */
const SOURCE = 'upload';
/** The longest path a unix socket may have on Linux (sun_path), less the NUL. */
export const MAX_SOCKET_PATH = 107;

export interface UploadServerOptions extends TargetOptions {
  /** Where to listen (a unix socket path; its directory must exist). */
  readonly socketPath: string;
  /** Called once the socket takes connections. */
  readonly onListening?: () => void;
  readonly onProgress?: (progress: string) => void;
  /** @default 1000 */
  readonly progressIntervalMs?: number;
  /** Stops serving (the pod was deleted). */
  readonly signal?: AbortSignal;
  /** Told about each failed attempt (the server keeps serving). */
  readonly onAttemptFailed?: (message: string) => void;
}

export interface UploadResult {
  readonly path: string;
  readonly size: number;
  readonly sourceFormat: string;
  readonly sourceVirtualSize: number;
  readonly uploadedBytes: number;
}

/** The HTTP status CDI's upload server gives a failed upload. */
export function uploadFailureStatus(e: ImportError): number {
  return e.reason === 'LargerPVCRequired' || e.reason === 'InvalidImage' ? 400 : 500;
}

/** Receives one upload into the target; resolves once disk.img is in place and the uploader was answered. */
export async function serveUpload(o: UploadServerOptions): Promise<UploadResult> {
  if (!path.isAbsolute(o.socketPath) || o.socketPath.length > MAX_SOCKET_PATH)
    throw new ImportError(
      'InvalidInput',
      `--socket ${o.socketPath}: give an absolute path of at most ${MAX_SOCKET_PATH} characters`,
    );
  // Checked now (a bad directory or size is the pod's error, not each upload's).
  openTarget(o);
  let state: 'idle' | 'busy' | 'done' = 'idle';
  let finish: (r: UploadResult) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const finished = new Promise<UploadResult>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });

  const receive = async (req: http.IncomingMessage): Promise<UploadResult> => {
    const t = openTarget(o);
    return withTarget(t, async () => {
      const total = Number(req.headers['content-length'] ?? 0);
      const throttle = new ProgressThrottle(o.progressIntervalMs ?? 1000);
      const report = (read: number, final: boolean): void => {
        const p = throttle.next(formatProgress(read, total, final), Date.now(), final);
        if (p !== undefined) o.onProgress?.(p);
      };
      let read = 0;
      let aborted = false;
      req.once('aborted', () => (aborted = true));
      async function* counted(): AsyncGenerator<Buffer> {
        // Not destroyed when the import stops early: the rest is drained and the uploader answered.
        for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
          read += chunk.length;
          report(read, false);
          yield chunk;
        }
        if (aborted || !req.complete)
          throw new Error('the uploader closed the connection before the end of the body');
      }
      const { head, all } = await peek(counted());
      const compression = detectCompression(head);
      let written;
      try {
        written = await writeSparse(decompress(all, compression), t.scratch, streamLimitFor(t.size));
      } catch (e) {
        if (e instanceof TooLargeError) throw downloadTooLarge(SOURCE, e.limit, t.size);
        if (e instanceof DecompressError) throw invalidImage(SOURCE, e.message);
        if (e instanceof ImportError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS')
          throw writeFailed(`writing ${t.scratch}`, (e as Error).message);
        throw new ImportError('ConnectionFailed', `Unable to process data: ${(e as Error).message}`);
      }
      report(read, true);
      const converted = await convertIntoTarget(t, t.scratch, SOURCE, { head: written.head });
      placeDisk(t);
      return {
        path: t.disk,
        size: t.size,
        sourceFormat: converted.sourceFormat,
        sourceVirtualSize: converted.sourceVirtualSize,
        uploadedBytes: read,
      };
    });
  };

  const answer = (res: http.ServerResponse, code: number, text = ''): void => {
    res.writeHead(code, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upload');
    if (url.pathname === '/healthz' && req.method === 'GET') return answer(res, 200, 'OK');
    const mode = UPLOAD_PATHS[url.pathname];
    if (!mode) return answer(res, 404);
    if (req.method === 'HEAD' && (mode === 'async' || mode === 'form-async')) return answer(res, 200);
    if (req.method !== 'POST') return answer(res, 404);
    if (mode === 'form' || mode === 'form-async') {
      req.resume();
      return answer(
        res,
        400,
        'Saving stream failed: multipart form uploads are not supported by virtkit yet; POST the raw image bytes to /v1beta1/upload',
      );
    }
    if (state === 'busy') {
      req.resume();
      return answer(res, 503, 'an upload to this claim is already in progress');
    }
    if (state === 'done') {
      req.resume();
      return answer(res, 409, 'this claim has already received its upload');
    }
    state = 'busy';
    receive(req).then(
      (result) => {
        state = 'done';
        res.once('finish', () => finish(result));
        answer(res, 200);
      },
      (e: unknown) => {
        state = 'idle';
        const err = e instanceof ImportError ? e : writeFailed('upload', (e as Error).message);
        o.onAttemptFailed?.(err.message);
        if (!res.destroyed) answer(res, uploadFailureStatus(err), `Saving stream failed: ${err.message}`);
        req.resume();
      },
    );
  });

  fs.rmSync(o.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(o.socketPath, 0o600);
  server.on('error', (e) => fail(e));
  const stop = (): void => fail(new ImportError('InvalidInput', 'stopped before an upload completed'));
  o.signal?.addEventListener('abort', stop, { once: true });
  o.onListening?.();
  try {
    return await finished;
  } finally {
    o.signal?.removeEventListener('abort', stop);
    server.close();
    server.closeAllConnections();
    fs.rmSync(o.socketPath, { force: true });
  }
}
