/**
 * Writes a stream into a new file, leaving holes where whole blocks are zero (I/O): a raw image
 * of a mostly empty disk takes only the space of its data, as qemu-img's own output does. The
 * file is created exclusively and never through a symlink; writing stops with `TooLargeError`
 * once more than the limit has come (`limit` is asked once, with the data's first bytes, so the
 * bound can depend on the format).
 */
import * as fs from 'fs';
import { HEAD_BYTES } from './formats';

const BLOCK = 64 * 1024;

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'TooLargeError';
  }
}

export interface Written {
  readonly bytes: number;
  /** The first bytes of the data, to tell its format. */
  readonly head: Buffer;
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export async function writeSparse(
  chunks: AsyncIterable<Buffer>,
  file: string,
  limitFor: (head: Buffer) => number,
): Promise<Written> {
  const fh = await fs.promises.open(
    file,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    0o600,
  );
  let pos = 0;
  const heads: Buffer[] = [];
  let headLen = 0;
  // Bytes not yet written, so that writes and hole checks happen on whole aligned blocks.
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let limit = Infinity;
  const flush = async (all: boolean): Promise<void> => {
    if (pendingLen === 0) return;
    const buf = Buffer.concat(pending, pendingLen);
    const whole = all ? buf.length : buf.length - (buf.length % BLOCK);
    for (let off = 0; off < whole; off += BLOCK) {
      const block = buf.subarray(off, Math.min(off + BLOCK, whole));
      if (!isZero(block)) await fh.write(block, 0, block.length, pos + off);
    }
    pos += whole;
    pending = whole < buf.length ? [buf.subarray(whole)] : [];
    pendingLen = buf.length - whole;
  };
  try {
    for await (const chunk of chunks) {
      if (headLen < HEAD_BYTES) {
        heads.push(chunk.subarray(0, HEAD_BYTES - headLen));
        headLen += Math.min(chunk.length, HEAD_BYTES - headLen);
        if (headLen >= HEAD_BYTES) limit = limitFor(Buffer.concat(heads));
      }
      if (pos + pendingLen + chunk.length > limit) throw new TooLargeError(limit);
      pending.push(chunk);
      pendingLen += chunk.length;
      if (pendingLen >= 4 * BLOCK) await flush(false);
    }
    // A stream shorter than the head: its limit is known only now.
    if (headLen < HEAD_BYTES) {
      const small = limitFor(Buffer.concat(heads));
      if (pos + pendingLen > small) throw new TooLargeError(small);
    }
    await flush(true);
    await fh.truncate(pos);
    await fh.sync();
    return { bytes: pos, head: Buffer.concat(heads) };
  } finally {
    await fh.close();
  }
}
