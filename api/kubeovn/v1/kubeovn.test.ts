import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import {
  IPKind,
  IPPoolKind,
  kinds,
  ProviderNetworkKind,
  SubnetKind,
  VlanKind,
  VpcKind,
  type IP,
  type IPPool,
  type ProviderNetwork,
  type Subnet,
  type Vlan,
  type Vpc,
} from './index';

const subnet: Subnet = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Subnet',
  metadata: { name: 'vm-lan' },
  spec: {
    protocol: 'Dual',
    cidrBlock: '172.20.0.0/24,fd00:172:20::/120',
    gateway: '172.20.0.1,fd00:172:20::1',
    excludeIps: ['172.20.0.1..172.20.0.10', 'fd00:172:20::1'],
    provider: 'vm-lan.vms.ovn',
    vpc: 'ovn-cluster',
    namespaces: ['vms'],
    gatewayType: 'centralized',
    gatewayNode: 'node-1,node-2',
    natOutgoing: true,
    private: true,
    allowSubnets: ['10.16.0.0/16'],
    enableDHCP: true,
    dhcpV4Options: 'lease_time=3600,router=172.20.0.1',
    acls: [{ direction: 'to-lport', priority: 1010, match: 'ip4.src == 10.10.0.2', action: 'drop' }],
    natOutgoingPolicyRules: [{ match: { srcIPs: '172.20.0.0/25' }, action: 'forward' }],
    u2oFeatures: { overlayOnlyRouting: true },
    default: false,
  },
  status: {
    v4availableIPs: 243,
    v4usingIPs: 2,
    v4availableIPrange: '172.20.0.11-172.20.0.254',
    v6availableIPs: 244,
    v6usingIPs: 2,
    activateGateway: 'node-1',
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'ResetLogicalSwitchAclSuccess',
        lastUpdateTime: '2024-05-01T10:00:00Z',
        lastTransitionTime: '2024-05-01T10:00:00Z',
      },
    ],
  },
};

const vlan: Vlan = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Vlan',
  metadata: { name: 'vlan100' },
  spec: { id: 100, provider: 'physnet1' },
  status: { subnets: ['vm-underlay'], conflict: false },
};

const providerNetwork: ProviderNetwork = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'ProviderNetwork',
  metadata: { name: 'physnet1' },
  spec: {
    defaultInterface: 'eth1',
    customInterfaces: [{ interface: 'bond0', nodes: ['node-3'] }],
    excludeNodes: ['control-1'],
    exchangeLinkName: true,
  },
  status: {
    ready: true,
    readyNodes: ['node-1', 'node-2', 'node-3'],
    vlans: ['vlan100'],
    conditions: [{ node: 'node-1', type: 'Ready', status: 'True' }],
  },
};

const vpc: Vpc = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'Vpc',
  metadata: { name: 'tenant-a' },
  spec: {
    namespaces: ['tenant-a'],
    defaultSubnet: 'tenant-a-net',
    staticRoutes: [{ cidr: '0.0.0.0/0', nextHopIP: '10.0.1.254', policy: 'policyDst' }],
    policyRoutes: [
      { priority: 10, match: 'ip4.src == 10.0.1.0/24', action: 'reroute', nextHopIP: '10.0.1.253' },
    ],
    vpcPeerings: [{ remoteVpc: 'tenant-b', localConnectIP: '169.254.0.1/30' }],
    enableExternal: true,
    bfdPort: { enabled: false },
  },
  status: {
    standby: true,
    default: false,
    defaultLogicalSwitch: 'tenant-a-net',
    router: 'tenant-a',
    subnets: ['tenant-a-net'],
    enableExternal: true,
    bfdPort: {},
  },
};

const ip: IP = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'IP',
  metadata: { name: 'virt-launcher-web-abcde.vms' },
  spec: {
    podName: 'virt-launcher-web-abcde',
    namespace: 'vms',
    subnet: 'vm-lan',
    nodeName: 'node-1',
    ipAddress: '172.20.0.11,fd00:172:20::b',
    v4IpAddress: '172.20.0.11',
    v6IpAddress: 'fd00:172:20::b',
    macAddress: '00:00:00:3e:51:0a',
    attachSubnets: [],
    attachIps: [],
    attachMacs: [],
    containerID: 'c0ffee',
    podType: 'VirtualMachine',
  },
};

