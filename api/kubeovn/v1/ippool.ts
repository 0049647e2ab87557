/** kubeovn.io/v1 IPPool: a slice of a subnet reserved for some namespaces (cluster-scoped). */
import { Obj, Opt, Str, Bool, List, StringList, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { AddressCount, KubeOvnCondition } from './common';

export const IPPoolSpec = Obj('Desired state of an IP pool.', {
  subnet: Str('Subnet the pool is carved from. Immutable.'),
  namespaces: Opt(StringList('Namespaces whose pods take addresses from the pool.')),
  ips: StringList('Addresses, CIDRs or first..last ranges in the pool, all inside the subnet.'),
  enableAddressSet: Opt(Bool('Also publish the pool as an OVN address set, for policy routes and ACLs.')),
});
export type IPPoolSpec = Static<typeof IPPoolSpec>;

export const IPPoolStatus = Obj('Observed state of an IP pool.', {
  v4AvailableIPs: Opt(AddressCount('IPv4 addresses still free.')),
  v4AvailableIPRange: Opt(Str('Free IPv4 addresses as ranges.')),
  v4UsingIPs: Opt(AddressCount('IPv4 addresses in use.')),
  v4UsingIPRange: Opt(Str('IPv4 addresses in use as ranges.')),
  v6AvailableIPs: Opt(AddressCount('IPv6 addresses still free.')),
  v6AvailableIPRange: Opt(Str('Free IPv6 addresses as ranges.')),
  v6UsingIPs: Opt(AddressCount('IPv6 addresses in use.')),
  v6UsingIPRange: Opt(Str('IPv6 addresses in use as ranges.')),
  conditions: Opt(List('Ready and Error conditions.', KubeOvnCondition)),
});
export type IPPoolStatus = Static<typeof IPPoolStatus>;

export interface IPPool {
  apiVersion: 'kubeovn.io/v1';
  kind: 'IPPool';
  metadata?: ObjectMeta;
  spec?: IPPoolSpec;
  status?: IPPoolStatus;
}
