/** kubeovn.io/v1 Subnet: an address block, its gateway and how its traffic leaves (cluster-scoped). */
import { Obj, Opt, Str, Bool, Int32, OpenEnum, List, StringList, type Static } from '../../schema/dsl';
import { Integer } from '../../kubevirt/v1/domain-common';
import { LabelSelector, type ObjectMeta } from '../../k8s/meta';
import { AddressCount, KubeOvnCondition } from './common';

export const SUBNET_PROTOCOLS = ['IPv4', 'IPv6', 'Dual', 'Mac'] as const;
export const GATEWAY_TYPES = ['distributed', 'centralized'] as const;

export const SubnetAcl = Obj('An OVN ACL applied to the subnet logical switch.', {
  direction: Opt(OpenEnum('Traffic direction the ACL matches.', ['from-lport', 'to-lport'] as const)),
  priority: Opt(Integer('ACL priority; higher wins.')),
  match: Opt(Str('OVN match expression, for example ip4.src == 10.16.0.2.')),
  action: Opt(
    OpenEnum('What to do with matching packets.', [
      'allow-related',
      'allow-stateless',
      'allow',
      'drop',
      'reject',
    ] as const),
  ),
});

export const NatOutGoingPolicyMatch = Obj('Which packets a NAT outgoing rule applies to.', {
  srcIPs: Opt(Str('Source addresses or CIDRs, comma-separated.')),
  dstIPs: Opt(Str('Destination addresses or CIDRs, comma-separated.')),
});

export const NatOutgoingPolicyRule = Obj('A rule deciding whether matching egress traffic is NATed.', {
  match: NatOutGoingPolicyMatch,
  action: OpenEnum('nat or forward (no NAT).', ['nat', 'forward'] as const),
});

export const SubnetSpec = Obj('Desired state of a subnet.', {
  default: Opt(Bool('Whether this is the default subnet of the cluster.')),
  vpc: Opt(Str('VPC the subnet belongs to; ovn-cluster when left out. Immutable.')),
  protocol: Opt(
    OpenEnum('Address family, derived from cidrBlock when left out. Immutable.', SUBNET_PROTOCOLS),
  ),
  namespaces: Opt(StringList('Namespaces whose pods get addresses from this subnet.')),
  cidrBlock: Opt(
    Str('Address block, or an IPv4 and an IPv6 block separated by a comma for dual stack. Immutable.'),
  ),
  gateway: Opt(
    Str(
      'Gateway address inside cidrBlock (one per family, comma-separated); the first address when left out.',
    ),
  ),
  excludeIps: Opt(StringList('Addresses or first..last ranges inside cidrBlock never given to pods.')),
  provider: Opt(Str('Provider of the subnet: ovn, or <nad-name>.<namespace>.ovn for an attachment network.')),
  gatewayType: Opt(
    OpenEnum(
      'How traffic leaves the subnet: from every node (distributed) or through gateway nodes (centralized).',
      GATEWAY_TYPES,
    ),
  ),
  gatewayNode: Opt(Str('Gateway nodes for the centralized type, comma-separated.')),
  gatewayNodeSelectors: Opt(
    List('Label selectors choosing the gateway nodes for the centralized type.', LabelSelector),
  ),
  natOutgoing: Opt(Bool('NAT traffic leaving the cluster to the node address.')),
  externalEgressGateway: Opt(Str('External gateway addresses for egress traffic, comma-separated.')),
  policyRoutingPriority: Opt(
    Int32('Priority of the policy route to the external egress gateway.', { minimum: 0 }),
  ),
  policyRoutingTableID: Opt(
    Int32('Routing table of the policy route to the external egress gateway.', { minimum: 0 }),
  ),
  mtu: Opt(Int32('MTU of pod interfaces in the subnet.', { minimum: 0 })),
  private: Opt(Bool('Refuse traffic from other subnets, except allowSubnets.')),
  allowSubnets: Opt(StringList('CIDRs allowed to reach a private subnet.')),
  vlan: Opt(Str('Vlan object that makes this an underlay subnet.')),
  vips: Opt(StringList('Virtual addresses reserved in the subnet.')),
  logicalGateway: Opt(Bool('Use an OVN logical router port as the gateway of an underlay subnet.')),
  disableGatewayCheck: Opt(Bool('Do not wait for the gateway to answer before a pod is ready.')),
  disableInterConnection: Opt(Bool('Keep the subnet out of cluster interconnection.')),
  enableDHCP: Opt(Bool('Serve DHCP to pods (and VMs) in the subnet.')),
  dhcpV4Options: Opt(Str('OVN DHCPv4 options, comma-separated key=value pairs.')),
  dhcpV6Options: Opt(Str('OVN DHCPv6 options, comma-separated key=value pairs.')),
  enableIPv6RA: Opt(Bool('Send IPv6 router advertisements.')),
  ipv6RAConfigs: Opt(Str('IPv6 router advertisement settings, comma-separated key=value pairs.')),
  acls: Opt(List('OVN ACLs of the subnet.', SubnetAcl)),
  allowEWTraffic: Opt(Bool('Allow east-west traffic between pods when ACLs are set.')),
  natOutgoingPolicyRules: Opt(List('Rules deciding which egress traffic is NATed.', NatOutgoingPolicyRule)),
  u2oInterconnectionIP: Opt(Str('Address used for underlay-to-overlay interconnection.')),
  u2oInterconnection: Opt(Bool('Let this underlay subnet reach overlay subnets.')),
  u2oFeatures: Opt(
    Obj('Underlay-to-overlay interconnection options.', {
      overlayOnlyRouting: Opt(Bool('Route only overlay CIDRs through the interconnection.')),
    }),
  ),
  enableLb: Opt(Bool('Attach the cluster load balancers to the subnet.')),
  enableEcmp: Opt(Bool('Spread centralized gateway traffic over several gateway nodes with ECMP.')),
  enableMulticastSnoop: Opt(Bool('Enable multicast snooping.')),
  enableExternalLBAddress: Opt(Bool('Allow external load balancer addresses in the subnet.')),
  routeTable: Opt(Str('VPC route table the subnet uses.')),
  namespaceSelectors: Opt(List('Label selectors of namespaces bound to the subnet.', LabelSelector)),
  nodeNetwork: Opt(Str('Node network the underlay subnet uses.')),
});
export type SubnetSpec = Static<typeof SubnetSpec>;

