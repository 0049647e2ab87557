import type { KindDefinition } from '../../kind';
import { VirtualMachineKind } from './vm-kind';
import { VirtualMachineInstanceKind } from './vmi-kind';
import { VirtualMachineInstanceMigrationKind } from './migration';
import { VirtualMachineInstanceReplicaSetKind } from './replicaset';
import { VirtualMachineInstancePresetKind } from './preset';
import { KubeVirtKind } from './kubevirt-config';

export * from './domain';
export * from './group';
export * from './conditions';
export * from './volumes';
export * from './volume-status';
export * from './networks';
export * from './probes';
export * from './access-credentials';
export * from './changed-block-tracking';
export * from './migration-options';
export * from './migration-state';
export * from './live-migratable';
export * from './vmi';
export * from './vmi-status';
export * from './vmi-subresources';
export * from './vmi-kind';
export * from './vm';
export * from './defaults';
export * from './vm-status';
export * from './vm-kind';
export * from './migration';
export * from './replicaset';
export * from './preset';
export * from './kubevirt-config';

export const kinds: readonly KindDefinition[] = [
  VirtualMachineKind,
  VirtualMachineInstanceKind,
  VirtualMachineInstanceMigrationKind,
  VirtualMachineInstanceReplicaSetKind,
  VirtualMachineInstancePresetKind,
  KubeVirtKind,
];
