import type { KindDefinition } from '../../kind';
import { DataSourceKind, DataVolumeKind } from './kinds';

export * from './k8s-storage';
export * from './datavolume';
export * from './datasource';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [DataVolumeKind, DataSourceKind];
