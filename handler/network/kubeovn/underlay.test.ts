import { isInterfaceName, providerInterface, uplinkPlan, vxlanGroup } from './underlay';

const pn = {
  metadata: { name: 'physnet' },
  spec: {
    defaultInterface: 'eth1',
    customInterfaces: [{ interface: 'ens5', nodes: ['node-b', 'node-c'] }],
    excludeNodes: ['node-x'],
  },
};

describe('providerInterface', () => {
  it('defaultInterface, a customInterfaces entry for the node, and only defaultInterface without a node', () => {
    expect(providerInterface(pn, 'node-a')).toEqual({ nic: 'eth1' });
    expect(providerInterface(pn, 'node-c')).toEqual({ nic: 'ens5' });
    expect(providerInterface(pn, undefined)).toEqual({ nic: 'eth1' });
    expect(providerInterface(pn, '')).toEqual({ nic: 'eth1' });
  });

  it('an excluded node, no interface, or a name that is no interface name is a problem with a fix', () => {
    expect(providerInterface(pn, 'node-x')).toEqual({
      problem: 'node "node-x" is in its spec.excludeNodes',
      fix: expect.stringContaining('remove the node from spec.excludeNodes'),
    });
    expect(providerInterface({ spec: {} }, 'node-a')).toEqual({
      problem: 'it names no interface for node "node-a" (spec.defaultInterface is empty)',
      fix: expect.stringContaining('set spec.defaultInterface'),
    });
    expect(
      providerInterface({ spec: { defaultInterface: 'eth1', customInterfaces: [{ nodes: ['n'] }] } }, 'n'),
    ).toMatchObject({ problem: expect.stringContaining('spec.customInterfaces[].interface is empty') });
    for (const bad of ['../../x', '-h', 'a/b', 'eth 1', '.', '..', 'x'.repeat(16), 'eth1;rm'])
      expect(providerInterface({ spec: { defaultInterface: bad } }, 'n')).toEqual({
        nic: bad,
        problem: 'spec.defaultInterface is not a network interface name',
        fix: expect.stringContaining('at most 15 characters'),
      });
  });

  it('interface names', () => {
    for (const ok of ['eth1', 'ens5f0', 'bond0.10', 'vkpn12345', 'x'.repeat(15), 'enp0s31f6', 'br_ex'])
      expect(isInterfaceName(ok)).toBe(true);
    for (const bad of ['', '/', 'a/b', '-x', '.x', 'a b', 'x'.repeat(16), 'eth:1'])
      expect(isInterfaceName(bad)).toBe(false);
  });
});

describe('uplinkPlan', () => {
  const base = { nic: 'eth1', bridge: 'vkvl0123abcd', uplink: 'vkvu0123abcd' };
  const bridgeCommands = [
    ['link', 'add', 'name', 'vkvl0123abcd', 'type', 'bridge'],
    ['link', 'set', 'dev', 'vkvl0123abcd', 'up'],
  ];
  const enslave = [
    ['link', 'set', 'dev', 'vkvu0123abcd', 'master', 'vkvl0123abcd'],
    ['link', 'set', 'dev', 'vkvu0123abcd', 'up'],
  ];

  it('with 802.1Q: a VLAN sub-interface of the NIC on the bridge', () => {
    expect(
      uplinkPlan({ ...base, underlay: { vlanId: 100, providerNetwork: 'physnet' }, dot1q: true }),
    ).toEqual({
      carrier: 'vlan',
      bridgeCommands,
      uplinkCommands: [
        ['link', 'add', 'link', 'eth1', 'name', 'vkvu0123abcd', 'type', 'vlan', 'id', '100'],
        ...enslave,
      ],
      description: 'VLAN 100 on eth1 as 802.1Q sub-interface vkvu0123abcd on bridge vkvl0123abcd',
    });
  });

  it('without 802.1Q: a VXLAN device with VNI = the VLAN id over the NIC, multicast group from the id, learning', () => {
    const plan = uplinkPlan({ ...base, underlay: { vlanId: 300, providerNetwork: 'physnet' }, dot1q: false });
    expect(plan).toEqual({
      carrier: 'vxlan',
      bridgeCommands,
      uplinkCommands: [
        [
          'link',
          'add',
          'name',
          'vkvu0123abcd',
          'type',
          'vxlan',
          'id',
          '300',
          'dev',
          'eth1',
          'group',
          '239.1.1.44',
          'dstport',
          '4789',
          'learning',
        ],
        ...enslave,
      ],
      description:
        'VLAN 300 on eth1 carried as VXLAN VNI 300: this kernel has no 802.1Q ' +
        '(group 239.1.1.44, port 4789, device vkvu0123abcd on bridge vkvl0123abcd)',
    });
  });

  it('groups and ids', () => {
    expect(vxlanGroup(1)).toBe('239.1.0.1');
    expect(vxlanGroup(100)).toBe('239.1.0.100');
    expect(vxlanGroup(4094)).toBe('239.1.15.254');
    for (const id of [0, 4095, 1.5])
      expect(() =>
        uplinkPlan({ ...base, underlay: { vlanId: id, providerNetwork: 'p' }, dot1q: false }),
      ).toThrow(/not 1 to 4094/);
  });
});
