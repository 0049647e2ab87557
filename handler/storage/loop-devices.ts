/**
 * Loop devices for Block volumes (I/O): a sparse backing file attached with util-linux's
 * `losetup`, and a block-special node in the volume's directory that names the loop device.
 * Every call is idempotent, so the provisioner can run it on each look at a volume: an attached
 * file is found with `losetup --associated`, a node that names another device is made again.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** A loop device could not be set up or taken down; `message` says what and the fix. */
export class LoopDeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoopDeviceError';
  }
}

const LOSETUP_TIMEOUT_MS = 30_000;

function losetup(args: readonly string[], what: string): string {
  try {
    return execFileSync('losetup', args, {
      encoding: 'utf8',
      timeout: LOSETUP_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new LoopDeviceError(
        `${what}: losetup is not installed on this node; install the Debian package mount`,
      );
    const detail = (err.stderr ?? '').trim() || err.message;
    throw new LoopDeviceError(
      `${what}: losetup ${args.join(' ')} failed: ${detail}` +
        (/no free|could not find any free/i.test(detail)
          ? '; free a loop device (losetup -d) or allow more (the loop module’s max_loop)'
          : ''),
    );
  }
}

/** The loop devices `backingFile` is attached to (normally one). */
export function loopDevicesOf(backingFile: string): string[] {
  const out = losetup(['--associated', backingFile, '--noheadings', '--output', 'NAME'], backingFile);
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^\/dev\/loop\d+$/.test(l));
}

/** Attaches `backingFile` to a loop device unless it is attached already; returns the device. */
export function attachLoop(backingFile: string): string {
  const existing = loopDevicesOf(backingFile)[0];
  if (existing) return existing;
  const device = losetup(['--find', '--show', '--direct-io=off', backingFile], backingFile).trim();
  if (!/^\/dev\/loop\d+$/.test(device))
    throw new LoopDeviceError(`${backingFile}: losetup printed ${JSON.stringify(device)}, not a loop device`);
  return device;
}

/** Detaches every loop device backed by `backingFile` (none is fine). */
export function detachLoops(backingFile: string): void {
  if (!fs.existsSync(backingFile)) return;
  for (const device of loopDevicesOf(backingFile)) losetup(['--detach', device], device);
}

/**
 * Detaches every loop device whose backing file lies under `dir` (what a stopped node's Block
 * volumes, or a failed test's, left attached), so repeated runs never use up the machine's few
 * loop devices. A backing file removed while attached counts by its old path. Never throws.
 */
export function detachLoopsUnder(dir: string): void {
  let list: string;
  try {
    list = execFileSync('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE'], {
      encoding: 'utf8',
      timeout: LOSETUP_TIMEOUT_MS,
    });
  } catch {
    return; // no losetup, or no loop devices at all
  }
  const root = path.resolve(dir) + path.sep;
  for (const line of list.split('\n')) {
    const m = /^(\/dev\/loop\d+) (.+)$/.exec(line.trim());
    if (!m) continue;
    // --raw writes a space as \x20; a backing file removed while attached ends in " (deleted)".
    const file = m[2]!.replace(/\\x20/g, ' ').replace(/ \(deleted\)$/, '');
    if (!file.startsWith(root)) continue;
    try {
      execFileSync('losetup', ['--detach', m[1]!], { timeout: LOSETUP_TIMEOUT_MS, stdio: 'ignore' });
    } catch {
      // detached meanwhile
    }
  }
}

/**
 * Makes `node` a block-special file (mode 0600) for `device`'s major:minor, unless it is one
 * already. The node lives in the volume's directory, so the PersistentVolume's path stays the
 * same when the file is attached again under another loop number.
 */
export function ensureDeviceNode(node: string, device: string): void {
  const dev = fs.statSync(device);
  if (!dev.isBlockDevice()) throw new LoopDeviceError(`${device} is not a block device`);
  const existing = fs.lstatSync(node, { throwIfNoEntry: false });
  if (existing?.isBlockDevice() && existing.rdev === dev.rdev) return;
  if (existing) fs.rmSync(node, { force: true });
  const { major, minor } = deviceNumbers(dev.rdev);
  try {
    execFileSync('mknod', ['-m', '0600', node, 'b', String(major), String(minor)], {
      timeout: LOSETUP_TIMEOUT_MS,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new LoopDeviceError(`${node}: mknod for ${device} failed: ${(e as Error).message}`);
  }
  const made = fs.statSync(node);
  if (!made.isBlockDevice() || made.rdev !== dev.rdev)
    throw new LoopDeviceError(
      `${node} does not name ${device} after mknod (rdev ${made.rdev} ≠ ${dev.rdev})`,
    );
}

/** Linux's dev_t split into major and minor numbers (glibc's encoding). Pure. */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  return {
    major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)),
    minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)),
  };
}

/** Creates `file` as a sparse file of `sizeBytes` unless it exists (data is never touched). */
export function ensureBackingFile(file: string, sizeBytes: number): void {
  let fd: number;
  try {
    fd = fs.openSync(
      file,
      fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
      0o600,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  try {
    fs.ftruncateSync(fd, sizeBytes);
  } finally {
    fs.closeSync(fd);
  }
}
