/**
 * Files the handler (root) reads and writes in a launcher pod's folders, which the launcher
 * (another uid, not trusted) can write too: every path is opened without following a link
 * (O_NOFOLLOW, or O_EXCL for a new file), ownership and mode are set on the open descriptor
 * (fchown, fchmod), and a new file is renamed into place once complete, so nothing the launcher
 * swaps in meanwhile makes the handler read, write or chown anything outside the pod's folder.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** The uid and gid of the launcher, from the mark it made (a regular file, never a link). */
export function launcherOwner(mark: string): FileOwner {
  const st = fs.lstatSync(mark);
  if (!st.isFile()) throw new Error(`${mark} is not a regular file`);
  return { uid: st.uid, gid: st.gid };
}

/** Reads a file the launcher wrote, at most `maxBytes`, never through a link. */
export function readPodFile(file: string, maxBytes = 1 << 20): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file`);
    if (st.size > maxBytes) throw new Error(`${file} is larger than ${maxBytes} bytes`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** A JSON file the launcher wrote; the error never quotes the content. */
export function readPodJson(file: string): unknown {
  const text = readPodFile(file);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${path.basename(file)} is not valid JSON`);
  }
}

/** A new file at `file` (renamed into place), owned by `owner` with `mode`, written from `write`. */
async function placeOwned(
  file: string,
  owner: FileOwner,
  mode: number,
  write: (fd: number) => Promise<void> | void,
): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
  fs.rmSync(tmp, { force: true });
  // O_EXCL: never through a file or link that is already there.
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    await write(fd);
    fs.fchownSync(fd, owner.uid, owner.gid);
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Writes `content` to `file` whole, owned by `owner`, mode 0600. */
export function writeOwnedFile(file: string, content: string, owner: FileOwner): Promise<void> {
  return placeOwned(file, owner, 0o600, (fd) => {
    fs.writeFileSync(fd, content);
  });
}

/** Copies `from` (the handler's own file) to `to`, owned by `owner`, read-only for it (0400). */
export function copyOwnedFile(from: string, to: string, owner: FileOwner): Promise<void> {
  return placeOwned(to, owner, 0o400, async (fd) => {
    await new Promise<void>((resolve, reject) => {
      const source = fs.createReadStream(from);
      const target = fs.createWriteStream('', { fd, autoClose: false });
      source.on('error', reject);
      target.on('error', reject);
      target.on('finish', () => resolve());
      source.pipe(target);
    });
  });
}
