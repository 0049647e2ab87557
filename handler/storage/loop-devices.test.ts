import { deviceNumbers } from './loop-devices';

test("a dev_t is split with Linux's encoding, minors above 255 included", () => {
  expect(deviceNumbers(7 * 256)).toEqual({ major: 7, minor: 0 });
  expect(deviceNumbers(7 * 256 + 5)).toEqual({ major: 7, minor: 5 });
  // minor 300: its low byte in bits 0-7, the rest from bit 20 up.
  expect(deviceNumbers(44 + 256 * 2 ** 12 + 7 * 256)).toEqual({ major: 7, minor: 300 });
  // major 259 (blkext): its low 12 bits in bits 8-19.
  expect(deviceNumbers(259 * 256 + 1)).toEqual({ major: 259, minor: 1 });
});
