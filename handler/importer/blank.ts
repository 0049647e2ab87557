/**
 * CDI's blank source (IMPORTER_SOURCE=none): an empty raw disk.img of the target's usable size,
 * sparse (it takes no space until the guest writes), made under the temporary name and renamed
 * into place like every other import, so an existing disk.img is replaced only whole.
 */
import { createConverted, openTarget, placeDisk, withTarget, type TargetOptions } from './disk-target';

export interface BlankResult {
  readonly path: string;
  readonly size: number;
  readonly sourceFormat: 'raw';
}

export async function createBlankDisk(o: TargetOptions): Promise<BlankResult> {
  const t = openTarget(o);
  return withTarget(t, async () => {
    createConverted(t, t.size);
    placeDisk(t);
    return { path: t.disk, size: t.size, sourceFormat: 'raw' as const };
  });
}
