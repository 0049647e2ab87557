/** kubeovn.io/v1 Vlan: a VLAN tag on a provider network, used by underlay subnets (cluster-scoped). */
import { Obj, Opt, Str, Bool, List, StringList, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { Integer } from '../../kubevirt/v1/domain-common';
import { KubeOvnCondition } from './common';

export const VlanSpec = Obj('Desired state of a VLAN.', {
  id: Opt(Integer('VLAN tag, 0 to 4095; 0 means untagged. Immutable.', { minimum: 0, maximum: 4095 })),
  provider: Str('ProviderNetwork that carries the VLAN. Immutable.'),
  vlanId: Opt(Integer('Deprecated, use id.')),
  providerInterfaceName: Opt(Str('Deprecated, use provider.')),
});
export type VlanSpec = Static<typeof VlanSpec>;

export const VlanStatus = Obj('Observed state of a VLAN.', {
  subnets: Opt(StringList('Subnets that use the VLAN.')),
  conflict: Opt(Bool('True when another Vlan on the same provider uses the same tag.')),
  conditions: Opt(List('Ready and Error conditions.', KubeOvnCondition)),
});
export type VlanStatus = Static<typeof VlanStatus>;

export interface Vlan {
  apiVersion: 'kubeovn.io/v1';
  kind: 'Vlan';
  metadata?: ObjectMeta;
  spec?: VlanSpec;
  status?: VlanStatus;
}
