/**
 * What a download is, from its first bytes (pure). CDI looks at the same magic numbers: a
 * compression layer (gzip, xz) is peeled off while the data streams in, and what is inside is
 * either an image format qemu-img converts or raw data (an ISO is raw too). A format is always
 * named to qemu-img explicitly (`-f`), so a raw image is never probed.
 */

export type Compression = 'gzip' | 'xz' | 'none';

/** qemu-img's names for the formats CDI converts; anything else is imported as raw bytes. */
export type ImageFormat = 'qcow2' | 'vmdk' | 'vdi' | 'vhdx' | 'vpc' | 'raw';

/** Enough leading bytes to tell every format below apart. */
export const HEAD_BYTES = 512;

const GZIP = Buffer.from([0x1f, 0x8b]);
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

function startsWithAt(head: Buffer, magic: Buffer | string, offset = 0): boolean {
  const m = typeof magic === 'string' ? Buffer.from(magic, 'latin1') : magic;
  return head.length >= offset + m.length && head.subarray(offset, offset + m.length).equals(m);
}

export function detectCompression(head: Buffer): Compression {
  if (startsWithAt(head, XZ)) return 'xz';
  if (startsWithAt(head, GZIP)) return 'gzip';
  return 'none';
}

export function detectImageFormat(head: Buffer): ImageFormat {
  if (startsWithAt(head, 'QFI\xfb')) return 'qcow2';
  if (startsWithAt(head, 'KDMV')) return 'vmdk';
  if (startsWithAt(head, 'vhdxfile')) return 'vhdx';
  if (startsWithAt(head, 'conectix')) return 'vpc';
  // VDI: a text banner, then the signature 0xbeda107f (little-endian) at offset 64.
  if (startsWithAt(head, Buffer.from([0x7f, 0x10, 0xda, 0xbe]), 64)) return 'vdi';
  return 'raw';
}
