import type { DomainStatus } from '../../launcher/runtime/domain-types';
import type { GuestNetworkInterface } from '../../launcher/qga/protocol';
import { interfaceStatuses } from './interfaces';

type Nic = DomainStatus['interfaces'][number];

const pod: Nic = {
  name: 'default',
  mac: '02:AB:CD:00:00:01',
  model: 'virtio-net-pci',
  backend: 'tap',
  podInterfaceName: 'eth0',
  binding: 'masquerade',
  ipAddress: '10.0.2.2',
};
const multus: Nic = {
  name: 'blue',
  mac: '02:ab:cd:00:00:02',
  model: 'virtio-net-pci',
  backend: 'tap',
  podInterfaceName: 'pod16477688c0e',
  binding: 'bridge',
  ipAddress: '192.168.10.5',
};

const lo: GuestNetworkInterface = {
  name: 'lo',
  mac: '00:00:00:00:00:00',
  ipAddresses: [{ type: 'ipv4', address: '127.0.0.1', prefix: 8 }],
};
const eth0: GuestNetworkInterface = {
  name: 'eth0',
  mac: '02:ab:cd:00:00:01',
  ipAddresses: [
    { type: 'ipv6', address: 'fe80::ab:cdff:fe00:1', prefix: 64 },
    { type: 'ipv4', address: '10.0.2.2', prefix: 24 },
  ],
};

