import { Testing } from 'cdk8s';
import { VirtualMachine } from '../vm';
import { manifestOf, quietChart, report } from '../templates/test-kit';
import { CniPlugin, Ipam, IpvlanMode, MacvlanMode, NetworkAttachmentDefinition } from '.';

function configOf(plugin: CniPlugin, chain?: CniPlugin[]): Record<string, unknown> {
  const chart = quietChart();
  new NetworkAttachmentDefinition(chart, 'n', { name: 'net', namespace: 'ns', plugin, chain });
  const m = manifestOf(chart, 'NetworkAttachmentDefinition') as { spec: { config: string } };
  return JSON.parse(m.spec.config) as Record<string, unknown>;
}

describe('CNI plugins and IPAM', () => {
  test('bridge with host-local', () => {
    expect(
      configOf(
        CniPlugin.bridge({
          bridge: 'br1',
          vlan: 100,
          ipam: Ipam.hostLocal({
            ranges: [{ subnet: '192.168.10.0/24', gateway: '192.168.10.1' }],
            routes: [{ dst: '0.0.0.0/0' }],
          }),
        }),
      ),
    ).toEqual({
      cniVersion: '0.3.1',
      name: 'net',
      type: 'bridge',
      bridge: 'br1',
      vlan: 100,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '192.168.10.0/24', gateway: '192.168.10.1' }]],
        routes: [{ dst: '0.0.0.0/0' }],
      },
    });
  });

  test('macvlan with whereabouts', () => {
    expect(
      configOf(
        CniPlugin.macvlan({
          master: 'eth1',
          mode: MacvlanMode.PRIVATE,
          ipam: Ipam.whereabouts({ range: '10.5.0.0/24', exclude: ['10.5.0.1/32'] }),
        }),
      ),
    ).toEqual({
      cniVersion: '0.3.1',
      name: 'net',
      type: 'macvlan',
      master: 'eth1',
      mode: 'private',
      ipam: { type: 'whereabouts', range: '10.5.0.0/24', exclude: ['10.5.0.1/32'] },
    });
  });

  test('ipvlan with static addresses', () => {
    expect(
      configOf(
        CniPlugin.ipvlan({
          master: 'eth1',
          mode: IpvlanMode.L3,
          ipam: Ipam.staticAddresses({ addresses: [{ address: '10.0.0.5/24', gateway: '10.0.0.1' }] }),
        }),
      ),
    ).toMatchObject({
      type: 'ipvlan',
      mode: 'l3',
      ipam: { type: 'static', addresses: [{ address: '10.0.0.5/24', gateway: '10.0.0.1' }] },
    });
  });

  test('host-device needs exactly one selector', () => {
    expect(configOf(CniPlugin.hostDevice({ pciBusID: '0000:3b:00.1' }))).toMatchObject({
      type: 'host-device',
      pciBusID: '0000:3b:00.1',
    });
    expect(() => CniPlugin.hostDevice({})).toThrow(
      /exactly one of device, hwaddr, kernelpath and pciBusID, got 0/,
    );
    expect(() => CniPlugin.hostDevice({ device: 'eth2', hwaddr: '52:54:00:00:00:01' })).toThrow(/got 2/);
  });

  test('sriov writes the resource annotation on the NAD', () => {
    const chart = quietChart();
    new NetworkAttachmentDefinition(chart, 'n', {
      name: 'sriov',
      plugin: CniPlugin.sriov({ resourceName: 'intel.com/sriov', vlan: 10 }),
    });
    const m = manifestOf(chart, 'NetworkAttachmentDefinition') as {
      metadata: { annotations: Record<string, string> };
      spec: { config: string };
    };
    expect(m.metadata.annotations['k8s.v1.cni.cncf.io/resourceName']).toBe('intel.com/sriov');
    expect(JSON.parse(m.spec.config)).toMatchObject({ type: 'sriov', vlan: 10 });
  });

  test('kube-ovn plugin provider is <name>.<namespace>.ovn; kube-ovn IPAM provider is <name>.<namespace>', () => {
    expect(configOf(CniPlugin.kubeOvn())).toEqual({
      cniVersion: '0.3.1',
      name: 'net',
      type: 'kube-ovn',
      server_socket: '/run/openvswitch/kube-ovn-daemon.sock',
      provider: 'net.ns.ovn',
    });
    expect(configOf(CniPlugin.macvlan({ master: 'eth0', ipam: Ipam.kubeOvn() }))).toMatchObject({
      ipam: { type: 'kube-ovn', server_socket: '/run/openvswitch/kube-ovn-daemon.sock', provider: 'net.ns' },
    });
  });

  test('a chain renders a plugin list', () => {
    expect(
      configOf(CniPlugin.bridge({ bridge: 'br0' }), [CniPlugin.custom('tuning', { mtu: 9000 })]),
    ).toEqual({
      cniVersion: '0.3.1',
      name: 'net',
      plugins: [
        { type: 'bridge', bridge: 'br0' },
        { type: 'tuning', mtu: 9000 },
      ],
    });
  });
});

describe('NetworkAttachmentDefinition', () => {
  test('whole manifest, and its Kube-OVN provider', () => {
    const chart = quietChart();
    const nad = new NetworkAttachmentDefinition(chart, 'attach', {
      name: 'attachnet',
      namespace: 'default',
      plugin: CniPlugin.kubeOvn(),
    });
    expect(nad.kubeOvnProvider).toBe('attachnet.default.ovn');
    expect(nad.multusNetworkName).toBe('default/attachnet');
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('is an INetworkAttachment a VM attaches to', () => {
    const chart = quietChart();
    const nad = new NetworkAttachmentDefinition(chart, 'vlan100', {
      name: 'vlan100',
      namespace: 'net',
      plugin: CniPlugin.bridge({ bridge: 'br1', vlan: 100 }),
    });
    const vm = new VirtualMachine(chart, 'vm', { name: 'vm', namespace: 'net', memory: '1Gi' });
    vm.attachNetwork('vlan100', nad);
    const m = manifestOf(chart, 'VirtualMachine') as {
      spec: { template: { spec: { networks: unknown[] } } };
    };
    expect(m.spec.template.spec.networks).toEqual([
      { name: 'vlan100', multus: { networkName: 'net/vlan100' } },
    ]);
    expect(report(chart).errors).toEqual([]);
  });

  test('a plugin without a type is rejected by the api/ rule with the construct path', () => {
    const chart = quietChart();
    new NetworkAttachmentDefinition(chart, 'bad', { plugin: CniPlugin.custom('') });
    expect(report(chart).errors.join('\n')).toMatch(
      /test\/bad: spec.config: "type" "" must name a CNI plugin binary/,
    );
  });
});