export const NatOutgoingPolicyRuleStatus = Obj('A NAT outgoing rule as programmed.', {
  ruleID: Opt(Str('Identifier of the programmed rule.')),
  match: Opt(NatOutGoingPolicyMatch),
  action: Opt(Str('nat or forward.')),
});

export const SubnetStatus = Obj('Observed state of a subnet.', {
  conditions: Opt(List('Ready, Validated and Error conditions.', KubeOvnCondition)),
  v4availableIPs: Opt(AddressCount('IPv4 addresses still free.')),
  v4availableIPrange: Opt(Str('Free IPv4 addresses as ranges.')),
  v4usingIPs: Opt(AddressCount('IPv4 addresses in use.')),
  v4usingIPrange: Opt(Str('IPv4 addresses in use as ranges.')),
  v6availableIPs: Opt(AddressCount('IPv6 addresses still free.')),
  v6availableIPrange: Opt(Str('Free IPv6 addresses as ranges.')),
  v6usingIPs: Opt(AddressCount('IPv6 addresses in use.')),
  v6usingIPrange: Opt(Str('IPv6 addresses in use as ranges.')),
  activateGateway: Opt(Str('Gateway node currently active for the centralized type.')),
  dhcpV4OptionsUUID: Opt(Str('UUID of the OVN DHCPv4 options row.')),
  dhcpV6OptionsUUID: Opt(Str('UUID of the OVN DHCPv6 options row.')),
  u2oInterconnectionIP: Opt(Str('Address in use for underlay-to-overlay interconnection.')),
  u2oInterconnectionMAC: Opt(Str('MAC address in use for underlay-to-overlay interconnection.')),
  u2oInterconnectionVPC: Opt(Str('VPC the interconnection attaches to.')),
  natOutgoingPolicyRules: Opt(List('NAT outgoing rules as programmed.', NatOutgoingPolicyRuleStatus)),
  mcastQuerierIP: Opt(Str('Address of the multicast querier.')),
  mcastQuerierMAC: Opt(Str('MAC address of the multicast querier.')),
});
export type SubnetStatus = Static<typeof SubnetStatus>;

export interface Subnet {
  apiVersion: 'kubeovn.io/v1';
  kind: 'Subnet';
  metadata?: ObjectMeta;
  spec?: SubnetSpec;
  status?: SubnetStatus;
}
