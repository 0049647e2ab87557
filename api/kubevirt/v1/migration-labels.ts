/**
 * The labels KubeVirt puts on a migration's target launcher pod; the controller sets them and
 * the node handler reads them (a target pod's launcher starts QEMU waiting for the migration).
 */

/** On the target pod: the uid of the VirtualMachineInstanceMigration it was made for. */
export const MIGRATION_JOB_UID_LABEL = 'kubevirt.io/migrationJobUID';

/** Whether a pod with these labels is the target pod of a migration. */
export function isMigrationTargetPod(labels: Readonly<Record<string, string>> | undefined): boolean {
  return !!labels?.[MIGRATION_JOB_UID_LABEL];
}

/** KubeVirt's `kubevirt.io/vmi-name` (MigrationSelectorLabel) on a migration: the VMI it moves. */
export const MIGRATION_SELECTOR_LABEL = 'kubevirt.io/vmi-name';

/** A migration that has ended: nothing more happens to it (KubeVirt's IsFinal). */
export function isFinalMigration(migration: { status?: { phase?: unknown } | null } | undefined): boolean {
  const phase = migration?.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
