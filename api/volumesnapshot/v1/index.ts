import type { KindDefinition } from '../../kind';
import { VolumeSnapshotClassKind, VolumeSnapshotContentKind, VolumeSnapshotKind } from './kinds';

export * from './well-known';
export * from './common';
export * from './class';
export * from './snapshot';
export * from './content';
export * from './rules';
export * from './kinds';

export const kinds: readonly KindDefinition[] = [
  VolumeSnapshotClassKind,
  VolumeSnapshotKind,
  VolumeSnapshotContentKind,
];
