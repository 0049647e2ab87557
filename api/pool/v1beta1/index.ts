import type { KindDefinition } from '../../kind';

export const kinds: readonly KindDefinition[] = [];
