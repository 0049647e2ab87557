/**
 * The Block target's parts that need no device: its size from sysfs, CDI's too-small refusal
 * without filesystem overhead, and what is refused before anything is opened for writing.
 * (Writing onto a real loop device: ./block-target.test.ts.)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blockDeviceSize, openBlockDevice } from './block-device';
import { tooBigFor, type DiskTarget } from './disk-target';

const Mi = 1024 * 1024;
let work: string;
beforeAll(() => (work = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-block-device-'))));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

it("reads a device's size from sysfs by its device number (512-byte sectors)", () => {
  const sysfs = path.join(work, 'sys');
  fs.mkdirSync(path.join(sysfs, '7:3'), { recursive: true });
  fs.writeFileSync(path.join(sysfs, '7:3', 'size'), '65536\n');
  // glibc's dev_t of major 7, minor 3.
  expect(blockDeviceSize((7 << 8) | 3, sysfs)).toBe(32 * Mi);
  fs.writeFileSync(path.join(sysfs, '7:3', 'size'), 'lots');
  expect(() => blockDeviceSize((7 << 8) | 3, sysfs)).toThrow(/not a sector count/);
});

it("refuses an image larger than a device with CDI's words, asking for the image's size (no overhead)", () => {
  const device: DiskTarget = {
    dir: work,
    disk: '/v/pvc-1/device',
    device: { path: '/v/pvc-1/device', rdev: 0x703, size: 32 * Mi },
    scratch: '',
    converted: '',
    pullScratch: '',
    size: 32 * Mi,
    overhead: 0,
  };
  const e = tooBigFor(device, 40 * Mi + 1);
  expect(e.reason).toBe('LargerPVCRequired');
  expect(e.message).toBe(
    `Unable to process data: Unable to convert source data to target format: virtual image size ${40 * Mi + 1} is larger than the reported available storage ${32 * Mi}. A larger PVC is required (request at least ${41 * Mi} bytes)`,
  );
});

it('opens nothing that is not an absolute path to a block device', () => {
  const file = path.join(work, 'regular');
  fs.writeFileSync(file, 'x');
  expect(() => openBlockDevice('dev/loop0', 'write', 'target device')).toThrow(
    /target device: "dev\/loop0" is not an absolute path/,
  );
  expect(() => openBlockDevice('/dev/../dev/loop0', 'write', 'target device')).toThrow(/without '\.\.'/);
  expect(() => openBlockDevice(file, 'write', 'target device')).toThrow(/is not a block device/);
  expect(() => openBlockDevice(path.join(work, 'missing'), 'read', 'source device')).toThrow(
    /source device: .*missing cannot be opened/,
  );
  // A symlink in the device's place is never followed, even to a file beside it.
  fs.symlinkSync(file, path.join(work, 'link'));
  expect(() => openBlockDevice(path.join(work, 'link'), 'write', 'target device')).toThrow(
    /cannot be opened: ELOOP/,
  );
});