const ippool: IPPool = {
  apiVersion: 'kubeovn.io/v1',
  kind: 'IPPool',
  metadata: { name: 'vms-pool' },
  spec: {
    subnet: 'vm-lan',
    namespaces: ['vms'],
    ips: ['172.20.0.100', '172.20.0.128/28', '172.20.0.200..172.20.0.220', 'fd00:172:20::100'],
    enableAddressSet: true,
  },
  status: { v4AvailableIPs: 38, v4UsingIPs: 0, v6AvailableIPs: 1, v6UsingIPs: 0 },
};

describe('Subnet', () => {
  it('accepts a realistic dual-stack subnet', () => {
    expect(validateAs(SubnetKind, subnet)).toEqual([]);
  });

  it('catches an unknown field', () => {
    const s = clone(subnet) as unknown as { spec: Record<string, unknown> };
    s.spec.excludeIPs = [];
    expect(validateAs(SubnetKind, s)).toEqual([
      expect.objectContaining({
        path: 'spec.excludeIPs',
        message: expect.stringContaining('did you mean "excludeIps"'),
      }),
    ]);
  });

  it('refuses a malformed cidrBlock and a missing one', () => {
    const bad = clone(subnet);
    bad.spec!.cidrBlock = '172.20.0.0/33';
    expect(errorLines(validateAs(SubnetKind, bad))).toEqual([
      'spec.cidrBlock: "172.20.0.0/33" is not a CIDR; write an address block such as 10.16.0.0/16, or 10.16.0.0/16,fd00:10:16::/64 for dual stack',
    ]);
    const none = clone(subnet);
    delete none.spec!.cidrBlock;
    expect(errorLines(validateAs(SubnetKind, none))).toEqual([
      expect.stringMatching(/^spec\.cidrBlock: the subnet has no address block; set spec\.cidrBlock/),
    ]);
    const twoV4 = clone(subnet);
    twoV4.spec = { cidrBlock: '10.0.0.0/24,10.0.1.0/24' };
    expect(errorLines(validateAs(SubnetKind, twoV4))[0]).toMatch(
      /^spec\.cidrBlock: cidrBlock "10\.0\.0\.0\/24,10\.0\.1\.0\/24" has 2 blocks; a subnet takes one block per family/,
    );
  });

  it('refuses a gateway outside the block, of the wrong family, or on the network address', () => {
    const s = clone(subnet);
    s.spec = { cidrBlock: '172.20.0.0/24', gateway: '172.21.0.1' };
    expect(errorLines(validateAs(SubnetKind, s))).toEqual([
      'spec.gateway: gateway "172.21.0.1" is outside cidrBlock "172.20.0.0/24"; use an address inside the block',
    ]);
    s.spec.gateway = 'fd00::1';
    expect(errorLines(validateAs(SubnetKind, s))[0]).toMatch(
      /^spec\.gateway: gateway "fd00::1" is IPv6 but cidrBlock "172\.20\.0\.0\/24" has no IPv6 block/,
    );
    s.spec.gateway = '172.20.0.0';
    expect(errorLines(validateAs(SubnetKind, s))).toEqual([
      'spec.gateway: gateway "172.20.0.0" is the network address of 172.20.0.0/24; use a host address such as the next one',
    ]);
    s.spec.gateway = 'gw.example';
    expect(errorLines(validateAs(SubnetKind, s))[0]).toMatch(
      /^spec\.gateway: gateway "gw\.example" is not an IP address/,
    );
  });

  it('refuses excludeIps outside the block or malformed', () => {
    const s = clone(subnet);
    s.spec!.excludeIps = ['172.20.0.5..172.20.1.5', '172.20.0.9..172.20.0.3', 'fd00:172:21::1'];
    expect(errorLines(validateAs(SubnetKind, s))).toEqual([
      'spec.excludeIps[0]: excluded address "172.20.0.5..172.20.1.5" is outside cidrBlock "172.20.0.0/24"; use an address inside the block',
      'spec.excludeIps[1]: excludeIps entry "172.20.0.9..172.20.0.3" ends before it starts (put the lower address first); write an address (10.16.0.10) or a range (10.16.0.10..10.16.0.20)',
      'spec.excludeIps[2]: excluded address "fd00:172:21::1" is outside cidrBlock "fd00:172:20::/120"; use an address inside the block',
    ]);
  });

  it('refuses a protocol that contradicts the block and a centralized gateway without nodes', () => {
    const s = clone(subnet);
    s.spec!.protocol = 'IPv4';
    delete s.spec!.gatewayNode;
    expect(errorLines(validateAs(SubnetKind, s))).toEqual([
      'spec.protocol: protocol "IPv4" does not match cidrBlock "172.20.0.0/24,fd00:172:20::/120", which is Dual; set spec.protocol to Dual or leave it out',
      'spec.gatewayNode: a centralized subnet needs gateway nodes; set spec.gatewayNode (comma-separated node names) or spec.gatewayNodeSelectors',
    ]);
  });

  it('publishes Kube-OVN names, scope, status subresource and printer columns', () => {
    const crd = crdFor(SubnetKind);
    expect(crd.metadata.name).toBe('subnets.kubeovn.io');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ plural: 'subnets', singular: 'subnet', shortNames: ['subnet'] });
    const v = crdVersion(SubnetKind);
    expect(v.subresources).toEqual({ status: {} });
    expect((v.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'Provider',
      'Vpc',
      'Vlan',
      'Protocol',
      'CIDR',
      'Private',
      'NAT',
      'Default',
      'GatewayType',
      'V4Used',
      'V4Available',
      'V6Used',
      'V6Available',
      'ExcludeIPs',
      'U2OInterconnectionIP',
    ]);
  });
});

