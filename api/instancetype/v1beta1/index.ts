import type { KindDefinition } from '../../kind';
import {
  VirtualMachineClusterInstancetypeKind,
  VirtualMachineClusterPreferenceKind,
  VirtualMachineInstancetypeKind,
  VirtualMachinePreferenceKind,
} from './kinds';

export * from './instancetype';
export * from './preference';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [
  VirtualMachineInstancetypeKind,
  VirtualMachineClusterInstancetypeKind,
  VirtualMachinePreferenceKind,
  VirtualMachineClusterPreferenceKind,
];
