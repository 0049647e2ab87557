/**
 * Whether a VMI may be migrated now, checked before a migration makes its target pod (what
 * KubeVirt's admission and its controller's canMigrateVMI refuse): the VMI runs, is
 * live-migratable, and no other migration of it is under way. Pure.
 */
import type { VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { findCondition } from '../../kube';
import { isFinalMigration } from './limits';
import type { MigrationInputs } from './migration-round';
import { describeMigration, FailureReason, Msg } from './names';

export interface Refusal {
  readonly reason: FailureReason;
  readonly message: string;
  readonly event?: string;
}

/** Why this VMI cannot be migrated now (KubeVirt's admission and canMigrateVMI), if it cannot. */
export function refusal(i: MigrationInputs, vmiRef: string): Refusal | undefined {
  const vmi = i.vmi;
  if (vmi?.status?.phase !== 'Running')
    return {
      reason: FailureReason.vmiNotRunning,
      message: `VMI ${vmiRef} is ${vmi?.status?.phase ?? 'not started yet'}, not Running; only a running VMI can be live-migrated. Create the migration once it runs`,
    };
  const migratable = findCondition(vmi.status.conditions, 'LiveMigratable');
  if (migratable?.status === 'False')
    return {
      reason: FailureReason.vmiNotMigratable,
      message: `VMI ${vmiRef} is not live-migratable: Cannot migrate VMI, Reason: ${migratable.reason ?? ''}, Message: ${migratable.message ?? ''}`,
    };
  const other = migrationInFlight(i);
  if (other)
    return {
      reason: FailureReason.migrationInProgress,
      message: `VMI ${vmiRef} is being migrated already by ${describeMigration(other)} (uid ${other.metadata?.uid ?? ''}); wait for it to end, or delete it to cancel it, and create this migration again`,
      event: Msg.notEligible,
    };
  return undefined;
}

/**
 * Another migration of the same VMI that is not over: the one whose hand-off the VMI carries, or
 * one created earlier (the oldest goes first, as KubeVirt's admission refuses the later ones).
 */
export function migrationInFlight(i: MigrationInputs): VirtualMachineInstanceMigration | undefined {
  const m = i.migration;
  const uid = m.metadata?.uid;
  const ns = m.metadata?.namespace;
  const same = i.migrations.filter(
    (o) =>
      o.metadata?.uid !== uid &&
      o.metadata?.namespace === ns &&
      o.spec?.vmiName === m.spec?.vmiName &&
      !isFinalMigration(o),
  );
  const handedTo = i.vmi?.status?.migrationState;
  if (handedTo?.migrationUid && !handedTo.completed && !handedTo.failed) {
    const owner = same.find((o) => o.metadata?.uid === handedTo.migrationUid);
    if (owner) return owner;
  }
  const key = (o: VirtualMachineInstanceMigration): string =>
    `${o.metadata?.creationTimestamp ?? ''}/${o.metadata?.name ?? ''}`;
  return same.find((o) => key(o) < key(m));
}
