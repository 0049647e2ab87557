/** The VirtualMachineInstanceMigration kind (vmim, vmims): one live migration of a VMI. */
import { Obj, Opt, Str, Enum, StringMap, StringList, List, Timestamp, type Static } from '../../schema/dsl';
import { defineKind } from '../../kind';
import type { ObjectMeta } from '../../k8s/meta';
import { KUBEVIRT_GROUP, KUBEVIRT_VERSION } from './group';
import { VirtualMachineInstanceMigrationCondition } from './conditions';
import { VirtualMachineInstanceMigrationState } from './migration-state';

export const MIGRATION_PHASES = [
  'Pending',
  'Scheduling',
  'Scheduled',
  'PreparingTarget',
  'TargetReady',
  'Running',
  'Succeeded',
  'Failed',
  'WaitingForSync',
  'Synchronizing',
] as const;
export type VirtualMachineInstanceMigrationPhase = (typeof MIGRATION_PHASES)[number];

export const MIGRATION_PRIORITIES = ['system-critical', 'user-triggered', 'system-maintenance'] as const;
export type MigrationPriority = (typeof MIGRATION_PRIORITIES)[number];

export const VirtualMachineInstanceMigrationSpec = Obj('Which VMI to migrate, and where.', {
  vmiName: Opt(Str('Name of the VMI to migrate, in the namespace of the migration.')),
  addedNodeSelector: Opt(
    StringMap(
      'Extra node labels the target node must carry; they narrow, never override, the placement rules of the VMI.',
    ),
  ),
  sendTo: Opt(
    Obj('Makes this the source side of a decentralized (cross-cluster or cross-namespace) migration.', {
      migrationID: Str('Identifier shared by the two sides of the migration.'),
      connectURL: Str('URL of the synchronisation controller of the target side.'),
    }),
  ),
  receive: Opt(
    Obj('Makes this the target side of a decentralized migration.', {
      migrationID: Str('Identifier shared by the two sides of the migration.'),
    }),
  ),
  priority: Opt(Enum('Priority of the migration in the queue.', MIGRATION_PRIORITIES)),
});
export type VirtualMachineInstanceMigrationSpec = Static<typeof VirtualMachineInstanceMigrationSpec>;

function migrationPhase(description: string) {
  return Enum(description, MIGRATION_PHASES);
}

export const VirtualMachineInstanceMigrationStatus = Obj('Progress of the migration.', {
  phase: Opt(migrationPhase('Current phase of the migration.')),
  conditions: Opt(
    List('Current observations about the migration.', VirtualMachineInstanceMigrationCondition),
  ),
  phaseTransitionTimestamps: Opt(
    List(
      'When the migration entered each phase.',
      Obj('When the migration entered a phase.', {
        phase: Opt(migrationPhase('The phase entered.')),
        phaseTransitionTimestamp: Opt(Timestamp('When the phase was entered.')),
      }),
    ),
  ),
  migrationState: Opt(VirtualMachineInstanceMigrationState),
  synchronizationAddresses: Opt(
    StringList('Addresses (with port) of the synchronisation controller; the first is the preferred one.'),
  ),
});
export type VirtualMachineInstanceMigrationStatus = Static<typeof VirtualMachineInstanceMigrationStatus>;

export const VirtualMachineInstanceMigrationKind = defineKind({
  group: KUBEVIRT_GROUP,
  version: KUBEVIRT_VERSION,
  kind: 'VirtualMachineInstanceMigration',
  plural: 'virtualmachineinstancemigrations',
  singular: 'virtualmachineinstancemigration',
  shortNames: ['vmim', 'vmims'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A request to live-migrate a VMI to another node, and the record of how it went.',
  fields: { spec: VirtualMachineInstanceMigrationSpec, status: VirtualMachineInstanceMigrationStatus },
  requiredFields: ['spec'],
  printerColumns: [
    {
      name: 'Phase',
      type: 'string',
      jsonPath: '.status.phase',
      description: 'Current phase of the migration.',
    },
    {
      name: 'VMI',
      type: 'string',
      jsonPath: '.spec.vmiName',
      description: 'Name of the VMI being migrated.',
    },
  ],
  subresources: { status: true },
});

export type VirtualMachineInstanceMigration = {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachineInstanceMigration';
  metadata?: ObjectMeta;
  spec: VirtualMachineInstanceMigrationSpec;
  status?: VirtualMachineInstanceMigrationStatus;
};
