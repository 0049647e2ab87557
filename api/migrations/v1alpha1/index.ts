import type { KindDefinition } from '../../kind';
import { MigrationPolicyKind } from './kinds';

export * from './policy';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [MigrationPolicyKind];
