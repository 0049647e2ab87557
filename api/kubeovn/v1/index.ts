import type { KindDefinition } from '../../kind';
import { IPKind, IPPoolKind, ProviderNetworkKind, SubnetKind, VlanKind, VpcKind } from './kinds';

export * from './common';
export * from './ip-address';
export * from './subnet';
export * from './vlan';
export * from './provider-network';
export * from './vpc';
export * from './ip';
export * from './ippool';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [
  SubnetKind,
  VlanKind,
  ProviderNetworkKind,
  VpcKind,
  IPKind,
  IPPoolKind,
];
