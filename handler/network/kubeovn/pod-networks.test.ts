import { networkConfigListFrom } from '../cni/conflist';
import { CniConfigError } from '../cni/errors';
import { AddressNotAllocatedError, KubeOvnAllocationError } from './errors';
import { kubeOvnBridgeName, kubeOvnVlanBridgeName } from './names';
import { kubeOvnDefaultNetwork, kubeOvnNadNetwork, nadProvider, type KubeOvnContext } from './pod-networks';

function allocation(provider: string, subnet: string, ip: string): Record<string, string> {
  const k = (key: string): string => `${provider}.kubernetes.io/${key}`;
  return {
    [k('allocated')]: 'true',
    [k('ip_address')]: ip,
    [k('mac_address')]: '00:00:00:aa:bb:01',
    [k('cidr')]: '10.66.0.0/24',
    [k('gateway')]: '10.66.0.1',
    [k('logical_switch')]: subnet,
  };
}

function ctx(annotations: Record<string, string>): KubeOvnContext {
  return {
    pod: { namespace: 'vms', name: 'virt-launcher-a', annotations },
    handlerTag: '0badcafe',
    tuningDataDir: '/state/cni/kube-ovn/tuning',
  };
}

const nad = (config: object) =>
  networkConfigListFrom(
    { cniVersion: '0.3.1', name: 'attachnet', ...config },
    'NetworkAttachmentDefinition vms/attachnet spec.config',
  );
const ref = { namespace: 'vms', name: 'attachnet' };

describe('kubeOvnDefaultNetwork', () => {
  it('wires eth0 from the ovn allocation on the subnet bridge of this handler, with the default route', () => {
    const n = kubeOvnDefaultNetwork(ctx(allocation('ovn', 'vm-subnet', '10.66.0.5')));
    expect(n?.bridge).toEqual({
      bridge: kubeOvnBridgeName('0badcafe', 'vm-subnet'),
      subnet: 'vm-subnet',
      cidr: '10.66.0.0/24',
      gateway: '10.66.0.1',
    });
    expect(n?.list.plugins[0].bridge).toBe(n?.bridge.bridge);
    expect((n?.list.plugins[0].ipam as { routes?: unknown }).routes).toEqual([
      { dst: '0.0.0.0/0', gw: '10.66.0.1' },
    ]);
    expect(n?.list.source).toBe(
      'Kube-OVN allocation of pod vms/virt-launcher-a (provider ovn, subnet vm-subnet)',
    );
  });

  it("a VLAN underlay Subnet goes on the VLAN bridge of (ProviderNetwork, id), shared by the VLAN's Subnets", () => {
    const vlan = { 'ovn.kubernetes.io/vlan_id': '100', 'ovn.kubernetes.io/provider_network': 'physnet' };
    const n = kubeOvnDefaultNetwork(ctx({ ...allocation('ovn', 'vlan-a', '10.66.0.5'), ...vlan }));
    const m = kubeOvnDefaultNetwork(ctx({ ...allocation('ovn', 'vlan-b', '10.66.0.6'), ...vlan }));
    expect(n?.bridge).toEqual({
      bridge: kubeOvnVlanBridgeName('0badcafe', 'physnet', 100),
      subnet: 'vlan-a',
      cidr: '10.66.0.0/24',
      gateway: '10.66.0.1',
      underlay: { vlanId: 100, providerNetwork: 'physnet' },
    });
    expect(m?.bridge.bridge).toBe(n?.bridge.bridge);
    expect(n?.list.plugins[0]).toMatchObject({ bridge: n?.bridge.bridge, isGateway: false, ipMasq: false });
  });

  it('is undefined for a pod Kube-OVN did not allocate', () => {
    expect(kubeOvnDefaultNetwork(ctx({}))).toBeUndefined();
  });
});

describe('kubeOvnNadNetwork', () => {
  it('leaves other NADs alone', () => {
    expect(kubeOvnNadNetwork(ctx({}), ref, nad({ type: 'bridge' }), 'attachment')).toBeUndefined();
  });

  it('replaces a kube-ovn NAD with its provider allocation, without a default route', () => {
    const a = allocation('attachnet.vms.ovn', 'second', '10.66.0.9');
    const n = kubeOvnNadNetwork(
      ctx(a),
      ref,
      nad({ type: 'kube-ovn', provider: 'attachnet.vms.ovn' }),
      'attachment',
    );
    expect(n?.list.name).toBe('kube-ovn-second');
    expect(n?.allocation.ip).toBe('10.66.0.9');
    expect(n?.list.plugins[0].ipam).not.toHaveProperty('routes');
    // Named by Multus's default-network: eth0 takes the default route.
    const d = kubeOvnNadNetwork(ctx(a), ref, nad({ type: 'kube-ovn' }), 'default');
    expect(d?.list.plugins[0].ipam).toHaveProperty('routes');
  });

  it('a kube-ovn NAD without its allocation is AddressNotAllocated naming the annotation', () => {
    let e: unknown;
    try {
      kubeOvnNadNetwork(
        ctx(allocation('ovn', 'vm-subnet', '10.66.0.5')),
        ref,
        nad({ type: 'kube-ovn' }),
        'attachment',
      );
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(AddressNotAllocatedError);
    expect((e as AddressNotAllocatedError).reason).toBe('AddressNotAllocated');
    expect((e as Error).message).toContain(
      'pod vms/virt-launcher-a: NetworkAttachmentDefinition vms/attachnet is a Kube-OVN network (provider "attachnet.vms.ovn") but the pod has no annotation attachnet.vms.ovn.kubernetes.io/allocated: "true"',
    );
  });

  it('a bad allocation of the NAD provider is InvalidAddressAllocation', () => {
    const a = {
      ...allocation('attachnet.vms.ovn', 'second', '10.66.0.9'),
      'attachnet.vms.ovn.kubernetes.io/ip_address': '10.9.9.9',
    };
    expect(() => kubeOvnNadNetwork(ctx(a), ref, nad({ type: 'kube-ovn' }), 'attachment')).toThrow(
      KubeOvnAllocationError,
    );
  });
});

describe('nadProvider', () => {
  it("is the config's provider, else <nad>.<namespace>.ovn", () => {
    expect(nadProvider(nad({ type: 'kube-ovn', provider: 'custom.vms.ovn' }), ref)).toBe('custom.vms.ovn');
    expect(nadProvider(nad({ type: 'kube-ovn' }), ref)).toBe('attachnet.vms.ovn');
  });

  it('refuses a provider that cannot be part of an annotation key, and kube-ovn chained with others', () => {
    expect(() => nadProvider(nad({ type: 'kube-ovn', provider: 'Bad/Provider' }), ref)).toThrow(
      CniConfigError,
    );
    expect(() => nadProvider(nad({ plugins: [{ type: 'kube-ovn' }, { type: 'portmap' }] }), ref)).toThrow(
      /chains kube-ovn with other plugins/,
    );
  });
});
