/**
 * CDI's blank source (IMPORTER_SOURCE=none): an empty raw disk.img of the target's usable size,
 * sparse (it takes no space until the guest writes), made under the temporary name and renamed
 * into place like every other import, so an existing disk.img is replaced only whole. A Block
 * claim's device is the disk already (CDI writes nothing to it); virtkit makes the whole device
 * read zero (qemu-img's write-zeroes: holes in a loop device's backing file, no data written), so
 * a device that held something before is blank too.
 */
import { withDeviceFd } from './block-device';
import { createConverted, openTarget, placeDisk, withTarget, type TargetOptions } from './disk-target';
import { writeFailed } from './errors';
import { QemuImgError, zeroDevice } from './qemu-img';

export interface BlankResult {
  readonly path: string;
  readonly size: number;
  readonly sourceFormat: 'raw';
}

export async function createBlankDisk(o: TargetOptions): Promise<BlankResult> {
  const t = openTarget(o);
  return withTarget(t, async () => {
    const device = t.device;
    if (device) {
      try {
        await withDeviceFd(device, (fd) => zeroDevice(fd, device.size));
      } catch (e) {
        if (e instanceof QemuImgError) throw writeFailed(`zeroing ${device.path}`, e.message);
        throw e;
      }
    } else createConverted(t, t.size);
    placeDisk(t);
    return { path: t.disk, size: t.size, sourceFormat: 'raw' as const };
  });
}
