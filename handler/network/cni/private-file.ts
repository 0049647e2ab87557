/**
 * Writing a file only the handler may read (I/O): mode 0600 in a 0700 directory, atomically
 * (a temporary `.<name>.<random>.tmp` beside it, fsync, rename, fsync of the directory), never
 * through a symlink. Used for the CNI cache records and the whereabouts plugin's kubeconfig.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Writes `text` to `file` atomically with mode 0600, creating its directory (0700) when missing. Throws the fs error. */
export function writePrivateFile(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = fs.openSync(
      tmp,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      0o600,
    );
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
