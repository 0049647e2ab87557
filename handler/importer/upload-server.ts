/**
 * The upload source (CDI's upload server, in virtkit's importer): an HTTP server on a unix
 * socket (0600, made by the node's worker runner inside the pod's runner directory) that takes
 * exactly one upload. The body streams in: its compression layer comes off on the way, it lands
 * sparsely in the target's scratch file, bounded by what the claim can hold, then the shared
 * target steps (./disk-target.ts) check it, convert it to raw, size it and rename it to
 * disk.img. Then the server closes: the importer exits 0.
 *
 * CDI's four ways to send the image, each on its v1beta1 and v1alpha1 path:
 *
 *   upload             raw bytes; answered 200 once disk.img is in place
 *   upload-async       raw bytes; answered 200 once the whole body is saved and the image
 *                      checked (format, qemu-img info, size, as CDI validates before pausing);
 *                      the conversion follows
 *   upload-form        multipart/form-data, the image in the field "file"; answered like upload
 *   upload-form-async  the same form; answered like upload-async
 *
 * A form is parsed as it streams (busboy): only the bytes of its one "file" part are the image,
 * other parts are read and dropped (their values bounded); a form without a "file" part, with
 * two, or with "file" as a plain value is refused 400, and so is a body that is not
 * multipart/form-data (before a byte is read).
 *
 * As CDI's upload server: only POST takes data (anything else on an upload path is a 404); a
 * second upload while one runs is a 503, one after the body was taken a 409; an upload that
 * fails before it is answered is answered with "Saving stream failed: <CDI's message>" (400 for
 * data that is not a usable image or form or does not fit, 500 otherwise), leaves nothing in the
 * target and the server ready for another try. HEAD on the async paths answers 200 (virtctl's
 * probe for async support). A conversion that fails after an async answer cannot be told to the
 * uploader: as CDI's upload server exits with it, serveUpload rejects with it (the pod fails
 * with that message and is restarted), and nothing half-written is left named disk.img.
 */
import busboy from 'busboy';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { UPLOAD_PATHS } from '../../api/cdi/upload-api';
import { formUploadProblem, UPLOAD_FORM_FIELD, UPLOAD_FORM_FIX } from '../../common/node-api';
import { DecompressError, decompress } from './decompress';
import {
  convertIntoTarget,
  openTarget,
  placeDisk,
  tooBigFor,
  withTarget,
  type DiskTarget,
  type TargetOptions,
} from './disk-target';
import { ImportError, downloadTooLarge, invalidImage, writeFailed } from './errors';
import { detectCompression, detectImageFormat } from './formats';
import { peek, streamLimitFor } from './import';
import { formatProgress, ProgressThrottle } from './progress';
import { inspectImage, QemuImgError } from './qemu-img';
import { TooLargeError, writeSparse } from './sparse-writer';

/** How messages name the data. */
const SOURCE = 'upload';
/** The longest path a unix socket may have on Linux (sun_path), less the NUL. */
export const MAX_SOCKET_PATH = 107;
/** Bounds on the parts of a form that are not the image: their values are read, then dropped. */
const FORM_LIMITS: busboy.Limits = { fieldSize: 64 * 1024, fields: 100, headerPairs: 100 };

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
  /**
   * The claim is a clone's target (CDI's `k8s.io/CloneRequest`): the bytes are the source's raw
   * disk, taken as they are, never probed for a compression or an image format (a guest's disk
   * may hold anything, a qcow2 header included).
   */
  readonly raw?: boolean;
  /** Told about each failed attempt that was answered (the server keeps serving). */
  readonly onAttemptFailed?: (message: string) => void;
}

export interface UploadResult {
  readonly path: string;
  readonly size: number;
  readonly sourceFormat: string;
  readonly sourceVirtualSize: number;
  readonly uploadedBytes: number;
}

/** A form upload whose body is not the form CDI takes: the uploader's to fix (400). */
export class FormUploadError extends ImportError {
  constructor(message: string) {
    super('InvalidInput', message);
    this.name = 'FormUploadError';
  }
}

/** The uploader went away before the end of the body. */
class UploaderGoneError extends Error {
  constructor() {
    super('the uploader closed the connection before the end of the body');
    this.name = 'UploaderGoneError';
  }
}

