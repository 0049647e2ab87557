/**
 * CDI's size arithmetic for filesystem volumes (pure), shared by the DataVolume controller (the
 * claim to request for the `storage` form) and the importer (the image size that fits a claim).
 * A filesystem keeps part of the volume for its own metadata, so CDI reserves a fraction of it,
 * the filesystem overhead (CDIConfig `filesystemOverhead.global`, 0.055 unless configured), and
 * aligns image sizes to 1 MiB, a multiple of every usual block size.
 *
 * handler/importer/size.ts holds the same formulas for the node side; it predates this module
 * and is to become a re-export of it (the controller may not import handler/).
 */

/** CDI's default global filesystem overhead. */
export const DEFAULT_FILESYSTEM_OVERHEAD = 0.055;
/** CDI's alignment of image sizes: 1 MiB. */
export const ALIGN_BYTES = 1024 * 1024;

export function roundUpTo(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** Why an overhead is unusable, or undefined when it is a fraction in [0, 1). */
export function overheadProblem(overhead: number): string | undefined {
  if (!Number.isFinite(overhead) || overhead < 0 || overhead >= 1)
    return `filesystem overhead ${overhead} is not a fraction in [0, 1); give e.g. 0.055 for 5.5%`;
  return undefined;
}

/**
 * The filesystem claim to request so that an image of `imageBytes` fits: the image aligned up to
 * 1 MiB, divided by the share the filesystem leaves usable, rounded up to a whole byte.
 */
export function requiredSpace(overhead: number, imageBytes: number): number {
  return Math.ceil(roundUpTo(imageBytes, ALIGN_BYTES) / (1 - overhead));
}
