/**
 * KubeVirt's limits on migrations running at once: `parallelMigrationsPerCluster` in the
 * cluster and `parallelOutboundMigrationsPerNode` leaving one node. A migration holds a slot from
 * the moment its target pod exists until it is final; one that would exceed a limit waits in
 * Pending (KubeVirt's findRunningMigrations and outboundMigrationsOnNode). Pure.
 */
import type {
  VirtualMachineInstance,
  VirtualMachineInstanceMigration,
  VMIMConfigurationOptions,
} from '../../api/kubevirt/v1';
import { MIGRATION_DEFAULTS } from '../../api/migrations/v1alpha1/effective';
import { isFinalMigration } from '../../api/kubevirt/v1/migration-labels';

/** The phases of a migration whose target pod was made and that has not ended. */
const ACTIVE_PHASES: ReadonlySet<string> = new Set([
  'Scheduling',
  'Scheduled',
  'PreparingTarget',
  'TargetReady',
  'Running',
]);

export { isFinalMigration };

export interface LimitInputs {
  readonly migration: VirtualMachineInstanceMigration;
  /** The node the VMI runs on: its outbound migrations count against it. */
  readonly sourceNode: string;
  readonly migrations: readonly VirtualMachineInstanceMigration[];
  readonly vmiNamed: (namespace: string, name: string) => VirtualMachineInstance | undefined;
  readonly hasTargetPod: (m: VirtualMachineInstanceMigration) => boolean;
  readonly configuration: VMIMConfigurationOptions;
}

/** Why the migration must wait for a slot, or undefined when it may make its target pod now. */
export function migrationLimitReached(i: LimitInputs): string | undefined {
  const uid = i.migration.metadata?.uid;
  const running = i.migrations.filter(
    (o) =>
      o.metadata?.uid !== uid &&
      !isFinalMigration(o) &&
      (ACTIVE_PHASES.has(o.status?.phase ?? '') || i.hasTargetPod(o)),
  );
  const perCluster =
    i.configuration.parallelMigrationsPerCluster ?? MIGRATION_DEFAULTS.parallelMigrationsPerCluster ?? 5;
  if (running.length >= perCluster)
    return `${running.length} migrations are running in the cluster, its limit (parallelMigrationsPerCluster) is ${perCluster}`;
  const outbound = running.filter((o) => {
    const vmi = i.vmiNamed(o.metadata?.namespace ?? '', o.spec?.vmiName ?? '');
    return (
      vmi !== undefined &&
      (vmi.status?.nodeName === i.sourceNode || vmi.status?.migrationState?.sourceNode === i.sourceNode)
    );
  });
  const perNode =
    i.configuration.parallelOutboundMigrationsPerNode ??
    MIGRATION_DEFAULTS.parallelOutboundMigrationsPerNode ??
    2;
  if (outbound.length >= perNode)
    return `${outbound.length} migrations are leaving node ${i.sourceNode}, its limit (parallelOutboundMigrationsPerNode) is ${perNode}`;
  return undefined;
}