describe('Vlan and ProviderNetwork', () => {
  it('accept realistic objects', () => {
    expect(validateAs(VlanKind, vlan)).toEqual([]);
    expect(validateAs(ProviderNetworkKind, providerNetwork)).toEqual([]);
  });

  it('refuse an out-of-range tag and warn on deprecated fields', () => {
    const v = clone(vlan);
    v.spec = { id: 5000, provider: 'physnet1', vlanId: 5 };
    const issues = validateAs(VlanKind, v);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'spec.id', rule: 'schema.maximum' }),
        expect.objectContaining({ path: 'spec.vlanId', severity: 'warning' }),
      ]),
    );
    const noProvider = clone(vlan) as unknown as { spec: Record<string, unknown> };
    delete noProvider.spec.provider;
    expect(validateAs(VlanKind, noProvider)).toEqual([
      expect.objectContaining({ path: 'spec.provider', rule: 'schema.required' }),
    ]);
  });

  it('refuse a long provider network name and a bad interface name', () => {
    const p = clone(providerNetwork);
    p.metadata = { name: 'datacenter-physnet' };
    p.spec!.customInterfaces = [{ interface: 'enp1s0f0np0.1000', nodes: ['node-3'] }];
    expect(errorLines(validateAs(ProviderNetworkKind, p))).toEqual([
      'metadata.name: provider network name "datacenter-physnet" is 18 characters; Kube-OVN derives bridge names from it, so keep it to 12 or fewer',
      'spec.customInterfaces[0].interface: interface name "enp1s0f0np0.1000" is not a Linux interface name; use at most 15 characters with no "/" or spaces',
    ]);
  });

  it('publish Kube-OVN names and printer columns', () => {
    expect(crdFor(VlanKind).spec.names).toMatchObject({ plural: 'vlans', shortNames: ['vlan'] });
    expect(
      (crdVersion(VlanKind).additionalPrinterColumns as { jsonPath: string }[]).map((c) => c.jsonPath),
    ).toEqual(['.spec.id', '.spec.provider', '.status.conflict']);
    const pn = crdFor(ProviderNetworkKind);
    expect(pn.metadata.name).toBe('provider-networks.kubeovn.io');
    expect(pn.spec.names).toMatchObject({ singular: 'provider-network', shortNames: ['pn'] });
    expect(
      (crdVersion(ProviderNetworkKind).additionalPrinterColumns as { name: string }[]).map((c) => c.name),
    ).toEqual(['DefaultInterface', 'Ready']);
  });
});

