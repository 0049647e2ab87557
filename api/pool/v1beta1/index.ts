import type { KindDefinition } from '../../kind';
import { VirtualMachinePoolKind } from './kinds';

export * from './pool';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [VirtualMachinePoolKind];
