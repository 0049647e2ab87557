import type { KindDefinition } from '../../kind';

export * from './datavolume';

export const kinds: readonly KindDefinition[] = [];