/** The HTTP status CDI's upload server gives a failed upload. */
export function uploadFailureStatus(e: ImportError): number {
  return e instanceof FormUploadError || e.reason === 'LargerPVCRequired' || e.reason === 'InvalidImage'
    ? 400
    : 500;
}

/**
 * The bytes of the form's one "file" part, as they stream in (never gathered in memory); every
 * other part is read and dropped. It ends only once the whole form has been read, so a second
 * "file" part or a broken form fails the upload before it is answered.
 */
async function* formFileBytes(
  body: AsyncGenerator<Buffer>,
  headers: http.IncomingHttpHeaders,
): AsyncGenerator<Buffer> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers, limits: FORM_LIMITS });
  } catch (e) {
    throw new FormUploadError(`the form cannot be read: ${(e as Error).message}; ${UPLOAD_FORM_FIX}`);
  }
  const field = JSON.stringify(UPLOAD_FORM_FIELD);
  let problem: FormUploadError | undefined;
  let files = 0;
  const input = Readable.from(body, { objectMode: false });
  // Errors reach us through the pipeline's promise and the file part's stream; these listeners
  // only keep a late one (after a destroy) from being an uncaught 'error' event.
  input.on('error', () => undefined);
  parser.on('error', () => undefined);
  const parsed = pipeline(input, parser);
  parsed.catch(() => undefined);
  const file = new Promise<Readable | undefined>((resolve) => {
    parser.on('file', (name, stream) => {
      stream.on('error', () => undefined);
      if (name !== UPLOAD_FORM_FIELD) return void stream.resume();
      if (++files > 1) {
        problem ??= new FormUploadError(
          `the form has more than one field ${field}; send exactly one: the image (curl -F ${UPLOAD_FORM_FIELD}=@disk.qcow2)`,
        );
        return void stream.resume();
      }
      resolve(stream);
    });
    parsed.then(
      () => resolve(undefined),
      () => resolve(undefined),
    );
  });
  parser.on('field', (name) => {
    if (name === UPLOAD_FORM_FIELD)
      problem ??= new FormUploadError(
        `the form's field ${field} is a plain value, not a file; send the image as a file part (curl -F ${UPLOAD_FORM_FIELD}=@disk.qcow2)`,
      );
  });
  const broken = (e: unknown): Error =>
    e instanceof UploaderGoneError || e instanceof ImportError
      ? e
      : new FormUploadError(`the multipart form is malformed: ${(e as Error).message}; ${UPLOAD_FORM_FIX}`);
  try {
    const stream = await file;
    if (stream)
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (e) {
        throw broken(e);
      }
    try {
      await parsed;
    } catch (e) {
      throw broken(e);
    }
    if (problem) throw problem;
    if (!stream)
      throw new FormUploadError(`the form has no field ${field}: it carries the image; ${UPLOAD_FORM_FIX}`);
  } finally {
    // Stopped early (the image did not fit, the form was refused): stop parsing and reading;
    // the caller drains what is left of the request.
    input.destroy();
    parser.destroy();
    await body.return(undefined);
  }
}

/**
 * The request's body chunk by chunk, each told to `onChunk`; throws UploaderGoneError when the
 * uploader leaves before its end. Returned early, it leaves the request whole, to be drained.
 */
async function* bodyOf(req: http.IncomingMessage, onChunk: (bytes: number) => void): AsyncGenerator<Buffer> {
  let aborted = false;
  req.once('aborted', () => (aborted = true));
  try {
    for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      onChunk(chunk.length);
      yield chunk;
    }
  } catch {
    // Reading a request fails only when its connection does ("aborted", a reset).
    throw new UploaderGoneError();
  }
  if (aborted || !req.complete) throw new UploaderGoneError();
}

/**
 * CDI's check of a saved async upload before it is answered (its ValidatePause phase): the
 * format, what qemu-img makes of the image and its virtual size against the claim, as
 * convertIntoTarget checks them, so that an image that cannot fit or be read is still refused to
 * the uploader. Only the conversion is left for after the answer.
 */
