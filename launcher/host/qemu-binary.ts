/** Locates qemu-system-x86_64 and qemu-img (override with VIRTKIT_QEMU / VIRTKIT_QEMU_IMG). */
import { onPath } from '../../common/on-path';

export class QemuNotInstalledError extends Error {
  constructor(readonly binary: string) {
    super(
      `${binary} was not found on PATH; install the Debian packages qemu-system-x86 and qemu-utils (apt-get install qemu-system-x86 qemu-utils) or set VIRTKIT_QEMU / VIRTKIT_QEMU_IMG to the binaries' paths`,
    );
    this.name = 'QemuNotInstalledError';
  }
}

export function qemuSystemBinary(): string {
  const found = process.env.VIRTKIT_QEMU || onPath('qemu-system-x86_64');
  if (!found) throw new QemuNotInstalledError('qemu-system-x86_64');
  return found;
}

export function qemuImgBinary(): string {
  const found = process.env.VIRTKIT_QEMU_IMG || onPath('qemu-img');
  if (!found) throw new QemuNotInstalledError('qemu-img');
  return found;
}
