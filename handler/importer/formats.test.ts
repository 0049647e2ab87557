import { detectCompression, detectImageFormat } from './formats';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

it('tells gzip and xz by their magic, anything else is not compressed', () => {
  expect(detectCompression(bytes([0x1f, 0x8b, 8, 0]))).toBe('gzip');
  expect(detectCompression(bytes([0xfd], '7zXZ', [0]))).toBe('xz');
  expect(detectCompression(bytes([0xfd], '7zXZ'))).toBe('none'); // cut short
  expect(detectCompression(bytes('QFI\xfb'))).toBe('none');
  expect(detectCompression(Buffer.alloc(0))).toBe('none');
});

it('tells the image formats qemu-img converts; the rest (an ISO too) is raw', () => {
  expect(detectImageFormat(bytes('QFI\xfb', [0, 0, 0, 3]))).toBe('qcow2');
  expect(detectImageFormat(bytes('KDMV'))).toBe('vmdk');
  expect(detectImageFormat(bytes('vhdxfile'))).toBe('vhdx');
  expect(detectImageFormat(bytes('conectix'))).toBe('vpc');
  const vdi = Buffer.alloc(128);
  vdi.write('<<< Oracle VM VirtualBox Disk Image >>>\n', 0, 'latin1');
  vdi.writeUInt32LE(0xbeda107f, 64);
  expect(detectImageFormat(vdi)).toBe('vdi');
  const iso = Buffer.alloc(512);
  expect(detectImageFormat(iso)).toBe('raw');
  expect(detectImageFormat(bytes('QFI'))).toBe('raw');
});
