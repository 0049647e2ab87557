/**
 * KubeVirt's condition shape (type, status, probe and transition times, reason,
 * message) and the condition types each kind reports.
 */
import { Obj, Opt, Str, Enum, OpenEnum, Timestamp, type Static, type TSchema } from '../../schema/dsl';
import { CONDITION_STATUSES } from '../../k8s/core';

export const VMI_CONDITION_TYPES = [
  'Provisioning',
  'Ready',
  'Synchronized',
  'Paused',
  'AgentConnected',
  'AccessCredentialsSynchronized',
  'AgentVersionNotSupported',
  'LiveMigratable',
  'HotVCPUChange',
  'HotMemoryChange',
  'VolumesChange',
  'DataVolumesReady',
  'StorageLiveMigratable',
  'DecentralizedLiveMigrationFailure',
  'MigrationRequired',
  'EvictionRequested',
  'SoftwareEmulation',
] as const;
export type VirtualMachineInstanceConditionType = (typeof VMI_CONDITION_TYPES)[number];

export const VM_CONDITION_TYPES = [
  'Failure',
  'Ready',
  'Paused',
  'RestartRequired',
  'ManualRecoveryRequired',
] as const;
export type VirtualMachineConditionType = (typeof VM_CONDITION_TYPES)[number];

export const VMIM_CONDITION_TYPES = [
  'migrationAbortRequested',
  'migrationRejectedByResourceQuota',
  'migrationBlockedByUtilityVolumes',
  'decentralizedMigrationBlocked',
  'migrationBlockedByBackup',
] as const;
export type VirtualMachineInstanceMigrationConditionType = (typeof VMIM_CONDITION_TYPES)[number];

export const VMIRS_CONDITION_TYPES = ['ReplicaFailure', 'ReplicaPaused'] as const;
export type VirtualMachineInstanceReplicaSetConditionType = (typeof VMIRS_CONDITION_TYPES)[number];

function condition<T extends TSchema>(description: string, type: T) {
  return Obj(description, {
    type,
    status: Enum('Whether the condition holds.', CONDITION_STATUSES),
    lastProbeTime: Opt(Timestamp('When the condition was last checked.')),
    lastTransitionTime: Opt(Timestamp('When the status last changed.')),
    reason: Opt(Str('Machine-readable reason for the last change, in CamelCase.')),
    message: Opt(Str('Human-readable details of the last change.')),
  });
}

export const VirtualMachineInstanceCondition = condition(
  'An observation about the VMI, such as Ready or LiveMigratable.',
  OpenEnum('Kind of observation.', VMI_CONDITION_TYPES),
);
export type VirtualMachineInstanceCondition = Static<typeof VirtualMachineInstanceCondition>;

export const VirtualMachineCondition = condition(
  'An observation about the VM, such as Ready or RestartRequired.',
  OpenEnum('Kind of observation.', VM_CONDITION_TYPES),
);
export type VirtualMachineCondition = Static<typeof VirtualMachineCondition>;

export const VirtualMachineInstanceMigrationCondition = condition(
  'An observation about the migration, such as an abort request.',
  OpenEnum('Kind of observation.', VMIM_CONDITION_TYPES),
);
export type VirtualMachineInstanceMigrationCondition = Static<
  typeof VirtualMachineInstanceMigrationCondition
>;

export const VirtualMachineInstanceReplicaSetCondition = condition(
  'An observation about the replica set, such as a replica that failed to be created.',
  OpenEnum('Kind of observation.', VMIRS_CONDITION_TYPES),
);
export type VirtualMachineInstanceReplicaSetCondition = Static<
  typeof VirtualMachineInstanceReplicaSetCondition
>;
