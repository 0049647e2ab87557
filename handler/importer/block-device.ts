/**
 * A `volumeMode: Block` claim's device as the importer's target or a clone's source (I/O). The
 * path comes from the runner (the loop device node handler/storage made in the volume's
 * directory), never from the pod; still, the importer opens it only inside its own directory
 * (symlinks in the directories resolved, the directory's entry itself never followed), write-only
 * (or read-only for a clone's source), and only when it is a block device. Its identity (the
 * device number) is kept, so each later open checks it still names the same device. The size is
 * the kernel's (sysfs), the whole device: no filesystem overhead applies.
 */
import * as fs from 'fs';
import * as path from 'path';
import { confinedRealPath } from '../../common/confine';
import { deviceNumbers } from '../storage/loop-devices';
import { invalidInput } from './errors';

/** What a failed write leaves zeroed at the front of the device, so no guest boots half an image. */
export const ZEROED_HEAD_BYTES = 1024 * 1024;

export interface BlockDevice {
  /** The device node as given (absolute). */
  readonly path: string;
  /** Its device number: every open checks the node still names this device. */
  readonly rdev: number;
  /** The device's size in bytes. */
  readonly size: number;
}

/** The size of block device `rdev` in bytes, from sysfs (512-byte sectors). */
export function blockDeviceSize(rdev: number, sysfs = '/sys/dev/block'): number {
  const { major, minor } = deviceNumbers(rdev);
  const file = path.join(sysfs, `${major}:${minor}`, 'size');
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^\d+$/.test(text))
    throw new Error(`${file} holds ${JSON.stringify(text.slice(0, 40))}, not a sector count`);
  return Number(text) * 512;
}

/**
 * Opens `devicePath` (O_WRONLY for `write`, O_RDONLY for `read`, never through a symlink, only
 * inside its own directory) and checks it is a block device (and, with `expect`, that same one).
 * `field` names the option in refusals. The caller closes the fd.
 */
export function openBlockDevice(
  devicePath: string,
  mode: 'write' | 'read',
  field: string,
  expect?: Pick<BlockDevice, 'rdev'>,
): { fd: number; device: BlockDevice } {
  if (!path.isAbsolute(devicePath) || devicePath.split('/').includes('..'))
    throw invalidInput(field, `"${devicePath}" is not an absolute path without '..'`);
  let file: string;
  try {
    // The directories on the way may be links (the runner's volume root often is); the node's
    // own entry must stay in the directory that holds it.
    const dir = fs.realpathSync(path.dirname(devicePath));
    file = confinedRealPath(dir, path.basename(devicePath), `${field} ${devicePath}`);
  } catch (e) {
    throw invalidInput(field, (e as Error).message);
  }
  const flags = (mode === 'write' ? fs.constants.O_WRONLY : fs.constants.O_RDONLY) | fs.constants.O_NOFOLLOW;
  let fd: number;
  try {
    fd = fs.openSync(file, flags);
  } catch (e) {
    throw invalidInput(field, `${devicePath} cannot be opened: ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isBlockDevice())
      throw invalidInput(
        field,
        `${devicePath} is not a block device; a volumeMode Block claim's device was expected`,
      );
    if (expect && st.rdev !== expect.rdev)
      throw invalidInput(field, `${devicePath} names another device than when the import started`);
    let size: number;
    try {
      size = blockDeviceSize(st.rdev);
    } catch (e) {
      throw invalidInput(field, `the size of ${devicePath} cannot be read: ${(e as Error).message}`);
    }
    if (size <= 0) throw invalidInput(field, `${devicePath} has no room (size 0)`);
    return { fd, device: { path: devicePath, rdev: st.rdev, size } };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

/** Runs `work` with the device opened for writing (checked to be the same device), then closes it. */
export async function withDeviceFd<T>(device: BlockDevice, work: (fd: number) => Promise<T> | T): Promise<T> {
  const { fd } = openBlockDevice(device.path, 'write', 'target device', device);
  try {
    return await work(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes everything written to the device. */
export function syncDevice(device: BlockDevice): void {
  const { fd } = openBlockDevice(device.path, 'write', 'target device', device);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Zeroes the first MiB of the device (its partition table and boot sector: a half-written image
 * is never booted) and syncs. Best effort: called on the way out of a failure.
 */
export async function zeroDeviceHead(device: BlockDevice): Promise<void> {
  try {
    await withDeviceFd(device, (fd) => {
      const zeros = Buffer.alloc(Math.min(ZEROED_HEAD_BYTES, device.size));
      fs.writeSync(fd, zeros, 0, zeros.length, 0);
      fs.fsyncSync(fd);
    });
  } catch {
    /* nothing more to do: the failure being reported is the one that matters */
  }
}
