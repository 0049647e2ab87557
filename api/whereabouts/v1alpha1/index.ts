import type { KindDefinition } from '../../kind';
import { NodeSlicePoolKind, OverlappingRangeIPReservationKind, WhereaboutsIPPoolKind } from './kinds';

export * from './types';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [
  WhereaboutsIPPoolKind,
  OverlappingRangeIPReservationKind,
  NodeSlicePoolKind,
];
