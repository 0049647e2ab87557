import { networkConfigListDocument } from '../cni/conflist';
import type { KubeOvnAllocation } from './annotations';
import { kubeOvnNetworkList } from './data-plane';

const allocation: KubeOvnAllocation = {
  provider: 'ovn',
  subnet: 'vm-subnet',
  ip: '10.66.0.5',
  cidr: '10.66.0.0/24',
  prefix: 24,
  gateway: '10.66.0.1',
  mac: '00:00:00:1a:2b:3c',
  natOutgoing: true,
  mtu: 1400,
};
const o = { bridge: 'vko0123abcd', tuningDataDir: '/var/lib/virtkit/cni/kube-ovn/tuning', source: 'test' };

describe('kubeOvnNetworkList', () => {
  it('the default network: bridge with the gateway on it, static address and default route, then tuning with the MAC', () => {
    const list = kubeOvnNetworkList(allocation, { ...o, role: 'default' });
    expect(list.source).toBe('test');
    expect(networkConfigListDocument(list)).toEqual({
      cniVersion: '1.0.0',
      name: 'kube-ovn-vm-subnet',
      plugins: [
        {
          type: 'bridge',
          bridge: 'vko0123abcd',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          mtu: 1400,
          ipam: {
            type: 'static',
            addresses: [{ address: '10.66.0.5/24', gateway: '10.66.0.1' }],
            routes: [{ dst: '0.0.0.0/0', gw: '10.66.0.1' }],
          },
        },
        { type: 'tuning', mac: '00:00:00:1a:2b:3c', dataDir: '/var/lib/virtkit/cni/kube-ovn/tuning' },
      ],
    });
  });

  it('an attachment takes no default route; no natOutgoing is no ipMasq; no MTU leaves the kernel default', () => {
    const { mtu: _mtu, ...rest } = allocation;
    const list = kubeOvnNetworkList({ ...rest, natOutgoing: false }, { ...o, role: 'attachment' });
    const bridge = list.plugins[0];
    expect(bridge.ipMasq).toBe(false);
    expect(bridge).not.toHaveProperty('mtu');
    expect(bridge.ipam).toEqual({
      type: 'static',
      addresses: [{ address: '10.66.0.5/24', gateway: '10.66.0.1' }],
    });
  });

  it('a VLAN underlay: the bridge holds no gateway and NATs nothing; the default route goes via the physical gateway; tuning sets the MAC', () => {
    const list = kubeOvnNetworkList(
      { ...allocation, underlay: { vlanId: 100, providerNetwork: 'physnet' } },
      { ...o, bridge: 'vkvl0123abcd', role: 'default' },
    );
    expect(networkConfigListDocument(list)).toEqual({
      cniVersion: '1.0.0',
      name: 'kube-ovn-vm-subnet',
      plugins: [
        {
          type: 'bridge',
          bridge: 'vkvl0123abcd',
          isGateway: false,
          ipMasq: false,
          hairpinMode: true,
          mtu: 1400,
          ipam: {
            type: 'static',
            addresses: [{ address: '10.66.0.5/24', gateway: '10.66.0.1' }],
            routes: [{ dst: '0.0.0.0/0', gw: '10.66.0.1' }],
          },
        },
        { type: 'tuning', mac: '00:00:00:1a:2b:3c', dataDir: '/var/lib/virtkit/cni/kube-ovn/tuning' },
      ],
    });
  });
});
