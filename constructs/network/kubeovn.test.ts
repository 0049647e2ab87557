import { Testing, type Chart } from 'cdk8s';
import { InterfaceBinding, VirtualMachine, VirtualMachinePool } from '../vm';
import { manifestOf, quietChart, report } from '../templates/test-kit';
import {
  CniPlugin,
  GatewayType,
  Ip,
  IpPool,
  Ipam,
  NetworkAttachmentDefinition,
  ProviderNetwork,
  Subnet,
  SubnetProtocol,
  Vlan,
  Vpc,
} from '.';

function vm(chart: Chart, name = 'vm'): VirtualMachine {
  const v = new VirtualMachine(chart, name, { name, memory: '1Gi' });
  v.addPodNetwork('default', InterfaceBinding.bridge());
  return v;
}

type VmManifest = {
  spec: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { networks: unknown[]; domain: { devices: { interfaces: unknown[] } } };
    };
  };
};

function underlay(chart: Chart) {
  const pn = new ProviderNetwork(chart, 'pn', {
    name: 'net1',
    defaultInterface: 'eth1',
    excludeNodes: ['cp-1'],
  });
  const vlan = new Vlan(chart, 'vlan', { name: 'vlan100', id: 100, provider: pn });
  const subnet = new Subnet(chart, 'subnet', {
    name: 'underlay',
    cidrBlock: '192.168.100.0/24',
    gateway: '192.168.100.1',
    excludeIps: ['192.168.100.1..192.168.100.10'],
    protocol: SubnetProtocol.IPV4,
    vlan,
  });
  return { pn, vlan, subnet };
}

