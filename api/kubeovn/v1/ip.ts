/** kubeovn.io/v1 IP: an address Kube-OVN allocated to a pod or VM interface (cluster-scoped). */
import { Obj, Opt, Str, StringList, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';

export const IPSpec = Obj('The allocation.', {
  podName: Opt(Str('Pod (or VM) the address belongs to.')),
  namespace: Opt(Str('Namespace of the pod.')),
  subnet: Opt(Str('Subnet the address comes from. Immutable.')),
  attachSubnets: Opt(StringList('Subnets of attachment networks.')),
  nodeName: Opt(Str('Node the pod runs on.')),
  ipAddress: Opt(Str('Deprecated: the address(es), comma-separated; use v4IpAddress and v6IpAddress.')),
  v4IpAddress: Opt(Str('IPv4 address.')),
  v6IpAddress: Opt(Str('IPv6 address.')),
  attachIps: Opt(StringList('Addresses on attachment networks.')),
  macAddress: Opt(Str('MAC address of the interface.')),
  attachMacs: Opt(StringList('MAC addresses on attachment networks.')),
  containerID: Opt(Str('Container (sandbox) the address was allocated for.')),
  podType: Opt(Str('Kind of workload, for example VirtualMachine for a KubeVirt VM.')),
});
export type IPSpec = Static<typeof IPSpec>;

export interface IP {
  apiVersion: 'kubeovn.io/v1';
  kind: 'IP';
  metadata?: ObjectMeta;
  spec?: IPSpec;
}
