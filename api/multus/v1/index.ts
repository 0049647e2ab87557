import type { KindDefinition } from '../../kind';
import { NetworkAttachmentDefinitionKind } from './kinds';

export * from './nad';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [NetworkAttachmentDefinitionKind];
