import type { KindDefinition } from '../../kind';

export * from './domain';
export * from './vmi';
export * from './vm';

export const kinds: readonly KindDefinition[] = [];