async function validateSaved(t: DiskTarget, head: Buffer, raw: boolean): Promise<void> {
  const format = raw ? 'raw' : detectImageFormat(head);
  let virtualSize: number;
  if (format === 'raw') {
    virtualSize = fs.statSync(t.scratch).size;
    if (virtualSize === 0) throw invalidImage(SOURCE, 'it is empty');
  } else
    try {
      virtualSize = (await inspectImage(t.scratch, format)).virtualSize;
    } catch (e) {
      if (e instanceof QemuImgError)
        throw invalidImage(SOURCE, `${format}: ${e.message.split(t.scratch).join('the download')}`);
      throw e;
    }
  if (virtualSize > t.size) throw tooBigFor(t, virtualSize);
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

  /** The first phase: the whole body read (of a form, its "file" part) and saved as scratch. */
  const save = async (t: DiskTarget, image: AsyncGenerator<Buffer>): Promise<Buffer> => {
    try {
      const { head, all } = await peek(image);
      const compression = o.raw ? 'none' : detectCompression(head);
      return (await writeSparse(decompress(all, compression), t.scratch, streamLimitFor(t.size))).head;
    } catch (e) {
      if (e instanceof TooLargeError) throw downloadTooLarge(SOURCE, e.limit, t.size);
      if (e instanceof DecompressError) throw invalidImage(SOURCE, e.message);
      if (e instanceof ImportError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS')
        throw writeFailed(`writing ${t.scratch}`, (e as Error).message);
      throw new ImportError('ConnectionFailed', `Unable to process data: ${(e as Error).message}`);
    }
  };

  /** The second phase: the scratch file checked, converted, sized and put in place as disk.img. */
  const place = async (t: DiskTarget, head: Buffer, uploadedBytes: number): Promise<UploadResult> => {
    const converted = await convertIntoTarget(t, t.scratch, SOURCE, { head, raw: o.raw === true });
    placeDisk(t);
    return {
      path: t.disk,
      size: t.size,
      sourceFormat: converted.sourceFormat,
      sourceVirtualSize: converted.sourceVirtualSize,
      uploadedBytes,
    };
  };

  const answer = (res: http.ServerResponse, code: number, text = ''): void => {
    res.writeHead(code, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const sent = (res: http.ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      if (res.writableFinished || res.destroyed) return resolve();
      res.once('close', () => resolve());
    });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upload');
    if (url.pathname === '/healthz' && req.method === 'GET') return answer(res, 200, 'OK');
    const mode = UPLOAD_PATHS[url.pathname];
    if (!mode) return answer(res, 404);
    const isAsync = mode === 'async' || mode === 'form-async';
    const isForm = mode === 'form' || mode === 'form-async';
    if (req.method === 'HEAD' && isAsync) return answer(res, 200);
    if (req.method !== 'POST') return answer(res, 404);
    const formProblem = isForm ? formUploadProblem(req.headers['content-type']) : undefined;
    if (formProblem) {
      req.resume();
      return answer(res, 400, formProblem);
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
    const total = Number(req.headers['content-length'] ?? 0);
    const throttle = new ProgressThrottle(o.progressIntervalMs ?? 1000);
    let read = 0;
    const report = (final: boolean): void => {
      const p = throttle.next(formatProgress(read, total, final), Date.now(), final);
      if (p !== undefined) o.onProgress?.(p);
    };
    const body = bodyOf(req, (n) => {
      read += n;
      report(false);
    });
    const image = isForm ? formFileBytes(body, req.headers) : body;
    let answered = false;
    const attempt = async (): Promise<UploadResult> => {
      const t = openTarget(o);
      const head = await withTarget(t, () => save(t, image));
      report(true);
      if (isAsync) {
        await withTarget(t, () => validateSaved(t, head, o.raw === true));
        // The uploader's part is done: it is answered now, the conversion follows.
        state = 'done';
        answered = true;
        answer(res, 200);
      }
      return withTarget(t, () => place(t, head, read));
    };
    attempt().then(
      async (result) => {
        state = 'done';
        if (!answered) answer(res, 200);
        await sent(res);
        finish(result);
      },
      (e: unknown) => {
        const err = e instanceof ImportError ? e : writeFailed('upload', (e as Error).message);
        // After an async answer nobody waits on this request: the pod fails with it, as CDI's.
        if (answered) return fail(err);
        state = 'idle';
        o.onAttemptFailed?.(err.message);
        if (!res.destroyed) answer(res, uploadFailureStatus(err), `Saving stream failed: ${err.message}`);
        // What is left of the body is read and dropped once nothing else reads it.
        void image
          .return(undefined)
          .catch(() => undefined)
          .then(() => setImmediate(() => req.resume()));
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
