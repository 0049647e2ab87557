/** kubeovn.io/v1 ProviderNetwork: the node interfaces an underlay network is bridged onto (cluster-scoped). */
import { Obj, Opt, Str, Bool, List, StringList, type Static } from '../../schema/dsl';
import { LabelSelector, type ObjectMeta } from '../../k8s/meta';
import { KubeOvnCondition } from './common';

/** Linux interface names: at most 15 bytes, no slash, no white space. */
export const INTERFACE_NAME_PATTERN = '^[^/\\s]+$';
const interfaceName = (description: string) =>
  Str(description, { maxLength: 15, pattern: INTERFACE_NAME_PATTERN });

export const CustomInterface = Obj('An interface to use instead of defaultInterface on some nodes.', {
  interface: interfaceName('Name of the node interface, at most 15 characters.'),
  nodes: StringList('Nodes that use this interface.'),
});

export const ProviderNetworkSpec = Obj('Desired state of a provider network.', {
  defaultInterface: interfaceName(
    'Node interface bridged into the network, at most 15 characters. Immutable.',
  ),
  customInterfaces: Opt(List('Per-node exceptions to defaultInterface.', CustomInterface)),
  nodeSelector: Opt(LabelSelector),
  excludeNodes: Opt(StringList('Nodes kept out of the network.')),
  exchangeLinkName: Opt(
    Bool('Swap the names of the node interface and the OVS bridge, so the node keeps its interface name.'),
  ),
  preserveVlanInterfaces: Opt(
    Bool('Detect VLAN subinterfaces of the default interface and keep them working.'),
  ),
  vlanInterfaces: Opt(StringList('VLAN subinterfaces to keep working, for example eth0.10.')),
  autoCreateVlanSubinterfaces: Opt(Bool('Create VLAN subinterfaces on the nodes automatically.')),
});
export type ProviderNetworkSpec = Static<typeof ProviderNetworkSpec>;

export const ProviderNetworkCondition = Obj('A condition of the provider network on one node.', {
  node: Opt(Str('Node the condition is about.')),
  ...KubeOvnCondition.properties,
});

export const ProviderNetworkStatus = Obj('Observed state of a provider network.', {
  ready: Opt(Bool('True when every selected node has the network set up.')),
  readyNodes: Opt(StringList('Nodes where the network is set up.')),
  notReadyNodes: Opt(StringList('Nodes where setting the network up failed.')),
  vlans: Opt(StringList('Vlans that use this provider network.')),
  conditions: Opt(List('Per-node conditions.', ProviderNetworkCondition)),
});
export type ProviderNetworkStatus = Static<typeof ProviderNetworkStatus>;

export interface ProviderNetwork {
  apiVersion: 'kubeovn.io/v1';
  kind: 'ProviderNetwork';
  metadata?: ObjectMeta;
  spec?: ProviderNetworkSpec;
  status?: ProviderNetworkStatus;
}