describe('Vpc', () => {
  it('accepts a realistic VPC and catches an unknown field', () => {
    expect(validateAs(VpcKind, vpc)).toEqual([]);
    const v = clone(vpc) as unknown as { spec: { staticRoutes: Record<string, unknown>[] } };
    v.spec.staticRoutes[0].nexthop = '10.0.1.1';
    expect(validateAs(VpcKind, v)).toEqual([
      expect.objectContaining({ path: 'spec.staticRoutes[0].nexthop', rule: 'schema.unknown-field' }),
    ]);
  });

  it('publishes Kube-OVN names and printer columns', () => {
    expect(crdFor(VpcKind).spec.names).toMatchObject({ plural: 'vpcs', shortNames: ['vpc'] });
    expect((crdVersion(VpcKind).additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'EnableExternal',
      'EnableBfd',
      'Standby',
      'Subnets',
      'ExtraExternalSubnets',
      'Namespaces',
      'DefaultSubnet',
      'Age',
    ]);
  });
});

describe('IP and IPPool', () => {
  it('accept realistic objects', () => {
    expect(validateAs(IPKind, ip)).toEqual([]);
    expect(validateAs(IPPoolKind, ippool)).toEqual([]);
  });

  it('refuse addresses of the wrong family, malformed addresses and MACs', () => {
    const i = clone(ip);
    i.spec = {
      ...i.spec,
      v4IpAddress: 'fd00::5',
      v6IpAddress: '172.20.0.300',
      ipAddress: '172.20.0.11,nope',
      macAddress: '00:00:3e:51:0a',
    };
    expect(errorLines(validateAs(IPKind, i))).toEqual([
      'spec.v4IpAddress: "fd00::5" is IPv6; spec.v4IpAddress holds an IPv4 address',
      'spec.v6IpAddress: "172.20.0.300" is not an IP address; write one IPv6 address',
      'spec.ipAddress: "nope" is not an IP address; list addresses separated by commas',
      'spec.macAddress: "00:00:3e:51:0a" is not a MAC address; write six hex pairs such as 00:00:00:3e:51:0a',
    ]);
  });

  it('refuse pool entries that are not addresses, CIDRs or ranges, and an empty pool', () => {
    const p = clone(ippool);
    p.spec!.ips = ['172.20.0.0/40', '172.20.0.5-172.20.0.9', '172.20.0.9..172.20.0.5'];
    expect(errorLines(validateAs(IPPoolKind, p))).toEqual([
      'spec.ips[0]: "172.20.0.0/40" is not a CIDR; write it like 10.16.0.0/28',
      'spec.ips[1]: "172.20.0.5-172.20.0.9" is not an IP address; write an address (10.16.0.10), a CIDR (10.16.0.0/28) or a range (10.16.0.10..10.16.0.20)',
      'spec.ips[2]: "172.20.0.9..172.20.0.5" ends before it starts (put the lower address first); write an address (10.16.0.10), a CIDR (10.16.0.0/28) or a range (10.16.0.10..10.16.0.20)',
    ]);
    p.spec!.ips = [];
    expect(errorLines(validateAs(IPPoolKind, p))).toEqual([
      'spec.ips: the pool lists no addresses; add addresses, CIDRs or ranges of the subnet to spec.ips',
    ]);
  });

  it('publish Kube-OVN names and printer columns', () => {
    expect(crdFor(IPKind).spec.names).toMatchObject({ plural: 'ips', singular: 'ip', shortNames: ['ip'] });
    expect(crdVersion(IPKind).subresources).toBeUndefined();
    expect((crdVersion(IPKind).additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'V4IP',
      'V6IP',
      'Mac',
      'Node',
      'Subnet',
    ]);
    expect(crdFor(IPPoolKind).spec.names).toMatchObject({ plural: 'ippools', shortNames: ['ippool'] });
    expect(
      (crdVersion(IPPoolKind).additionalPrinterColumns as { name: string }[]).map((c) => c.name),
    ).toEqual(['Subnet', 'enableAddressSet', 'IPs', 'V4Used', 'V4Available', 'V6Used', 'V6Available']);
  });
});

describe('kubeovn.io/v1 CRDs', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))('%s documents every property', (_name, def) => {
    expect(undocumentedProperties(def)).toEqual([]);
  });
});
