import type { HostNetwork } from './host-networks';
import { instanceTag } from './names';
import { bridgeNameFor, claimFileName, nodeRangeCandidates, pickPodCidr } from './pod-cidr';
import { IFNAME_PATTERN } from './names';

describe("a handler's pod range and bridge", () => {
  it('the candidates are the /24s of 10.244.0.0/16 in order', () => {
    const all = nodeRangeCandidates();
    expect(all).toHaveLength(256);
    expect(all.slice(0, 3)).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
    expect(all[255]).toBe('10.244.255.0/24');
    expect(nodeRangeCandidates('10.96.4.0/23')).toEqual(['10.96.4.0/24', '10.96.5.0/24']);
    expect(() => nodeRangeCandidates('10.0.0.0/25')).toThrow(/\/24 or wider/);
    expect(() => nodeRangeCandidates('fd00::/64')).toThrow(/IPv4/);
  });

  it('picks the first range no host prefix overlaps and no other handler claimed', () => {
    const host: HostNetwork[] = [
      { cidr: '10.244.0.1/24', dev: 'cni0', what: 'address' },
      { cidr: '10.244.1.0/24', dev: 'vkbrother', what: 'route' },
      { cidr: '10.0.0.0/8', dev: 'eth9', what: 'route' },
    ];
    const candidates = nodeRangeCandidates();
    // 10.0.0.0/8 covers the whole pool.
    expect(pickPodCidr(candidates, host, [], 'vkbrmine')).toBeUndefined();
    const h = host.slice(0, 2);
    expect(pickPodCidr(candidates, h, [], 'vkbrmine')).toBe('10.244.2.0/24');
    expect(pickPodCidr(candidates, h, ['10.244.2.0/24', '10.244.3.0/24'], 'vkbrmine')).toBe('10.244.4.0/24');
    // The handler's own bridge carries its range once pods exist: not a clash.
    expect(pickPodCidr(candidates, h, [], 'cni0')).toBe('10.244.0.0/24');
    // A claim of a wider range takes every /24 inside it.
    expect(pickPodCidr(candidates, [], ['10.244.0.0/22'], 'x')).toBe('10.244.4.0/24');
  });

  it('the bridge is named from the state dir: a Linux interface name, different per handler, stable', () => {
    const a = bridgeNameFor('/var/lib/virtkit');
    expect(a).toBe(`vkbr${instanceTag('/var/lib/virtkit')}`);
    expect(a).toMatch(IFNAME_PATTERN);
    expect(a.length).toBeLessThanOrEqual(15);
    expect(bridgeNameFor('/var/lib/virtkit/')).toBe(a);
    expect(bridgeNameFor('/tmp/vk-rt-1/h')).not.toBe(a);
  });

  it('claim files are named from the range', () => {
    expect(claimFileName('10.244.3.0/24')).toBe('10.244.3.0_24');
    expect(claimFileName('fd00::/64')).toBe('fd00___64');
  });
});
