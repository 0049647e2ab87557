/**
 * The files of a local snapshot (I/O): copying a volume's data files into a snapshot directory,
 * or a snapshot's back into a volume, with `cp --reflink=auto --sparse=always` (a copy-on-write
 * clone where the filesystem can make one, btrfs or XFS; a sparse full copy otherwise), then
 * verifying every copy by SHA-256 against its source (or against the sum the snapshot recorded),
 * and the manifest (`snapshot.json`) that makes a snapshot directory complete. Callers copy into a
 * temporary directory and rename it into place, so a crash never leaves a half copy that looks done.
 */
import { execFile } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { confinedRealPath } from '../../common/confine';

const run = promisify(execFile);

/** The manifest's file name inside a snapshot directory, and its format tag. */
export const MANIFEST_FILE = 'snapshot.json';
export const MANIFEST_FORMAT = 'virtkit.io/local-snapshot/v1';

export interface SnapshotFile {
  /** Relative to the snapshot (and volume) directory. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/** What a complete snapshot directory records about itself. */
export interface SnapshotManifest {
  readonly format: typeof MANIFEST_FORMAT;
  /** The VolumeSnapshotContent it was taken for. */
  readonly content: string;
  /** The PersistentVolume it was taken of. */
  readonly volume: string;
  readonly volumeMode: 'Filesystem' | 'Block';
  /** Bytes: the smallest volume it can be restored into. */
  readonly restoreSize: number;
  /** Nanoseconds since the epoch, as a decimal string (it passes 2^53). */
  readonly creationTime: string;
  readonly files: readonly SnapshotFile[];
}

/** A copy or a check failed; the message names the file, what was expected and the fix. */
export class SnapshotDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotDataError';
  }
}

/** SHA-256 of a file, streamed (sparse holes read as zeros). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    fs.createReadStream(file)
      .on('error', reject)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * The regular files under `dir`, relative to it and sorted (directories are walked; the manifest
 * and anything else is refused: a symlink or a device in a volume could lead the copy elsewhere).
 */
export function dataFiles(dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.has(r)) continue;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push(r);
      else
        throw new SnapshotDataError(
          `${path.join(dir, r)} is neither a regular file nor a directory (a symlink, device or socket); a local snapshot copies only files and directories: remove it from the volume`,
        );
    }
  };
  walk('');
  return out.sort();
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.promises.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Copies each of `files` from `fromDir` to `toDir` (reflink or sparse copy), flushes it to disk
 * and checks its SHA-256: against `expected` (a snapshot's recorded sums) when given, else against
 * the source read again after the copy (a volume written to meanwhile fails the check, and the
 * snapshot is tried again). Returns what was copied.
 */
export async function copyVerified(
  fromDir: string,
  toDir: string,
  files: readonly string[],
  expected?: ReadonlyMap<string, string>,
): Promise<SnapshotFile[]> {
  const copied: SnapshotFile[] = [];
  for (const rel of files) {
    // No '..', no symlink on the way out of either directory.
    const from = confinedRealPath(fromDir, rel, `snapshot file ${rel}`);
    const to = confinedRealPath(toDir, rel, `snapshot file ${rel}`);
    await fs.promises.mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
    try {
      await run('cp', ['--reflink=auto', '--sparse=always', '--', from, to], { timeout: 0 });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      throw new SnapshotDataError(
        err.code === 'ENOENT'
          ? `cp is not installed on this node; install the Debian package coreutils`
          : `copying ${from} to ${to} failed: ${(err.stderr ?? '').trim() || err.message}; check the free space of ${toDir}'s filesystem`,
      );
    }
    await fsyncPath(to);
    const got = await sha256File(to);
    const want = expected ? expected.get(rel) : await sha256File(from);
    if (got !== want)
      throw new SnapshotDataError(
        expected
          ? `${to}: SHA-256 ${got} differs from ${want ?? '(none)'} that the snapshot recorded for ${rel}; the snapshot's data is damaged: take a new snapshot`
          : `${to}: SHA-256 ${got} differs from its source ${from} (${want}); the volume changed while it was copied: stop what writes to it (or freeze the guest's filesystems) and the snapshot is tried again`,
      );
    copied.push({ path: rel, size: (await fs.promises.stat(to)).size, sha256: got });
  }
  return copied;
}

/** Writes the manifest into `dir` and flushes it and the directory. */
export async function writeManifest(dir: string, manifest: SnapshotManifest): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  await fs.promises.writeFile(file, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  await fsyncPath(file);
  await fsyncPath(dir);
}

/** The manifest of a complete snapshot directory, or a SnapshotDataError saying why there is none. */
export async function readManifest(dir: string): Promise<SnapshotManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let raw: string;
  try {
    raw = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new SnapshotDataError(
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? `${dir} holds no snapshot (${MANIFEST_FILE} is missing)`
        : `${file} cannot be read: ${(e as Error).message}`,
    );
  }
  let m: Partial<SnapshotManifest>;
  try {
    m = JSON.parse(raw) as Partial<SnapshotManifest>;
  } catch (e) {
    throw new SnapshotDataError(`${file} is not JSON (${(e as Error).message}); the snapshot is damaged`);
  }
  const filesOk =
    Array.isArray(m.files) &&
    m.files.every(
      (f) => typeof f?.path === 'string' && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256),
    );
  if (
    m.format !== MANIFEST_FORMAT ||
    typeof m.content !== 'string' ||
    typeof m.restoreSize !== 'number' ||
    typeof m.creationTime !== 'string' ||
    !/^\d+$/.test(m.creationTime) ||
    (m.volumeMode !== 'Filesystem' && m.volumeMode !== 'Block') ||
    !filesOk
  )
    throw new SnapshotDataError(
      `${file} is not a ${MANIFEST_FORMAT} manifest (format, content, volumeMode, restoreSize, creationTime and files with SHA-256 sums); the snapshot is damaged`,
    );
  return m as SnapshotManifest;
}

/** Renames a finished temporary directory into place and flushes the parent directory. */
export async function commitDirectory(tmp: string, final: string): Promise<void> {
  await fs.promises.rename(tmp, final);
  await fsyncPath(path.dirname(final));
}
