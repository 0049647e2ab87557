import type { KindDefinition } from '../../kind';
import { VirtualMachineCloneKind } from './kinds';

export * from './clone';
export * from './rules';
export * from './filters';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [VirtualMachineCloneKind];
