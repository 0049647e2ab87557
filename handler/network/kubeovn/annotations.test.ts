import { readAllocation, type AllocatedPod } from './annotations';
import { KubeOvnAllocationError, UnsupportedUnderlayError } from './errors';

const P = 'ovn';
const key = (k: string, provider = P): string => `${provider}.kubernetes.io/${k}`;

function pod(overrides: Record<string, string | undefined> = {}, provider = P): AllocatedPod {
  const annotations: Record<string, string> = {
    [key('allocated', provider)]: 'true',
    [key('ip_address', provider)]: '10.66.0.5',
    [key('mac_address', provider)]: '00:00:00:1A:2b:3c',
    [key('cidr', provider)]: '10.66.0.0/24',
    [key('gateway', provider)]: '10.66.0.1',
    [key('logical_switch', provider)]: 'vm-subnet',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete annotations[key(k, provider)];
    else annotations[key(k, provider)] = v;
  }
  return { namespace: 'vms', name: 'virt-launcher-a-x1', annotations };
}

function problemsOf(p: AllocatedPod, provider = P): KubeOvnAllocationError {
  try {
    readAllocation(p, provider);
  } catch (e) {
    expect(e).toBeInstanceOf(KubeOvnAllocationError);
    return e as KubeOvnAllocationError;
  }
  throw new Error('no error');
}

