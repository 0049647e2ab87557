/**
 * Peels a compression layer off a stream while it flows (I/O): gzip with Node's zlib, xz with
 * Debian's `xz` (liblzma, the reference decoder: streaming, no native addon to build, and already
 * on every virtkit node and image through xz-utils). xz's decoder memory is capped so a hostile
 * header cannot ask for gigabytes.
 */
import { spawn } from 'child_process';
import { Readable, pipeline } from 'stream';
import * as zlib from 'zlib';
import type { Compression } from './formats';

/** xz's own default presets need at most 65 MiB to decode; -9e files too. */
export const XZ_MEMLIMIT = '512MiB';

/** A failure of the compression layer (corrupt data, truncated stream). */
export class DecompressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecompressError';
  }
}

export function decompress(source: Readable, compression: Compression): AsyncIterable<Buffer> {
  if (compression === 'none') return source;
  if (compression === 'gzip') {
    const gunzip = zlib.createGunzip();
    return (async function* () {
      const out = pipeline(source, gunzip, () => undefined);
      try {
        for await (const chunk of out) yield chunk as Buffer;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code?.startsWith('Z_'))
          throw new DecompressError(`gzip: ${(e as Error).message}`);
        throw e;
      }
    })();
  }
  return xzStream(source);
}

async function* xzStream(source: Readable): AsyncIterable<Buffer> {
  const child = spawn('xz', ['--decompress', '--stdout', `--memlimit-decompress=${XZ_MEMLIMIT}`, '-q'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  // The source's own errors (a broken connection) win over xz's complaint about a cut stream.
  let sourceError: Error | undefined;
  pipeline(source, child.stdin, (e) => {
    if (e && (e as NodeJS.ErrnoException).code !== 'EPIPE') sourceError = e;
  });
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (sourceError) throw sourceError;
    if (code !== 0)
      throw new DecompressError(`xz: ${stderr.trim().split('\n').pop() || `exit status ${code}`}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
