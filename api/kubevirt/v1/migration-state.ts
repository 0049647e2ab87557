/** The live migration state a VMI (and its migration object) reports in status. */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Int32,
  Enum,
  Quantity,
  Timestamp,
  MapOf,
  StringMap,
  List,
  type Static,
} from '../../schema/dsl';
import { VMIMConfigurationOptions } from './migration-options';

const commonStateFields = {
  node: Opt(Str('Node of this side of the migration.')),
  pod: Opt(Str('Launcher pod of this side of the migration.')),
  migrationUID: Opt(Str('UID of the migration object of this side.')),
  domainName: Opt(Str('Name of the hypervisor domain on this side.')),
  domainNamespace: Opt(Str('Namespace part of the domain name on this side.')),
  syncAddress: Opt(Str('host:port of the synchronisation endpoint of this side (decentralized migrations).')),
  persistentStatePVCName: Opt(Str('Claim holding persistent state (TPM, EFI variables) on this side.')),
  selinuxContext: Opt(Str('SELinux context of the launcher pod of this side.')),
  virtualMachineInstanceUID: Opt(Str('UID of the VMI on this side.')),
};

const portMap = (description: string) => MapOf(description, Int32('A port number.'));

export const VirtualMachineInstanceMigrationSourceState = Obj('Migration state kept by the source node.', {
  ...commonStateFields,
  nodeSelectors: Opt(StringMap('Node selectors the target needs to start its receiving pod.')),
});
export type VirtualMachineInstanceMigrationSourceState = Static<
  typeof VirtualMachineInstanceMigrationSourceState
>;

export const VirtualMachineInstanceMigrationTargetState = Obj('Migration state kept by the target node.', {
  ...commonStateFields,
  domainReadyTimestamp: Opt(Timestamp('When the target saw the domain become active.')),
  domainDetected: Opt(Bool('Whether the target saw the domain start.')),
  nodeAddress: Opt(Str('Address of the target node for migration traffic.')),
  directMigrationNodePorts: Opt(portMap('Ports opened on the target node for migration traffic.')),
  attachmentPodUID: Opt(Str('UID of the hotplug attachment pod on the target.')),
  cpuSet: Opt(List('Dedicated host CPUs assigned on the target.', Int32('A host CPU number.'))),
  nodeTopology: Opt(Str('NUMA topology of the target node, for dedicated CPUs.')),
});
export type VirtualMachineInstanceMigrationTargetState = Static<
  typeof VirtualMachineInstanceMigrationTargetState
>;

export const MIGRATION_ABORT_STATUSES = ['Succeeded', 'Failed', 'Aborting'] as const;
export const MIGRATION_MODES = ['PreCopy', 'PostCopy', 'Paused'] as const;
export const MIGRATION_NETWORK_TYPES = ['Pod', 'Migration'] as const;

export const VirtualMachineInstanceMigrationState = Obj(
  'Progress and outcome of the current or last live migration.',
  {
    startTimestamp: Opt(Timestamp('When the migration started.')),
    endTimestamp: Opt(Timestamp('When the migration ended.')),
    targetNodeDomainReadyTimestamp: Opt(Timestamp('When the target saw the domain become active.')),
    targetNodeDomainDetected: Opt(Bool('Whether the target saw the domain start.')),
    targetNodeAddress: Opt(Str('Address of the target node for migration traffic.')),
    targetDirectMigrationNodePorts: Opt(portMap('Ports opened on the target node for migration traffic.')),
    targetNode: Opt(Str('Node the VMI moves to.')),
    targetPod: Opt(Str('Launcher pod the VMI moves to.')),
    targetAttachmentPodUID: Opt(Str('UID of the hotplug attachment pod on the target.')),
    sourceNode: Opt(Str('Node the VMI moves from.')),
    sourcePod: Opt(Str('Launcher pod the VMI moves from.')),
    completed: Opt(Bool('Whether the migration finished.')),
    failed: Opt(Bool('Whether the migration failed.')),
    abortRequested: Opt(Bool('Whether an abort was requested.')),
    abortStatus: Opt(Enum('Outcome of a requested abort.', MIGRATION_ABORT_STATUSES)),
    failureReason: Opt(Str('Why the migration failed.')),
    migrationUid: Opt(Str('UID of the migration object.')),
    mode: Opt(Enum('Current migration mode.', MIGRATION_MODES)),
    migrationPolicyName: Opt(Str('MigrationPolicy that applied; empty when none matched.')),
    migrationConfiguration: Opt(VMIMConfigurationOptions),
    targetCPUSet: Opt(List('Dedicated host CPUs assigned on the target.', Int32('A host CPU number.'))),
    targetNodeTopology: Opt(Str('NUMA topology of the target node, for dedicated CPUs.')),
    sourcePersistentStatePVCName: Opt(Str('Claim holding persistent state on the source.')),
    targetPersistentStatePVCName: Opt(Str('Claim holding persistent state on the target.')),
    sourceState: Opt(VirtualMachineInstanceMigrationSourceState),
    targetState: Opt(VirtualMachineInstanceMigrationTargetState),
    migrationNetworkType: Opt(Enum('Network carrying the migration traffic.', MIGRATION_NETWORK_TYPES)),
    targetMemoryOverhead: Opt(Quantity('Memory overhead of the target launcher pod.')),
  },
);
export type VirtualMachineInstanceMigrationState = Static<typeof VirtualMachineInstanceMigrationState>;
