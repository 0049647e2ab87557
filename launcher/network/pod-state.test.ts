import { parseIpAddr, parseIpRoutes, parseResolvConf, PodNetworkStateError } from './pod-state';

describe('reading the pod network', () => {
  it('ip -j addr: MAC, MTU and the IPv4 addresses of the pod interface', () => {
    const json = JSON.stringify([
      { ifname: 'lo', mtu: 65536, address: '00:00:00:00:00:00', addr_info: [] },
      {
        ifname: 'eth0',
        mtu: 1450,
        address: '0A:58:0A:F4:01:05',
        addr_info: [
          { family: 'inet', local: '10.244.1.5', prefixlen: 24 },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
        ],
      },
    ]);
    expect(parseIpAddr(json, 'eth0')).toEqual({
      name: 'eth0',
      mac: '0a:58:0a:f4:01:05',
      mtu: 1450,
      addresses: [{ ip: '10.244.1.5', prefixLength: 24 }],
      routes: [],
    });
    expect(() => parseIpAddr(json, 'eth1')).toThrow(/the pod interface eth1 does not exist/);
    expect(() => parseIpAddr('nope', 'eth0')).toThrow(PodNetworkStateError);
  });

  it('ip -j route: the default gateway and the other routes through a gateway', () => {
    const json = JSON.stringify([
      { dst: 'default', gateway: '10.244.1.1' },
      { dst: '10.244.1.0/24', protocol: 'kernel', scope: 'link', prefsrc: '10.244.1.5' },
      { dst: '10.96.0.0/12', gateway: '10.244.1.1' },
      { dst: '192.0.2.7', gateway: '10.244.1.254' },
    ]);
    expect(parseIpRoutes(json)).toEqual({
      gateway: '10.244.1.1',
      routes: [
        { destination: '10.96.0.0', prefixLength: 12, gateway: '10.244.1.1' },
        { destination: '192.0.2.7', prefixLength: 32, gateway: '10.244.1.254' },
      ],
    });
  });

  it('resolv.conf: IPv4 name servers once each, the last search line, comments ignored', () => {
    const text = [
      '# generated',
      'nameserver 10.96.0.10',
      'nameserver fd00::10',
      'nameserver 10.96.0.10',
      'search old.example',
      'search prod.svc.cluster.local svc.cluster.local ; trailing',
      'options ndots:5',
    ].join('\n');
    expect(parseResolvConf(text)).toEqual({
      nameservers: ['10.96.0.10'],
      searches: ['prod.svc.cluster.local', 'svc.cluster.local'],
    });
    expect(parseResolvConf('')).toEqual({ nameservers: [], searches: [] });
    // kubelet's resolv.conf on a node without search domains: the root is none.
    expect(parseResolvConf('nameserver 10.255.255.53\nsearch .\n')).toEqual({
      nameservers: ['10.255.255.53'],
      searches: [],
    });
  });
});