describe('Kube-OVN objects', () => {
  test('ProviderNetwork, Vlan and Subnet chain by reference', () => {
    const chart = quietChart();
    underlay(chart);
    expect(manifestOf(chart, 'ProviderNetwork').spec).toEqual({
      defaultInterface: 'eth1',
      excludeNodes: ['cp-1'],
    });
    expect(manifestOf(chart, 'Vlan').spec).toEqual({ id: 100, provider: 'net1' });
    expect(manifestOf(chart, 'Subnet').spec).toEqual({
      cidrBlock: '192.168.100.0/24',
      gateway: '192.168.100.1',
      excludeIps: ['192.168.100.1..192.168.100.10'],
      protocol: 'IPv4',
      vlan: 'vlan100',
    });
    expect(report(chart)).toEqual({ errors: [], warnings: [] });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('Vpc, an overlay Subnet in it, IP and IPPool', () => {
    const chart = quietChart();
    const vpc = new Vpc(chart, 'vpc', {
      name: 'tenant-a',
      namespaces: ['tenant-a'],
      staticRoutes: [{ cidr: '0.0.0.0/0', nextHopIp: '10.0.1.254' }],
      policyRoutes: [{ priority: 10, match: 'ip4.src == 10.0.1.0/24', action: 'allow' }],
    });
    const subnet = new Subnet(chart, 's', {
      name: 'tenant-a-net',
      cidrBlock: '10.0.1.0/24',
      vpc,
      gatewayType: GatewayType.CENTRALIZED,
      gatewayNode: 'node-1',
      natOutgoing: true,
    });
    new Ip(chart, 'ip', {
      name: 'db.prod',
      subnet,
      v4IpAddress: '10.0.1.20',
      podName: 'db',
      podNamespace: 'prod',
      podType: 'VirtualMachine',
    });
    new IpPool(chart, 'pool', {
      name: 'web-pool',
      subnet,
      ips: ['10.0.1.100..10.0.1.150'],
      namespaces: ['web'],
    });
    expect(manifestOf(chart, 'Vpc').spec).toEqual({
      namespaces: ['tenant-a'],
      staticRoutes: [{ cidr: '0.0.0.0/0', nextHopIP: '10.0.1.254' }],
      policyRoutes: [{ priority: 10, match: 'ip4.src == 10.0.1.0/24', action: 'allow' }],
    });
    expect(manifestOf(chart, 'Subnet').spec).toMatchObject({ vpc: 'tenant-a', gatewayType: 'centralized' });
    expect(manifestOf(chart, 'IP').spec).toEqual({
      subnet: 'tenant-a-net',
      v4IpAddress: '10.0.1.20',
      podName: 'db',
      namespace: 'prod',
      podType: 'VirtualMachine',
    });
    expect(manifestOf(chart, 'IPPool').spec).toEqual({
      subnet: 'tenant-a-net',
      ips: ['10.0.1.100..10.0.1.150'],
      namespaces: ['web'],
    });
    expect(report(chart).errors).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });
});

describe('connecting VMs to Kube-OVN subnets', () => {
  test('default network form: ovn.kubernetes.io/ annotations on the VM template', () => {
    const chart = quietChart();
    const { subnet } = underlay(chart);
    subnet.connectDefaultNetwork(vm(chart), { ipAddress: '192.168.100.20', macAddress: '00:00:00:53:6B:B6' });
    const m = manifestOf(chart, 'VirtualMachine') as VmManifest;
    expect(m.spec.template.metadata.annotations).toEqual({
      'ovn.kubernetes.io/logical_switch': 'underlay',
      'ovn.kubernetes.io/ip_address': '192.168.100.20',
      'ovn.kubernetes.io/mac_address': '00:00:00:53:6B:B6',
    });
    expect(report(chart).errors).toEqual([]);
  });

  test('Multus form with the kube-ovn plugin: <name>.<namespace>.ovn.kubernetes.io/ annotations', () => {
    const chart = quietChart();
    const nad = new NetworkAttachmentDefinition(chart, 'nad', {
      name: 'attachnet',
      namespace: 'default',
      plugin: CniPlugin.kubeOvn(),
    });
    const subnet = new Subnet(chart, 's', { name: 'attach', cidrBlock: '172.17.0.0/16', network: nad });
    subnet.attachVm(vm(chart), nad, { ipAddress: '172.17.0.100', macAddress: '00:00:00:53:6B:BB' });
    expect(manifestOf(chart, 'Subnet').spec).toMatchObject({ provider: 'attachnet.default.ovn' });
    const m = manifestOf(chart, 'VirtualMachine') as VmManifest;
    expect(m.spec.template.metadata.annotations).toEqual({
      'attachnet.default.ovn.kubernetes.io/logical_switch': 'attach',
      'attachnet.default.ovn.kubernetes.io/ip_address': '172.17.0.100',
      'attachnet.default.ovn.kubernetes.io/mac_address': '00:00:00:53:6B:BB',
    });
    expect(m.spec.template.spec.networks).toContainEqual({
      name: 'attachnet',
      multus: { networkName: 'default/attachnet' },
    });
    expect(m.spec.template.spec.domain.devices.interfaces).toContainEqual({
      name: 'attachnet',
      bridge: {},
      macAddress: '00:00:00:53:6B:BB',
    });
    expect(report(chart).errors).toEqual([]);
  });

  test('Multus form with kube-ovn IPAM under macvlan: <name>.<namespace>.kubernetes.io/ annotations', () => {
    const chart = quietChart();
    const nad = new NetworkAttachmentDefinition(chart, 'nad', {
      name: 'macvlan',
      namespace: 'default',
      plugin: CniPlugin.macvlan({ master: 'eth0', ipam: Ipam.kubeOvn() }),
    });
    const subnet = new Subnet(chart, 's', { name: 'macvlan', cidrBlock: '172.18.0.0/16', network: nad });
    subnet.attachVm(vm(chart), nad, { interfaceName: 'data', ipAddress: '172.18.0.100' });
    const m = manifestOf(chart, 'VirtualMachine') as VmManifest;
    expect(m.spec.template.metadata.annotations).toEqual({
      'macvlan.default.kubernetes.io/logical_switch': 'macvlan',
      'macvlan.default.kubernetes.io/ip_address': '172.18.0.100',
    });
    expect(manifestOf(chart, 'Subnet').spec).toMatchObject({ provider: 'macvlan.default' });
  });

  test('attaching through a NAD that Kube-OVN does not serve fails at once', () => {
    const chart = quietChart();
    const nad = new NetworkAttachmentDefinition(chart, 'nad', { name: 'br', plugin: CniPlugin.bridge() });
    const subnet = new Subnet(chart, 's', { cidrBlock: '10.9.0.0/24' });
    expect(() => subnet.attachVm(vm(chart), nad)).toThrow(
      /does not use Kube-OVN; build it with CniPlugin.kubeOvn\(\) or give its plugin ipam: Ipam.kubeOvn\(\)/,
    );
  });
});

describe('synth-time checks', () => {
  const errorsOf = (chart: Chart) => report(chart).errors.join('\n');

  test('a static IP outside the CIDR', () => {
    const chart = quietChart();
    const { subnet } = underlay(chart);
    subnet.connectDefaultNetwork(vm(chart), { ipAddress: '10.1.1.1' });
    expect(errorsOf(chart)).toMatch(
      /test\/vm: spec.template.metadata.annotations\["ovn.kubernetes.io\/ip_address"\]: 10.1.1.1 is outside subnet underlay's cidrBlock 192.168.100.0\/24; pick an address inside it/,
    );
  });

  test('a static IP inside excludeIps', () => {
    const chart = quietChart();
    const { subnet } = underlay(chart);
    subnet.connectDefaultNetwork(vm(chart), { ipAddress: '192.168.100.5' });
    expect(errorsOf(chart)).toMatch(
      /192.168.100.5 is in subnet underlay's excludeIps entry 192.168.100.1..192.168.100.10/,
    );
  });

  test('a static IP on a pool member path, and the gateway address', () => {
    const chart = quietChart();
    const subnet = new Subnet(chart, 's', { name: 'plain', cidrBlock: '10.3.0.0/24', gateway: '10.3.0.1' });
    const pool = new VirtualMachinePool(chart, 'pool', { name: 'web', memory: '1Gi' });
    subnet.connectDefaultNetwork(pool, { ipAddress: '10.3.0.1' });
    expect(errorsOf(chart)).toMatch(
      /test\/pool: spec.virtualMachineTemplate.spec.template.metadata.annotations\["ovn.kubernetes.io\/ip_address"\]: 10.3.0.1 is the gateway of subnet plain/,
    );
  });

  test('the same static IP on two VMs', () => {
    const chart = quietChart();
    const { subnet } = underlay(chart);
    subnet.connectDefaultNetwork(vm(chart, 'a'), { ipAddress: '192.168.100.50' });
    subnet.connectDefaultNetwork(vm(chart, 'b'), { ipAddress: '192.168.100.50' });
    expect(errorsOf(chart)).toMatch(
      /test\/b: .*192.168.100.50 on subnet underlay is already fixed for test\/a/,
    );
  });

  test('IP and IPPool addresses outside their subnet', () => {
    const chart = quietChart();
    const subnet = new Subnet(chart, 's', { name: 'small', cidrBlock: '10.4.0.0/24' });
    new Ip(chart, 'ip', { subnet, v4IpAddress: '10.5.0.1' });
    new IpPool(chart, 'pool', { subnet, ips: ['10.4.0.10', '10.4.1.0..10.4.1.5'] });
    const errors = errorsOf(chart);
    expect(errors).toMatch(/test\/ip: spec.v4IpAddress: 10.5.0.1 is outside subnet small's cidrBlock/);
    expect(errors).toMatch(
      /test\/pool: spec.ips\[1\]: 10.4.1.0..10.4.1.5 is outside subnet small's cidrBlock/,
    );
  });

  test('a Subnet naming a Vlan the app does not define, when the app defines others: error with a guess', () => {
    const chart = quietChart();
    underlay(chart);
    new Subnet(chart, 'typo', { name: 'typo', cidrBlock: '10.6.0.0/24', vlanName: 'vlan10' });
    expect(errorsOf(chart)).toMatch(
      /test\/typo: spec.vlan: Vlan "vlan10" is not defined in this app \(it defines vlan100\); did you mean "vlan100"\?/,
    );
  });

  test('a Subnet naming a Vlan when the app defines none: a warning (it may live in the cluster)', () => {
    const chart = quietChart();
    new Subnet(chart, 's', { name: 's', cidrBlock: '10.6.0.0/24', vlanName: 'platform-vlan' });
    const r = report(chart);
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(
      /test\/s: spec.vlan: Vlan "platform-vlan" is not defined in this app; make sure it exists in the cluster/,
    );
  });

  test('a Vlan naming a ProviderNetwork the app does not define', () => {
    const chart = quietChart();
    new ProviderNetwork(chart, 'pn', { name: 'net1', defaultInterface: 'eth1' });
    new Vlan(chart, 'v', { name: 'v', id: 5, providerName: 'net2' });
    expect(errorsOf(chart)).toMatch(
      /test\/v: spec.provider: ProviderNetwork "net2" is not defined in this app \(it defines net1\)/,
    );
  });

  test('a Subnet provider that does not match its NAD', () => {
    const chart = quietChart();
    new NetworkAttachmentDefinition(chart, 'nad', {
      name: 'attachnet',
      namespace: 'default',
      plugin: CniPlugin.kubeOvn(),
    });
    new Subnet(chart, 's', { name: 'attach', cidrBlock: '172.17.0.0/16', provider: 'attachnet.default' });
    expect(errorsOf(chart)).toMatch(
      /test\/s: spec.provider: provider "attachnet.default" does not match NetworkAttachmentDefinition test\/nad, whose provider is "attachnet.default.ovn"; set provider to "attachnet.default.ovn" or pass network: theNad/,
    );
  });

  test('a Subnet serving a NAD that does not use Kube-OVN', () => {
    const chart = quietChart();
    const nad = new NetworkAttachmentDefinition(chart, 'nad', {
      name: 'br',
      namespace: 'default',
      plugin: CniPlugin.bridge(),
    });
    new Subnet(chart, 's', { cidrBlock: '172.19.0.0/16', network: nad });
    expect(errorsOf(chart)).toMatch(
      /test\/s: spec.provider: subnet serves NetworkAttachmentDefinition test\/nad, whose bridge plugin does not use Kube-OVN/,
    );
  });

  test('a malformed provider', () => {
    const chart = quietChart();
    new Subnet(chart, 's', { cidrBlock: '172.19.0.0/16', provider: 'just-a-name' });
    expect(errorsOf(chart)).toMatch(
      /provider "just-a-name" is neither ovn nor the provider of a NetworkAttachmentDefinition/,
    );
  });

  test('a VM attached through one NAD to a subnet that serves another provider', () => {
    const chart = quietChart();
    const a = new NetworkAttachmentDefinition(chart, 'a', {
      name: 'a',
      namespace: 'default',
      plugin: CniPlugin.kubeOvn(),
    });
    const b = new NetworkAttachmentDefinition(chart, 'b', {
      name: 'b',
      namespace: 'default',
      plugin: CniPlugin.kubeOvn(),
    });
    const subnet = new Subnet(chart, 's', { name: 'sb', cidrBlock: '172.20.0.0/16', network: b });
    subnet.attachVm(vm(chart), a, { ipAddress: '172.20.0.9' });
    expect(errorsOf(chart)).toMatch(
      /test\/vm: .*a.default.ovn.kubernetes.io\/logical_switch.*attached to subnet sb through test\/a \(provider "a.default.ovn"\), but the subnet's provider is "b.default.ovn"/,
    );
  });

  test('api/ subnet rules still apply (a gateway outside the block)', () => {
    const chart = quietChart();
    new Subnet(chart, 's', { cidrBlock: '10.7.0.0/24', gateway: '10.8.0.1' });
    expect(errorsOf(chart)).toMatch(/test\/s: spec.gateway: gateway "10.8.0.1" is outside cidrBlock/);
  });
});
