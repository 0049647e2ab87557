/**
 * The runtime half of QEMU's confinement (plan/qemu-files.ts is the pure half): hand the
 * per-VM QEMU directory to QEMU's user, open the files QEMU gets as descriptors, and give
 * QEMU's sockets explicit modes once they exist.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { QemuIdentity } from '../host/qemu-user';
import type { PassedFd } from '../plan/types';
import { PrepareError } from './prepare';

/** Owner-only modes: the QEMU directory and what is in it belong to QEMU's user alone. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Makes `dir` (and everything in it, without following links) QEMU's: owned by its user when
 * the launcher is root, 0700 directories and 0600 files either way.
 */
export function handOverQemuDir(dir: string, identity: QemuIdentity | undefined): void {
  const visit = (p: string, isDir: boolean): void => {
    if (identity) fs.lchownSync(p, identity.uid, identity.gid);
    fs.chmodSync(p, isDir ? DIR_MODE : FILE_MODE);
    if (!isDir) return;
    for (const entry of fs.readdirSync(p, { withFileTypes: true })) {
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory() || entry.isFile()) visit(path.join(p, entry.name), entry.isDirectory());
    }
  };
  visit(dir, true);
}

/** Opens each passed file (read-only or read-write); all or nothing. */
export function openPassedFds(passed: readonly PassedFd[]): number[] {
  const opened: number[] = [];
  try {
    for (const f of passed) opened.push(fs.openSync(f.path, f.write ? 'r+' : 'r'));
  } catch (e) {
    closeAll(opened);
    const failed = passed[opened.length];
    throw new PrepareError(
      undefined,
      'open a file for QEMU',
      `${failed?.path} (${failed?.write ? 'read-write' : 'read-only'}): ${(e as Error).message}`,
    );
  }
  return opened;
}

export function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** Sockets QEMU created: owner-only (the launcher, as root, still connects). */
export function restrictSockets(paths: readonly (string | undefined)[]): void {
  for (const p of paths) {
    if (!p) continue;
    try {
      fs.chmodSync(p, FILE_MODE);
    } catch {
      // not created (a socket QEMU opens lazily), or QEMU is gone
    }
  }
}
