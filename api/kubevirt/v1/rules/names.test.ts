import { checkNames } from './names';

describe('volume, disk, network and interface names', () => {
  const spec = (name: string) => ({
    volumes: [{ name }],
    networks: [{ name }],
    domain: { devices: { disks: [{ name }], interfaces: [{ name }] } },
  });

  it.each([
    '../../../victim',
    'a/b',
    '/etc/passwd',
    'x\u0000y',
    '.',
    '..',
    'x'.repeat(300),
    'a\nb',
    'x,file=/etc/shadow',
  ])('refuses %j at every list, naming the field', (name) => {
    const paths = checkNames(spec(name), 'spec').map((i) => i.path);
    for (const p of [
      'spec.volumes[0].name',
      'spec.networks[0].name',
      'spec.domain.devices.disks[0].name',
      'spec.domain.devices.interfaces[0].name',
    ])
      expect(paths).toContain(p);
    // eslint-disable-next-line no-control-regex
    for (const i of checkNames(spec(name), 'spec')) expect(i.message).not.toMatch(/[\x00-\x1f]/);
  });

  it('accepts DNS labels everywhere and KubeVirt interface names for networks and interfaces', () => {
    expect(checkNames(spec('root-disk'), 'spec')).toEqual([]);
    const issues = checkNames(spec('Nic_1'), 'spec').map((i) => i.path);
    expect(issues).toEqual(['spec.volumes[0].name', 'spec.domain.devices.disks[0].name']);
  });
});
