/** kubeovn.io/v1 Vpc: an isolated OVN logical router with its subnets and routes (cluster-scoped). */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Int32,
  Enum,
  OpenEnum,
  List,
  ListSet,
  StringList,
  Type,
  type Static,
} from '../../schema/dsl';
import { LabelSelector, type ObjectMeta } from '../../k8s/meta';
import { Integer } from '../../kubevirt/v1/domain-common';
import { KubeOvnCondition } from './common';

export const StaticRoute = Obj('A static route of the VPC router.', {
  policy: Opt(
    OpenEnum('Match on the destination (policyDst, the default) or the source (policySrc).', [
      'policyDst',
      'policySrc',
    ] as const),
  ),
  cidr: Str('Destination (or source) CIDR.'),
  nextHopIP: Str('Next hop address.'),
  ecmpMode: Opt(Str('ECMP mode, for example ecmp_symmetric_reply.')),
  bfdId: Opt(Str('BFD session that guards the route.')),
  routeTable: Opt(Str('Route table the route belongs to; the main table when empty.')),
});

export const PolicyRoute = Obj('A policy route of the VPC router.', {
  priority: Opt(Integer('Priority, 0 to 32767.', { minimum: 0, maximum: 32767 })),
  match: Opt(Str('OVN match expression, for example ip4.src == 10.0.1.0/24.')),
  action: Opt(OpenEnum('allow, drop or reroute.', ['allow', 'drop', 'reroute'] as const)),
  nextHopIP: Opt(Str('Next hop for the reroute action.')),
});

export const VpcPeering = Obj('A peering with another VPC.', {
  remoteVpc: Opt(Str('Name of the peer VPC.')),
  localConnectIP: Opt(Str('Address (with prefix) of this side of the peering link.')),
});

export const BFDPort = Obj('A BFD logical router port for the VPC external gateway.', {
  enabled: Opt(Bool('Whether to create the BFD port.')),
  ip: Opt(Str('Address(es) of the BFD port.')),
  nodeSelector: Opt(LabelSelector),
});

export const REDISTRIBUTE_TYPES = ['connected', 'connected-as-host', 'static', 'nat', 'lb'] as const;

export const VpcDynamicRouting = Obj(
  'OVN dynamic routing: advertise VPC routes through a VRF on the gateway chassis.',
  {
    enabled: Opt(Bool('Whether dynamic routing is on.')),
    redistribute: Opt(
      ListSet('Route types to advertise; required when enabled.', Enum('A route type.', REDISTRIBUTE_TYPES)),
    ),
    localOnly: Opt(Bool('Advertise chassis-bound routes (NAT, LB) only from the chassis that hosts them.')),
    maintainVrf: Opt(Bool('Let ovn-controller create and maintain the VRF.')),
    vrfName: Opt(Str('Name of the VRF, a Linux interface name.', { maxLength: 15, pattern: '^[^/\\s]+$' })),
    vrfId: Opt(Int32('Routing table of the VRF.', { minimum: 1 })),
  },
);

export const VpcSpec = Obj('Desired state of a VPC.', {
  defaultSubnet: Opt(Str('Subnet used by pods of the VPC namespaces that name none.')),
  namespaces: Opt(StringList('Namespaces that use the VPC.')),
  staticRoutes: Opt(List('Static routes of the VPC router.', StaticRoute)),
  policyRoutes: Opt(List('Policy routes of the VPC router.', PolicyRoute)),
  vpcPeerings: Opt(List('Peerings with other VPCs.', VpcPeering)),
  enableExternal: Opt(Bool('Connect the VPC router to the default external subnet.')),
  extraExternalSubnets: Opt(
    StringList('More external (provider network VLAN) subnets to connect. Immutable.'),
  ),
  enableBfd: Opt(Bool('Use BFD on the external gateway.')),
  bfdPort: Opt(BFDPort),
  dynamicRouting: Opt(VpcDynamicRouting),
});
export type VpcSpec = Static<typeof VpcSpec>;

export const VpcStatus = Obj('Observed state of a VPC.', {
  conditions: Opt(List('Ready and Error conditions.', KubeOvnCondition)),
  standby: Opt(Bool('True once the VPC router is set up.')),
  default: Opt(Bool('Whether this is the default VPC (ovn-cluster).')),
  defaultLogicalSwitch: Opt(Str('Default subnet of the VPC.')),
  router: Opt(Str('Name of the OVN logical router.')),
  tcpLoadBalancer: Opt(Str('OVN TCP load balancer of the VPC.')),
  udpLoadBalancer: Opt(Str('OVN UDP load balancer of the VPC.')),
  sctpLoadBalancer: Opt(Str('OVN SCTP load balancer of the VPC.')),
  tcpSessionLoadBalancer: Opt(Str('OVN TCP load balancer with session affinity.')),
  udpSessionLoadBalancer: Opt(Str('OVN UDP load balancer with session affinity.')),
  sctpSessionLoadBalancer: Opt(Str('OVN SCTP load balancer with session affinity.')),
  subnets: Opt(StringList('Subnets of the VPC.')),
  vpcPeerings: Opt(StringList('Peer VPCs.')),
  enableExternal: Opt(Bool('Whether the VPC is connected to the external subnet.')),
  extraExternalSubnets: Opt(StringList('Extra external subnets connected.')),
  enableBfd: Opt(Bool('Whether BFD is on.')),
  bfdPort: Opt(
    Obj('The BFD port as created.', {
      name: Opt(Str('Name of the BFD port.')),
      ip: Opt(Str('Address of the BFD port.')),
      nodes: Opt(List('Nodes hosting the BFD port.', Type.String())),
    }),
  ),
});
export type VpcStatus = Static<typeof VpcStatus>;

export interface Vpc {
  apiVersion: 'kubeovn.io/v1';
  kind: 'Vpc';
  metadata?: ObjectMeta;
  spec?: VpcSpec;
  status?: VpcStatus;
}
