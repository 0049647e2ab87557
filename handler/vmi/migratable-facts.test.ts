import { keptPodAddress } from './migratable-facts';

describe('keptPodAddress', () => {
  const ovn = {
    'ovn.kubernetes.io/allocated': 'true',
    'ovn.kubernetes.io/ip_address': '10.16.0.50',
    'ovn.kubernetes.io/logical_switch': 'blue',
  };

  it("is the Kube-OVN allocation of the pod's default network", () => {
    expect(keptPodAddress(ovn)).toEqual({ address: '10.16.0.50', subnet: 'blue' });
  });

  it("is nothing without an allocation, before it is complete, or when Multus's default-network replaces it", () => {
    expect(keptPodAddress({})).toBeUndefined();
    expect(keptPodAddress({ ...ovn, 'ovn.kubernetes.io/allocated': 'false' })).toBeUndefined();
    expect(keptPodAddress({ ...ovn, 'v1.multus-cni.io/default-network': 'default/other' })).toBeUndefined();
    // An attachment's allocation (another provider) is not the pod's own address.
    expect(
      keptPodAddress({
        'blue.ns.ovn.kubernetes.io/allocated': 'true',
        'blue.ns.ovn.kubernetes.io/ip_address': '10.1.0.5',
      }),
    ).toBeUndefined();
  });
});