describe('readAllocation', () => {
  it('reads a complete allocation, MAC in lower case, NAT off and no MTU by default', () => {
    expect(readAllocation(pod(), P)).toEqual({
      provider: 'ovn',
      subnet: 'vm-subnet',
      ip: '10.66.0.5',
      cidr: '10.66.0.0/24',
      prefix: 24,
      gateway: '10.66.0.1',
      mac: '00:00:00:1a:2b:3c',
      natOutgoing: false,
    });
  });

  it('reads nat_outgoing and mtu, and the annotations of an attachment provider', () => {
    const provider = 'attachnet.vms.ovn';
    const a = readAllocation(pod({ nat_outgoing: 'true', mtu: '1400' }, provider), provider);
    expect(a).toMatchObject({ provider, natOutgoing: true, mtu: 1400 });
    // Another provider's annotations are not this one's.
    expect(readAllocation(pod({}, provider), P)).toBeUndefined();
  });

  it('is undefined without the allocated annotation', () => {
    expect(readAllocation(pod({ allocated: undefined }), P)).toBeUndefined();
  });

  it('gathers every problem, each naming the key, the value and the fix', () => {
    const e = problemsOf(
      pod({
        allocated: 'yes',
        ip_address: '10.67.0.5',
        gateway: undefined,
        mac_address: '00:00:00:1a:2b',
        logical_switch: 'Bad_Name',
        nat_outgoing: 'maybe',
        mtu: '9',
      }),
    );
    expect(e.reason).toBe('InvalidAddressAllocation');
    expect(e.problems.map((p) => p.key)).toEqual([
      'ovn.kubernetes.io/allocated',
      'ovn.kubernetes.io/logical_switch',
      'ovn.kubernetes.io/ip_address',
      'ovn.kubernetes.io/gateway',
      'ovn.kubernetes.io/mac_address',
      'ovn.kubernetes.io/nat_outgoing',
      'ovn.kubernetes.io/mtu',
    ]);
    expect(e.message).toContain('pod vms/virt-launcher-a-x1: Kube-OVN allocation of provider "ovn": ');
    expect(e.message).toContain(
      'annotation ovn.kubernetes.io/ip_address "10.67.0.5" is outside the subnet\'s CIDR 10.66.0.0/24; give an address inside 10.66.0.0/24',
    );
    expect(e.message).toContain("annotation ovn.kubernetes.io/gateway is missing; give the subnet's gateway");
  });

  it('refuses IPv6 and dual-stack clearly (IPv4 only for now)', () => {
    const dual = problemsOf(pod({ ip_address: '10.66.0.5,fd00::5', cidr: '10.66.0.0/24,fd00::/120' }));
    expect(dual.message).toContain('"10.66.0.0/24,fd00::/120" is dual-stack');
    expect(dual.message).toContain("virtkit's data plane wires IPv4 only");
    const v6 = problemsOf(pod({ ip_address: 'fd00::5', gateway: 'fd00::1', cidr: 'fd00::/120' }));
    expect(v6.problems[0]).toMatchObject({
      key: 'ovn.kubernetes.io/cidr',
      value: 'fd00::/120',
      message: 'is IPv6',
    });
  });

  it('refuses the gateway, network and broadcast addresses as the pod address, and a gateway outside the CIDR', () => {
    expect(problemsOf(pod({ ip_address: '10.66.0.1' })).problems[0].message).toBe('is the gateway address');
    expect(problemsOf(pod({ ip_address: '10.66.0.0' })).problems[0].message).toBe(
      'is the network address of 10.66.0.0/24',
    );
    expect(problemsOf(pod({ ip_address: '10.66.0.255' })).problems[0].message).toBe(
      'is the broadcast address of 10.66.0.0/24',
    );
    expect(problemsOf(pod({ gateway: '192.168.1.1' })).problems[0]).toMatchObject({
      key: 'ovn.kubernetes.io/gateway',
      value: '192.168.1.1',
    });
    expect(problemsOf(pod({ cidr: '10.66.0.0/31' })).problems[0].message).toBe(
      'leaves no address for a pod beside the gateway',
    );
  });

  it('refuses multicast and all-zero MACs', () => {
    expect(problemsOf(pod({ mac_address: '01:00:5e:00:00:01' })).problems[0].message).toContain(
      'not a unicast',
    );
    expect(problemsOf(pod({ mac_address: '00:00:00:00:00:00' })).problems[0].message).toContain(
      'not a unicast',
    );
  });

  it('a VLAN (underlay) subnet carries its VLAN id and ProviderNetwork', () => {
    expect(
      readAllocation(pod({ vlan_id: '100', provider_network: 'net1', nat_outgoing: 'true' }), P),
    ).toEqual(
      expect.objectContaining({ underlay: { vlanId: 100, providerNetwork: 'net1' }, natOutgoing: true }),
    );
    expect(readAllocation(pod(), P)).not.toHaveProperty('underlay');
    expect(readAllocation(pod({ vlan_id: '', provider_network: '' }), P)).not.toHaveProperty('underlay');
  });

  it('an underlay with one annotation of the two, a bad id or a bad ProviderNetwork name is InvalidAddressAllocation', () => {
    expect(problemsOf(pod({ provider_network: 'net1' })).problems).toEqual([
      expect.objectContaining({
        key: 'ovn.kubernetes.io/vlan_id',
        message: 'is missing beside provider_network',
      }),
    ]);
    expect(problemsOf(pod({ vlan_id: '7' })).problems).toEqual([
      expect.objectContaining({
        key: 'ovn.kubernetes.io/provider_network',
        message: 'is missing beside vlan_id',
      }),
    ]);
    for (const id of ['4095', '-1', '1e2', 'x', '10000'])
      expect(problemsOf(pod({ vlan_id: id, provider_network: 'net1' })).problems).toEqual([
        expect.objectContaining({ key: 'ovn.kubernetes.io/vlan_id', value: id, message: 'is not a VLAN id' }),
      ]);
    expect(problemsOf(pod({ vlan_id: '5', provider_network: '../etc' })).problems).toEqual([
      expect.objectContaining({
        key: 'ovn.kubernetes.io/provider_network',
        message: 'is not a ProviderNetwork name',
      }),
    ]);
  });

  it('VLAN 0 (untagged) is UnsupportedUnderlay naming the pod, the subnet and the fix', () => {
    let e: unknown;
    try {
      readAllocation(pod({ vlan_id: '0', provider_network: 'net1' }), P);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(UnsupportedUnderlayError);
    expect((e as UnsupportedUnderlayError).reason).toBe('UnsupportedUnderlay');
    expect((e as Error).message).toBe(
      'pod vms/virt-launcher-a-x1: subnet "vm-subnet" is an untagged VLAN underlay (annotation ovn.kubernetes.io/vlan_id "0"): ' +
        "its pods would share the provider NIC's untagged network, which means enslaving a host NIC to a bridge, and virtkit " +
        'does not take host NICs over; give the Subnet a Vlan with spec.id from 1 to 4094, or run the real Kube-OVN and ' +
        'start the handler with --no-kube-ovn',
    );
  });

  it('shortens a huge value in the message', () => {
    const e = problemsOf(pod({ logical_switch: 'x'.repeat(300) }));
    expect(e.problems[0].value).toHaveLength(80);
  });
});
