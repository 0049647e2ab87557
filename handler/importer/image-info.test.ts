import { imageInfoProblem, parseImageInfo } from './image-info';

const self = '/v/disk.img.download';

it("reads qemu-img's JSON and accepts a standalone image of the expected format", () => {
  const info = parseImageInfo(JSON.stringify({ format: 'qcow2', 'virtual-size': 1048576 }), self);
  expect(info).toEqual({ format: 'qcow2', virtualSize: 1048576, otherFiles: [] });
  expect(imageInfoProblem(info, 'qcow2')).toBeUndefined();
});

it('refuses a backing file, an external data file, a foreign extent and a format mismatch', () => {
  const base = { format: 'qcow2', 'virtual-size': 1 << 20 };
  const backing = parseImageInfo(JSON.stringify({ ...base, 'backing-filename': '/etc/shadow' }), self);
  expect(imageInfoProblem(backing, 'qcow2')).toMatch(/has a backing file \(\/etc\/shadow\)/);
  const dataFile = parseImageInfo(
    JSON.stringify({ ...base, 'format-specific': { type: 'qcow2', data: { 'data-file': '/dev/sda' } } }),
    self,
  );
  expect(imageInfoProblem(dataFile, 'qcow2')).toMatch(/refers to other files \(\/dev\/sda\)/);
  const extents = parseImageInfo(
    JSON.stringify({
      format: 'vmdk',
      'virtual-size': 1 << 20,
      'format-specific': { type: 'vmdk', data: { extents: [{ filename: self }, { filename: '/root/x' }] } },
    }),
    self,
  );
  expect(extents.otherFiles).toEqual(['/root/x']);
  expect(imageInfoProblem(parseImageInfo(JSON.stringify(base), self), 'vmdk')).toMatch(/reads it as qcow2/);
  expect(() => parseImageInfo('qemu-img: Could not open', self)).toThrow(/printed no JSON/);
});
