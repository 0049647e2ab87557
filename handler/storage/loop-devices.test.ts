import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  attachLoop,
  detachLoops,
  detachLoopsUnder,
  deviceNumbers,
  ensureBackingFile,
  loopDevicesOf,
} from './loop-devices';

test("a dev_t is split with Linux's encoding, minors above 255 included", () => {
  expect(deviceNumbers(7 * 256)).toEqual({ major: 7, minor: 0 });
  expect(deviceNumbers(7 * 256 + 5)).toEqual({ major: 7, minor: 5 });
  // minor 300: its low byte in bits 0-7, the rest from bit 20 up.
  expect(deviceNumbers(44 + 256 * 2 ** 12 + 7 * 256)).toEqual({ major: 7, minor: 300 });
  // major 259 (blkext): its low 12 bits in bits 8-19.
  expect(deviceNumbers(259 * 256 + 1)).toEqual({ major: 259, minor: 1 });
});

test('detachLoopsUnder detaches the devices of backing files under a folder and leaves the others', () => {
  const inside = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-loops-in-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-loops-out-'));
  const mine = path.join(inside, 'node', 'volumes', 'pv-1', 'block.img');
  const other = path.join(outside, 'block.img');
  try {
    fs.mkdirSync(path.dirname(mine), { recursive: true });
    ensureBackingFile(mine, 1 << 20);
    ensureBackingFile(other, 1 << 20);
    attachLoop(mine);
    attachLoop(other);
    detachLoopsUnder(inside);
    expect(loopDevicesOf(mine)).toEqual([]);
    expect(loopDevicesOf(other)).toHaveLength(1);
  } finally {
    detachLoops(mine);
    detachLoops(other);
    fs.rmSync(inside, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});
