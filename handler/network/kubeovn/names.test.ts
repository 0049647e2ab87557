import { instanceTag } from '../cni/names';
import { bridgeNameFor } from '../cni/pod-cidr';
import {
  isKubeOvnBridgeName,
  isKubeOvnUplinkName,
  isKubeOvnVlanBridgeName,
  kubeOvnBridgeName,
  kubeOvnNetworkName,
  kubeOvnUplinkName,
  kubeOvnVlanBridgeName,
} from './names';
import { kubeOvnPaths } from './paths';

describe('Kube-OVN names', () => {
  it('a bridge per handler and subnet, vko<8 hex>, within 15 characters and stable', () => {
    const a = instanceTag('/var/lib/virtkit/node-a');
    const b = instanceTag('/var/lib/virtkit/node-b');
    const name = kubeOvnBridgeName(a, 'vm-subnet');
    expect(name).toMatch(/^vko[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(15);
    expect(kubeOvnBridgeName(a, 'vm-subnet')).toBe(name);
    expect(kubeOvnBridgeName(b, 'vm-subnet')).not.toBe(name);
    expect(kubeOvnBridgeName(a, 'other')).not.toBe(name);
    expect(isKubeOvnBridgeName(name)).toBe(true);
    // Never the handler's own default-network bridge.
    expect(isKubeOvnBridgeName(bridgeNameFor('/var/lib/virtkit/node-a'))).toBe(false);
    expect(isKubeOvnBridgeName('vko12345678x')).toBe(false);
  });

  it('a VLAN bridge per handler, ProviderNetwork and VLAN id, vkvl<8 hex>, and its uplink vkvu<the same 8 hex>', () => {
    const a = instanceTag('/var/lib/virtkit/node-a');
    const b = instanceTag('/var/lib/virtkit/node-b');
    const name = kubeOvnVlanBridgeName(a, 'physnet', 100);
    expect(name).toMatch(/^vkvl[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(15);
    expect(kubeOvnVlanBridgeName(a, 'physnet', 100)).toBe(name);
    for (const other of [
      kubeOvnVlanBridgeName(b, 'physnet', 100),
      kubeOvnVlanBridgeName(a, 'physnet', 200),
      kubeOvnVlanBridgeName(a, 'other', 100),
    ])
      expect(other).not.toBe(name);
    expect(isKubeOvnBridgeName(name)).toBe(true);
    expect(isKubeOvnVlanBridgeName(name)).toBe(true);
    expect(isKubeOvnVlanBridgeName(kubeOvnBridgeName(a, 'physnet'))).toBe(false);
    const uplink = kubeOvnUplinkName(name);
    expect(uplink).toBe(`vkvu${name.slice(4)}`);
    expect(uplink.length).toBeLessThanOrEqual(15);
    expect(isKubeOvnUplinkName(uplink)).toBe(true);
    expect(isKubeOvnBridgeName(uplink)).toBe(false);
    expect(isKubeOvnUplinkName('eth1.100')).toBe(false);
    expect(() => kubeOvnUplinkName('eth1')).toThrow(/not a Kube-OVN VLAN bridge name/);
  });

  it('the network name and the state paths', () => {
    expect(kubeOvnNetworkName('vm-subnet')).toBe('kube-ovn-vm-subnet');
    expect(kubeOvnPaths('/var/lib/virtkit/')).toEqual({
      root: '/var/lib/virtkit/cni/kube-ovn',
      bridgesDir: '/var/lib/virtkit/cni/kube-ovn/bridges',
      tuningDataDir: '/var/lib/virtkit/cni/kube-ovn/tuning',
      tunnelPortFile: '/var/lib/virtkit/cni/kube-ovn/tunnel-port',
    });
  });
});
