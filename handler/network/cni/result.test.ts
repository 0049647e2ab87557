import { parseCniResult, podIpsFromResult, sandboxInterfaces } from './result';

describe('CNI results', () => {
  it("reads a 1.0.0 bridge result and finds the pod's addresses on its interface", () => {
    const raw = {
      cniVersion: '1.0.0',
      interfaces: [
        { name: 'virtkit0', mac: '76:42:48:d3:25:0c' },
        { name: 'veth8a8736c5', mac: 'be:b5:89:c8:24:e3' },
        { name: 'eth0', mac: '46:9a:fe:41:f9:77', sandbox: '/run/netns/vk-1' },
      ],
      ips: [
        { interface: 2, address: '10.244.0.2/24', gateway: '10.244.0.1' },
        { interface: 2, address: 'fd00:10::2/64', gateway: 'fd00:10::1' },
        { interface: 0, address: '10.244.0.1/24' },
      ],
      routes: [{ dst: '0.0.0.0/0' }],
      dns: {},
    };
    const r = parseCniResult(raw);
    expect(podIpsFromResult(r, 'eth0')).toEqual(['10.244.0.2', 'fd00:10::2']);
    expect(podIpsFromResult(r, 'net1')).toEqual([]);
    expect(sandboxInterfaces(r)).toEqual([
      { name: 'eth0', mac: '46:9a:fe:41:f9:77', sandbox: '/run/netns/vk-1' },
    ]);
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0' }]);
    expect(r.raw).toBe(raw);
  });

  it('reads a 0.4.0 result (ips with version) and one without interface indices', () => {
    const r = parseCniResult({
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: '192.168.1.5/24' }],
      dns: { nameservers: ['10.0.0.10'] },
    });
    expect(podIpsFromResult(r, 'eth0')).toEqual(['192.168.1.5']);
    expect(r.dns).toEqual({ nameservers: ['10.0.0.10'] });
  });

  it('refuses an address that is not in CIDR notation', () => {
    expect(() => parseCniResult({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.1' }] })).toThrow(
      /ips\[0\].*CIDR/,
    );
  });
});
