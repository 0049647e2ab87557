/**
 * The source side of a clone from another namespace (CDI's cdi-cloner, in virtkit's importer):
 * the source claim's raw disk (its disk.img, or its Block device), opened read-only as a clone
 * source is (./clone.ts), streamed as one upload to the target claim's upload server, whose
 * socket the node's runner found. The target runs in raw mode (a clone is never probed for an
 * image format), checks that the bytes fit and puts them in place. Progress counts the bytes
 * sent; the target's refusal ("Saving stream failed: ...") becomes this run's failure.
 */
import * as fs from 'fs';
import * as http from 'http';
import { openCloneSource } from './clone';
import { ImportError, writeFailed } from './errors';
import { formatProgress, ProgressThrottle } from './progress';

export interface CloneSendOptions {
  readonly sourceDir?: string;
  readonly sourceDevice?: string;
  /** The target's upload server (a unix socket on this node). */
  readonly socketPath: string;
  readonly onProgress?: (progress: string) => void;
  /** @default 1000 */
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
}

export interface CloneSendResult {
  readonly sentBytes: number;
  readonly source: string;
}

/** CDI's upload path the stream goes to (the target's upload server takes it whole). */
export const CLONE_UPLOAD_PATH = '/v1beta1/upload';

export async function sendClone(o: CloneSendOptions): Promise<CloneSendResult> {
  const src = openCloneSource(o);
  const throttle = new ProgressThrottle(o.progressIntervalMs ?? 1000);
  let sent = 0;
  const report = (final: boolean): void => {
    const p = throttle.next(formatProgress(sent, src.bytes, final), Date.now(), final);
    if (p !== undefined) o.onProgress?.(p);
  };
  const stream = fs.createReadStream('', { fd: src.fd, autoClose: true, start: 0, end: src.bytes - 1 });
  try {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: o.socketPath,
          method: 'POST',
          path: CLONE_UPLOAD_PATH,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(src.bytes) },
          ...(o.signal ? { signal: o.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < 65536) chunks.push(c);
            size += c.length;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8').slice(0, 4096),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      stream.on('data', (c) => {
        sent += c.length;
        report(false);
      });
      stream.on('error', (e) => req.destroy(e));
      if (src.bytes === 0) req.end();
      else stream.pipe(req);
    });
    if (status !== 200)
      throw new ImportError(
        status === 400 ? 'LargerPVCRequired' : 'WriteFailed',
        `the clone target refused ${src.what} (${status}): ${body.trim() || 'no answer'}`,
      );
    report(true);
    return { sentBytes: sent, source: src.file };
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw writeFailed(
      `sending ${src.what} to the clone target's upload server`,
      `${(e as Error).message}; the target's upload pod restarts or went away, the clone is tried again`,
    );
  } finally {
    stream.destroy();
  }
}
