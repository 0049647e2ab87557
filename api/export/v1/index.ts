import type { KindDefinition } from '../../kind';
import { VirtualMachineExportKind } from './kinds';

export * from './export';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [VirtualMachineExportKind];
