/** Kind definitions of kubeovn.io/v1, with Kube-OVN's names and printer columns. */
import { defineKind } from '../../kind';
import { AGE_COLUMN } from '../../crd/columns';
import { SubnetSpec, SubnetStatus } from './subnet';
import { VlanSpec, VlanStatus } from './vlan';
import { ProviderNetworkSpec, ProviderNetworkStatus } from './provider-network';
import { VpcSpec, VpcStatus } from './vpc';
import { IPSpec } from './ip';
import { IPPoolSpec, IPPoolStatus } from './ippool';
import { ipRules, ippoolRules, providerNetworkRules, subnetRules, vlanRules } from './rules';

const group = 'kubeovn.io';
const version = 'v1';

export const SubnetKind = defineKind({
  group,
  version,
  kind: 'Subnet',
  plural: 'subnets',
  singular: 'subnet',
  shortNames: ['subnet'],
  scope: 'Cluster',
  description: 'A Kube-OVN subnet: an address block, its gateway, and how its traffic leaves.',
  fields: { spec: SubnetSpec, status: SubnetStatus },
  subresources: { status: true },
  printerColumns: [
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'Vpc', type: 'string', jsonPath: '.spec.vpc' },
    { name: 'Vlan', type: 'string', jsonPath: '.spec.vlan' },
    { name: 'Protocol', type: 'string', jsonPath: '.spec.protocol' },
    { name: 'CIDR', type: 'string', jsonPath: '.spec.cidrBlock' },
    { name: 'Private', type: 'boolean', jsonPath: '.spec.private' },
    { name: 'NAT', type: 'boolean', jsonPath: '.spec.natOutgoing' },
    { name: 'Default', type: 'boolean', jsonPath: '.spec.default' },
    { name: 'GatewayType', type: 'string', jsonPath: '.spec.gatewayType' },
    { name: 'V4Used', type: 'number', jsonPath: '.status.v4usingIPs' },
    { name: 'V4Available', type: 'number', jsonPath: '.status.v4availableIPs' },
    { name: 'V6Used', type: 'number', jsonPath: '.status.v6usingIPs' },
    { name: 'V6Available', type: 'number', jsonPath: '.status.v6availableIPs' },
    { name: 'ExcludeIPs', type: 'string', jsonPath: '.spec.excludeIps' },
    { name: 'U2OInterconnectionIP', type: 'string', jsonPath: '.status.u2oInterconnectionIP' },
  ],
  rules: subnetRules,
});

export const VlanKind = defineKind({
  group,
  version,
  kind: 'Vlan',
  plural: 'vlans',
  singular: 'vlan',
  shortNames: ['vlan'],
  scope: 'Cluster',
  description: 'A Kube-OVN VLAN: a tag on a provider network that underlay subnets use.',
  fields: { spec: VlanSpec, status: VlanStatus },
  subresources: { status: true },
  printerColumns: [
    { name: 'ID', type: 'string', jsonPath: '.spec.id' },
    { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
    { name: 'conflict', type: 'boolean', jsonPath: '.status.conflict' },
  ],
  rules: vlanRules,
});

export const ProviderNetworkKind = defineKind({
  group,
  version,
  kind: 'ProviderNetwork',
  plural: 'provider-networks',
  singular: 'provider-network',
  shortNames: ['pn'],
  scope: 'Cluster',
  description: 'A Kube-OVN provider network: the node interfaces underlay traffic is bridged onto.',
  fields: { spec: ProviderNetworkSpec, status: ProviderNetworkStatus },
  subresources: { status: true },
  printerColumns: [
    { name: 'DefaultInterface', type: 'string', jsonPath: '.spec.defaultInterface' },
    { name: 'Ready', type: 'boolean', jsonPath: '.status.ready' },
  ],
  rules: providerNetworkRules,
});

export const VpcKind = defineKind({
  group,
  version,
  kind: 'Vpc',
  plural: 'vpcs',
  singular: 'vpc',
  shortNames: ['vpc'],
  scope: 'Cluster',
  description: 'A Kube-OVN VPC: an isolated logical router with its own subnets and routes.',
  fields: { spec: VpcSpec, status: VpcStatus },
  subresources: { status: true },
  printerColumns: [
    { name: 'EnableExternal', type: 'boolean', jsonPath: '.status.enableExternal' },
    { name: 'EnableBfd', type: 'boolean', jsonPath: '.status.enableBfd' },
    { name: 'Standby', type: 'boolean', jsonPath: '.status.standby' },
    { name: 'Subnets', type: 'string', jsonPath: '.status.subnets' },
    { name: 'ExtraExternalSubnets', type: 'string', jsonPath: '.status.extraExternalSubnets' },
    { name: 'Namespaces', type: 'string', jsonPath: '.spec.namespaces' },
    { name: 'DefaultSubnet', type: 'string', jsonPath: '.status.defaultLogicalSwitch' },
    AGE_COLUMN,
  ],
});

export const IPKind = defineKind({
  group,
  version,
  kind: 'IP',
  plural: 'ips',
  singular: 'ip',
  shortNames: ['ip'],
  scope: 'Cluster',
  description: 'An address Kube-OVN allocated to a pod or VM interface.',
  fields: { spec: IPSpec },
  printerColumns: [
    { name: 'V4IP', type: 'string', jsonPath: '.spec.v4IpAddress' },
    { name: 'V6IP', type: 'string', jsonPath: '.spec.v6IpAddress' },
    { name: 'Mac', type: 'string', jsonPath: '.spec.macAddress' },
    { name: 'Node', type: 'string', jsonPath: '.spec.nodeName' },
    { name: 'Subnet', type: 'string', jsonPath: '.spec.subnet' },
  ],
  rules: ipRules,
});

export const IPPoolKind = defineKind({
  group,
  version,
  kind: 'IPPool',
  plural: 'ippools',
  singular: 'ippool',
  shortNames: ['ippool'],
  scope: 'Cluster',
  description: 'A Kube-OVN IP pool: part of a subnet reserved for some namespaces.',
  fields: { spec: IPPoolSpec, status: IPPoolStatus },
  subresources: { status: true },
  printerColumns: [
    { name: 'Subnet', type: 'string', jsonPath: '.spec.subnet' },
    { name: 'enableAddressSet', type: 'boolean', jsonPath: '.spec.enableAddressSet' },
    { name: 'IPs', type: 'string', jsonPath: '.spec.ips' },
    { name: 'V4Used', type: 'number', jsonPath: '.status.v4UsingIPs' },
    { name: 'V4Available', type: 'number', jsonPath: '.status.v4AvailableIPs' },
    { name: 'V6Used', type: 'number', jsonPath: '.status.v6UsingIPs' },
    { name: 'V6Available', type: 'number', jsonPath: '.status.v6AvailableIPs' },
  ],
  rules: ippoolRules,
});
