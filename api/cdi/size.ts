/**
 * CDI's size arithmetic for filesystem volumes (pure), shared by the DataVolume controller (the
 * claim to request for the `storage` form) and the node's importer (the image size that fits a
 * claim). A filesystem PVC cannot hold a disk image of its full size (the filesystem's own
 * metadata takes a share), so CDI reserves a fraction of it, the filesystem overhead (CDIConfig
 * `filesystemOverhead.global`, 0.055 unless configured), and aligns sizes to 1 MiB, a multiple of
 * every usual block size:
 *
 * - the importer's usable space: round down to 1 MiB of ceil((1 - overhead) * available), where
 *   available is the smaller of the requested PVC size and the space the volume reports;
 * - the controller's inverse for the `storage` form (the claim to ask for so that an image of a
 *   given size fits): ceil(roundUp(size, 1 MiB) / (1 - overhead)).
 */

/** CDI's DefaultGlobalOverhead. */
export const DEFAULT_FILESYSTEM_OVERHEAD = 0.055;
/** CDI's DefaultAlignBlockSize. */
export const ALIGN_BYTES = 1024 * 1024;

export function roundDown(n: number, multiple: number): number {
  return Math.floor(n / multiple) * multiple;
}

export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** Why an overhead is unusable, or undefined when it is a fraction in [0, 1). */
export function overheadProblem(overhead: number): string | undefined {
  if (!Number.isFinite(overhead) || overhead < 0 || overhead >= 1)
    return `filesystem overhead ${overhead} is not a fraction in [0, 1); give e.g. 0.055 for 5.5%`;
  return undefined;
}

/** The bytes of a disk image that fit on a filesystem volume of `available` bytes. */
export function usableSpace(overhead: number, available: number): number {
  return roundDown(Math.ceil((1 - overhead) * available), ALIGN_BYTES);
}

/** The filesystem volume to request so that an image of `imageBytes` fits (CDI's GetRequiredSpace). */
export function requiredSpace(overhead: number, imageBytes: number): number {
  return Math.ceil(roundUp(imageBytes, ALIGN_BYTES) / (1 - overhead));
}
