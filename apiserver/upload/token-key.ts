/**
 * The key upload tokens are signed with (I/O): only `virtkit api` holds it. Local mode keeps it
 * in a file of its state folder, made 0600 with 32 random bytes when missing; a file anyone but
 * its owner may read, a symlink or a short key is refused (the message names the file and the
 * fix, never the key). Without a file the key is made in memory: tokens then do not outlive the
 * process (and are not shared by replicas).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { MIN_KEY_BYTES } from './token';

const HEX = /^[0-9a-f]+$/;

export function loadOrCreateTokenKey(file: string | undefined): Buffer {
  if (file === undefined) return randomBytes(MIN_KEY_BYTES);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`--upload-token-key-file ${file}: ${(e as Error).message}`);
    const key = randomBytes(MIN_KEY_BYTES);
    try {
      fs.writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (err) {
      // Another process made it meanwhile: read that one.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadOrCreateTokenKey(file);
      throw new Error(`--upload-token-key-file ${file}: cannot create it: ${(err as Error).message}`);
    }
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`--upload-token-key-file ${file} is not a regular file`);
    if ((st.mode & 0o077) !== 0)
      throw new Error(
        `--upload-token-key-file ${file} may be read by others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it or remove it to have a new key made`,
      );
    const text = fs.readFileSync(fd, 'utf8').trim();
    if (!HEX.test(text) || text.length < MIN_KEY_BYTES * 2)
      throw new Error(
        `--upload-token-key-file ${file} does not hold a key of at least ${MIN_KEY_BYTES} bytes in hex; remove it to have a new key made`,
      );
    return Buffer.from(text, 'hex');
  } finally {
    fs.closeSync(fd);
  }
}