describe('status.interfaces merged from the domain, the guest agent and Multus', () => {
  it('without an agent: the domain alone, the pod addresses on the pod network', () => {
    expect(interfaceStatuses([pod], ['10.244.0.5'])).toEqual([
      {
        name: 'default',
        mac: '02:AB:CD:00:00:01',
        ipAddress: '10.244.0.5',
        ipAddresses: ['10.244.0.5'],
        podInterfaceName: 'eth0',
        infoSource: 'domain',
        queueCount: 1,
        linkState: 'up',
      },
    ]);
  });

  it("the queue count is the domain's (multi-queue NICs), and the link is up", () => {
    const [s] = interfaceStatuses([{ ...pod, queueCount: 4 }], ['10.244.0.5']);
    expect(s).toMatchObject({ name: 'default', queueCount: 4, linkState: 'up' });
  });

  it('masquerade: the pod IP stays the IPv4 address, the guest names the interface and fills IPv6', () => {
    expect(interfaceStatuses([pod], ['10.244.0.5'], [lo, eth0])).toEqual([
      {
        name: 'default',
        mac: '02:AB:CD:00:00:01',
        ipAddress: '10.244.0.5',
        ipAddresses: ['10.244.0.5', 'fe80::ab:cdff:fe00:1'],
        interfaceName: 'eth0',
        podInterfaceName: 'eth0',
        infoSource: 'domain, guest-agent',
        queueCount: 1,
        linkState: 'up',
      },
    ]);
  });

  it('a dual-stack pod keeps both of its addresses', () => {
    const [s] = interfaceStatuses([pod], ['10.244.0.5', 'fd00:10:244::5'], [eth0]);
    expect(s).toMatchObject({
      ipAddress: '10.244.0.5',
      ipAddresses: ['10.244.0.5', 'fd00:10:244::5'],
      interfaceName: 'eth0',
    });
  });

  it("a family the guest reports no address of is cleared; the guest's fill a family the host side lacks", () => {
    const noV4: GuestNetworkInterface = { ...eth0, ipAddresses: [eth0.ipAddresses[0]!] };
    expect(interfaceStatuses([pod], ['10.244.0.5'], [noV4])[0]).toMatchObject({
      ipAddress: 'fe80::ab:cdff:fe00:1',
      ipAddresses: ['fe80::ab:cdff:fe00:1'],
    });
    const bare: GuestNetworkInterface = { ...eth0, ipAddresses: [] };
    const [s] = interfaceStatuses([pod], ['10.244.0.5'], [bare]);
    expect(s).not.toHaveProperty('ipAddress');
    expect(s).not.toHaveProperty('ipAddresses');
    expect(s).toMatchObject({ interfaceName: 'eth0', infoSource: 'domain, guest-agent' });
    // No pod addresses: the guest's, IPv4 first.
    expect(interfaceStatuses([pod], [], [eth0])[0]).toMatchObject({
      ipAddress: '10.0.2.2',
      ipAddresses: ['10.0.2.2', 'fe80::ab:cdff:fe00:1'],
    });
  });

  it('a Multus NIC the agent reports: domain, guest-agent, multus-status', () => {
    const eth1: GuestNetworkInterface = {
      name: 'eth1',
      mac: '02:AB:CD:00:00:02',
      ipAddresses: [{ type: 'ipv4', address: '192.168.10.5', prefix: 24 }],
    };
    expect(interfaceStatuses([pod, multus], ['10.244.0.5'], [eth0, eth1])).toEqual([
      expect.objectContaining({ name: 'default', infoSource: 'domain, guest-agent' }),
      {
        name: 'blue',
        mac: '02:ab:cd:00:00:02',
        ipAddress: '192.168.10.5',
        ipAddresses: ['192.168.10.5'],
        interfaceName: 'eth1',
        podInterfaceName: 'pod16477688c0e',
        infoSource: 'domain, guest-agent, multus-status',
        queueCount: 1,
        linkState: 'up',
      },
    ]);
    expect(interfaceStatuses([pod, multus], ['10.244.0.5'], [eth0])[1]!.infoSource).toBe(
      'domain, multus-status',
    );
  });

  it('guest interfaces matching no NIC are appended with guest-agent alone; loopback is not', () => {
    const dummy: GuestNetworkInterface = {
      name: 'dummy0',
      mac: '7a:00:00:00:00:09',
      ipAddresses: [
        { type: 'ipv6', address: 'fd99::1', prefix: 64 },
        { type: 'ipv4', address: '172.31.0.1', prefix: 16 },
      ],
    };
    const tun: GuestNetworkInterface = { name: 'tun0', ipAddresses: [] };
    expect(interfaceStatuses([pod], ['10.244.0.5'], [lo, dummy, eth0, tun]).slice(1)).toEqual([
      {
        mac: '7a:00:00:00:00:09',
        ipAddress: '172.31.0.1',
        ipAddresses: ['fd99::1', '172.31.0.1'],
        interfaceName: 'dummy0',
        infoSource: 'guest-agent',
      },
      { interfaceName: 'tun0', infoSource: 'guest-agent' },
    ]);
  });

  it('the pod network NIC comes first whatever the domain order', () => {
    const names = interfaceStatuses([multus, pod], ['10.244.0.5']).map((s) => s.name);
    expect(names).toEqual(['default', 'blue']);
  });

  it('a NIC on no pod interface gets only what the agent says', () => {
    const other: Nic = { name: 'x', mac: '02:ab:cd:00:00:03', model: 'e1000', backend: 'none' };
    const g: GuestNetworkInterface = {
      name: 'ens4',
      mac: '02:ab:cd:00:00:03',
      ipAddresses: [{ type: 'ipv4', address: '169.254.3.3', prefix: 16 }],
    };
    expect(interfaceStatuses([other], [])).toEqual([
      { name: 'x', mac: '02:ab:cd:00:00:03', infoSource: 'domain', queueCount: 1, linkState: 'up' },
    ]);
    expect(interfaceStatuses([other], [], [g])).toEqual([
      {
        name: 'x',
        mac: '02:ab:cd:00:00:03',
        ipAddress: '169.254.3.3',
        ipAddresses: ['169.254.3.3'],
        interfaceName: 'ens4',
        infoSource: 'domain, guest-agent',
        queueCount: 1,
        linkState: 'up',
      },
    ]);
  });
});
