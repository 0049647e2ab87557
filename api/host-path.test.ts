import {
  absoluteHostPathProblem,
  confinedPath,
  escapeControl,
  fileKeyProblem,
  HostPathError,
  safeName,
} from './host-path';

const HOSTILE = ['../x', 'a/../../b', '/etc/passwd', 'x\u0000y', '.', '..', '', 'a\nb', 'x'.repeat(300)];

describe('confinedPath', () => {
  it('joins plain names under the base', () => {
    expect(confinedPath('/base', 'disk.qcow2', 'f')).toBe('/base/disk.qcow2');
    expect(confinedPath('/base', 'openstack/latest/user_data', 'f')).toBe('/base/openstack/latest/user_data');
  });

  it.each(HOSTILE)('refuses %j, naming the field and escaping the value', (bad) => {
    let err: unknown;
    try {
      confinedPath('/base', bad, 'spec.volumes[2].name');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HostPathError);
    const e = err as HostPathError;
    expect(e.field).toBe('spec.volumes[2].name');
    expect(e.message).toContain('spec.volumes[2].name');
    // eslint-disable-next-line no-control-regex
    expect(e.message).not.toMatch(/[\x00-\x1f]/);
  });
});

describe('safeName', () => {
  it('accepts DNS labels and KubeVirt interface names', () => {
    expect(safeName('root-disk', 'f')).toBe('root-disk');
    expect(safeName('Net_1', 'f')).toBe('Net_1');
  });
  it.each([...HOSTILE, 'a/b', '-rf', 'a.b', 'x'.repeat(64)])('refuses %j', (bad) => {
    expect(() => safeName(bad, 'spec.domain.devices.disks[0].name')).toThrow(
      /spec\.domain\.devices\.disks\[0\]\.name/,
    );
  });
});

describe('file keys and absolute host paths', () => {
  it('refuses keys that are not one plain file name', () => {
    for (const bad of ['../x', 'a/b', '.', '..', '..data', 'x\ny', '', 'k'.repeat(254)])
      expect(fileKeyProblem(bad)).toBeDefined();
    expect(fileKeyProblem('user-data.txt')).toBeUndefined();
  });
  it('refuses protocol prefixes, relative and unnormalised paths', () => {
    for (const bad of [
      'json:{"file.filename":"/etc/shadow"}',
      'nbd:host:10809',
      'disk.img',
      '/a/../etc/shadow',
      '/a\n',
    ])
      expect(absoluteHostPathProblem(bad)).toBeDefined();
    expect(absoluteHostPathProblem('/var/lib/images/disk:1.img')).toBeUndefined();
  });
  it('names a missing or non-string path instead of throwing', () => {
    expect(absoluteHostPathProblem(undefined as unknown as string)).toMatch(
      /must be a string .* not missing/,
    );
    expect(absoluteHostPathProblem(7 as unknown as string)).toMatch(/not number/);
  });
  it('escapes control characters when echoing', () => {
    expect(escapeControl('a\u0000b\nc\\')).toBe('a\\x00b\\x0ac\\x5c');
  });
});
