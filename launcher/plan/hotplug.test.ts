import {
  attachCommands,
  blockdevDelCommands,
  bootTargets,
  detachDeviceCommand,
  diskLetters,
  hotplugIds,
  nextScsiTarget,
  volumeNameProblem,
} from './hotplug';

describe('hotplug QMP commands', () => {
  it('attaches a file node, a raw node and a scsi-hd on the hotplug bus', () => {
    const built = attachCommands({ name: 'data', path: '/x', serial: 'S1' }, './hotplug/data.img', 'scsi0.0');
    if ('problems' in built) throw new Error(built.problems.join());
    expect(built.commands).toEqual([
      {
        execute: 'blockdev-add',
        arguments: {
          driver: 'file',
          'node-name': 'hpf-data',
          filename: './hotplug/data.img',
          'read-only': false,
          cache: { direct: false, 'no-flush': false },
        },
      },
      {
        execute: 'blockdev-add',
        arguments: {
          driver: 'raw',
          'node-name': 'hpd-data',
          file: 'hpf-data',
          'read-only': false,
          cache: { direct: false, 'no-flush': false },
        },
      },
      {
        execute: 'device_add',
        arguments: {
          driver: 'scsi-hd',
          id: 'ua-data',
          drive: 'hpd-data',
          bus: 'scsi0.0',
          'write-cache': 'off',
          serial: 'S1',
        },
      },
    ]);
  });

  it('takes an absolute path too, and refuses a relative one that leaves QEMU directory', () => {
    expect('commands' in attachCommands({ name: 'd', path: '/x' }, '/dev/sdz', 'scsi0.0')).toBe(true);
    const out = attachCommands({ name: 'd', path: '/x' }, './../escape.img', 'scsi0.0');
    expect('problems' in out && out.problems[0]).toMatch(/path/);
  });

  it('maps cache modes to O_DIRECT and the guest write cache', () => {
    const none = attachCommands({ name: 'd', path: '/x', cache: 'none' }, '/a', 'scsi0.0');
    const back = attachCommands(
      { name: 'd', path: '/x', cache: 'writeback', readOnly: true },
      '/a',
      'scsi0.0',
    );
    if ('problems' in none || 'problems' in back) throw new Error('refused');
    expect(none.commands[0]!.arguments.cache).toEqual({ direct: true, 'no-flush': false });
    expect(none.commands[2]!.arguments['write-cache']).toBe('on');
    expect(back.commands[0]!.arguments['read-only']).toBe(true);
    expect(back.commands[2]!.arguments['write-cache']).toBe('on');
  });

  it('refuses every bad value at once, naming the field', () => {
    const built = attachCommands(
      { name: 'Bad_Name', path: '/x', cache: 'unsafe', serial: 'a\nb' },
      'relative/path',
      'scsi0.0',
    );
    expect('problems' in built && built.problems).toEqual([
      expect.stringContaining('name "Bad_Name": must be a lowercase RFC 1123 label'),
      expect.stringContaining('cache "unsafe": unknown cache mode'),
      expect.stringContaining('serial "a\\nb": contains a newline'),
      expect.stringContaining('path "relative/path"'),
    ]);
  });

  it('detaches with device_del, then deletes the format node before the file node', () => {
    const ids = hotplugIds('data');
    expect(detachDeviceCommand(ids)).toEqual({ execute: 'device_del', arguments: { id: 'ua-data' } });
    expect(blockdevDelCommands(ids).map((c) => c.arguments['node-name'])).toEqual(['hpd-data', 'hpf-data']);
  });

  it('keeps node names under QEMU limit of 31 characters with a stable hash', () => {
    const long = 'a'.repeat(63);
    const ids = hotplugIds(long);
    expect(ids.fileNode.length).toBeLessThanOrEqual(31);
    expect(ids.formatNode).not.toBe(ids.fileNode);
    expect(hotplugIds(long)).toEqual(ids);
    expect(ids.device).toBe(`ua-${long}`);
  });

  it('checks volume names', () => {
    expect(volumeNameProblem('ok-name')).toBeUndefined();
    expect(volumeNameProblem('../x')).toMatch(/RFC 1123 label/);
    expect(volumeNameProblem(7)).toMatch(/must be a string/);
  });

  it('names targets as KubeVirt reports them', () => {
    expect([0, 1, 25, 26, 27].map(diskLetters)).toEqual(['a', 'b', 'z', 'aa', 'ab']);
    const boot = bootTargets([
      { name: 'root', bus: 'virtio' },
      { name: 'cd', bus: 'sata' },
      { name: 'ci', bus: 'virtio' },
    ]);
    expect([...boot]).toEqual([
      ['root', 'vda'],
      ['cd', 'sda'],
      ['ci', 'vdb'],
    ]);
    expect(nextScsiTarget(['vda', 'sda'])).toBe('sdb');
    expect(nextScsiTarget([])).toBe('sda');
  });
});
