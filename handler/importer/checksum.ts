/**
 * Expected checksums of a download, written `<algorithm>:<hex>` (pure). CDI's DataVolume API has
 * no checksum field; this is the importer's own option (`virtkit importer --checksum`) for callers
 * that know the published sum of an image (a cloud image's SHA256SUMS names the file as served,
 * so the sum is taken over the bytes downloaded, before decompression).
 */

export const CHECKSUM_ALGORITHMS = { sha256: 64, sha512: 128, sha1: 40, md5: 32 } as const;
export type ChecksumAlgorithm = keyof typeof CHECKSUM_ALGORITHMS;

export interface ExpectedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  readonly hex: string;
}

export class ChecksumFormatError extends Error {
  constructor(
    readonly value: string,
    problem: string,
  ) {
    super(`checksum "${value.slice(0, 140)}": ${problem}`);
    this.name = 'ChecksumFormatError';
  }
}

const FORMS = Object.entries(CHECKSUM_ALGORITHMS)
  .map(([a, n]) => `${a}:<${n} hex digits>`)
  .join(', ');

export function parseChecksum(value: string): ExpectedChecksum {
  const colon = value.indexOf(':');
  if (colon < 0) throw new ChecksumFormatError(value, `has no algorithm; write one of ${FORMS}`);
  const algorithm = value.slice(0, colon).trim().toLowerCase();
  const hex = value
    .slice(colon + 1)
    .trim()
    .toLowerCase();
  if (!(algorithm in CHECKSUM_ALGORITHMS))
    throw new ChecksumFormatError(value, `algorithm "${algorithm}" is not supported; write one of ${FORMS}`);
  const want = CHECKSUM_ALGORITHMS[algorithm as ChecksumAlgorithm];
  if (!/^[0-9a-f]*$/.test(hex) || hex.length !== want)
    throw new ChecksumFormatError(
      value,
      `a ${algorithm} sum is ${want} hex digits; write ${algorithm}:<${want} hex digits>`,
    );
  return { algorithm: algorithm as ChecksumAlgorithm, hex };
}

export function formatChecksum(c: ExpectedChecksum): string {
  return `${c.algorithm}:${c.hex}`;
}
