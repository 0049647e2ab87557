import type { KindDefinition } from '../../kind';
import {
  VirtualMachineRestoreKind,
  VirtualMachineSnapshotContentKind,
  VirtualMachineSnapshotKind,
} from './kinds';

export * from './common';
export * from './snapshot';
export * from './content';
export * from './restore';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [
  VirtualMachineSnapshotKind,
  VirtualMachineSnapshotContentKind,
  VirtualMachineRestoreKind,
];
