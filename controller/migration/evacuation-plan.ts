/**
 * Evacuation: which VMI marked for evacuation gets a migration, and when (KubeVirt's evacuation
 * controller, pkg/virt-controller/watch/drain/evacuation). The pod-eviction admission marks a VMI
 * by setting `status.evacuationNodeName` to the node its launcher pod is evicted from (`kubectl
 * drain`, the descheduler); this decides, for one VMI, whether to create a
 * VirtualMachineInstanceMigration that moves it away. The migration controller does the rest,
 * and its hand-over to the target node clears the mark (./migration-plan.ts). Pure.
 *
 * A marked VMI gets a migration when, in this order:
 *   - it still runs on the node it is evacuated from (`status.nodeName`), has not ended and is
 *     not being deleted;
 *   - it is not migrating: no `migrationState` with a `startTimestamp` and no `endTimestamp`, no
 *     migration of it that is not Succeeded or Failed (the migration controller is at work), and
 *     at most one entry in `status.activePods` (an earlier target pod still about);
 *   - its effective eviction strategy (api/kubevirt/v1/eviction-strategy.ts) is `LiveMigrate`, or
 *     `LiveMigrateIfPossible` with `LiveMigratable` True. `None` leaves it (the admission lets
 *     such pods go and never marks them); `External` is for an external controller: virtkit
 *     never migrates it. A `LiveMigrate` VMI whose `LiveMigratable` is not True gets KubeVirt's
 *     Normal Event FailedCreate "VirtualMachineInstance is not migrateable" (once per change of
 *     the condition; looked at again every minute);
 *   - no migration this controller created for it is still on its way into the cache;
 *   - the backoff after failed evacuation migrations of the VMI has passed: when the newest one
 *     failed, 20 s, doubled for each failure in a row since the last success, counted from that
 *     failure's Failed phase transition (KubeVirt's handleMigrationBackoff); Warning Event
 *     MigrationBackoff "backoff migrating vmi NS/NAME" once per failed migration;
 *   - a slot is free (./limits.ts, the cluster's `parallelMigrationsPerCluster` and
 *     `parallelOutboundMigrationsPerNode`), looked at again every 5 s. Unfinished evacuation
 *     migrations count as holding a slot even while Pending, so draining a node of many VMIs
 *     does not heap up migrations that only wait (KubeVirt caps what one round creates).
 *
 * The migration: `generateName: kubevirt-evacuation-` in the VMI's namespace, annotation
 * `kubevirt.io/evacuationMigration: <node>`, label `kubevirt.io/vmi-name: <vmi>`, `spec.vmiName`.
 *
 * The descheduler's hint comes with every decision: while the VMI is marked, its live launcher
 * pod on the marked node carries `descheduler.alpha.kubernetes.io/eviction-in-progress: kubevirt`
 * (so the descheduler does not ask again meanwhile); an unmarked VMI's pods lose it.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import {
  effectiveEvictionStrategy,
  isEvictionStrategy,
  type StrategySource,
} from '../../api/kubevirt/v1/eviction-strategy';
import { LIVE_MIGRATABLE_CONDITION } from '../../api/kubevirt/v1/live-migratable';
import { EVICTION_STRATEGIES } from '../../api/kubevirt/v1/vmi';
import { findCondition, type EventSpec } from '../../kube';
import { isFinal, isMarkedForDeletion } from '../vm/run-strategy';
import type { LauncherPod } from '../vmi/phase';
import { isFinalMigration, migrationLimitReached } from './limits';
import { podLive, type MigrationInputs } from './migration-round';
import {
  EVACUATION_GENERATE_NAME,
  EVACUATION_MIGRATION_ANNOTATION,
  EVENT_FAILED_CREATE,
  EVENT_MIGRATION_BACKOFF,
  EVICTION_IN_PROGRESS_ANNOTATION,
  EVICTION_IN_PROGRESS_VALUE,
  MIGRATION_SELECTOR_LABEL,
  Msg,
} from './names';

/** How soon a VMI held back by the migration limits looks again (KubeVirt: 5 s). */
export const EVACUATION_LIMIT_RETRY_MS = 5_000;
/** How soon a VMI that is not migratable looks again (KubeVirt: 1 minute). */
export const NOT_MIGRATABLE_RETRY_MS = 60_000;
/** The wait after the first failed evacuation migration; each further failure doubles it. */
export const EVACUATION_BACKOFF_BASE_MS = 20_000;
/**
 * Doublings stop here (about 243 days), keeping the end of the wait a valid date; a wait that
 * long is looked at again every MAX_REQUEUE_MS rather than with one timer.
 */
const MAX_DOUBLINGS = 20;
const MAX_REQUEUE_MS = 60 * 60_000;

/**
 * What the migration controller's rounds read too (./migration-round.ts): the VMI's launcher
 * pods, every migration, the VMIs by name, which migrations have a target pod, the cluster's
 * migration settings (the limits), and the time.
 */
type SharedInputs = Pick<
  MigrationInputs,
  'pods' | 'migrations' | 'vmiNamed' | 'hasTargetPod' | 'cluster' | 'now'
>;

export interface EvacuationInputs extends SharedInputs {
  readonly vmi: VirtualMachineInstance;
  /** The KubeVirt object's `spec.configuration.evictionStrategy`, when it sets one. */
  readonly clusterStrategy?: StrategySource;
  /** A migration was created for this VMI and the cache has not shown it yet. */
  readonly creationExpected?: boolean;
}

/**
 * An Event on the VMI, recorded only when it (its reason and `once`) differs from the last one
 * recorded on the VMI; a round without one forgets that, so the state coming back says it anew.
 */
export interface OnceEvent {
  readonly event: EventSpec;
  readonly once: string;
}

/** Set (a value) or remove (null) the eviction-in-progress annotation of one pod. */
export interface PodAnnotationChange {
  readonly pod: string;
  readonly uid: string;
  readonly value: string | null;
}

export interface EvacuationDecision {
  /** The migration to create (the API server completes its name). */
  readonly createMigration?: VirtualMachineInstanceMigration;
  readonly event?: OnceEvent;
  readonly podAnnotations: readonly PodAnnotationChange[];
  /** Why nothing is created now (for tests and logs). */
  readonly waiting?: string;
  readonly requeueAfterMs?: number;
}

/** The end of a backoff: how many failures in a row, the newest of them, and when it ends. */
export interface EvacuationBackoff {
  readonly failures: number;
  readonly lastFailed: VirtualMachineInstanceMigration;
  readonly until: Date;
}

const annotationsOf = (o: { metadata?: object }): Readonly<Record<string, string>> =>
  (o.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {};

/** A migration the evacuation controller created (KubeVirt's annotation says so). */
export function isEvacuationMigration(m: Pick<VirtualMachineInstanceMigration, 'metadata'>): boolean {
  return EVACUATION_MIGRATION_ANNOTATION in annotationsOf(m);
}

/** KubeVirt's IsMigrating: the source handler started a migration that has not ended. */
function isMigrating(vmi: VirtualMachineInstance): boolean {
  const s = vmi.status?.migrationState;
  return !!s?.startTimestamp && !s.endTimestamp;
}

/** The migrations of this VMI (same namespace, spec.vmiName). */
function migrationsOf(
  vmi: VirtualMachineInstance,
  migrations: readonly VirtualMachineInstanceMigration[],
): VirtualMachineInstanceMigration[] {
  const ns = vmi.metadata?.namespace;
  const name = vmi.metadata?.name;
  return migrations.filter((m) => m.metadata?.namespace === ns && m.spec?.vmiName === name);
}

/** The migration this controller creates for `vmi`, leaving `node`. */
export function evacuationMigration(
  vmi: VirtualMachineInstance,
  node: string,
): VirtualMachineInstanceMigration {
  const name = vmi.metadata?.name ?? '';
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      generateName: EVACUATION_GENERATE_NAME,
      namespace: vmi.metadata?.namespace,
      annotations: { [EVACUATION_MIGRATION_ANNOTATION]: node },
      labels: { [MIGRATION_SELECTOR_LABEL]: name },
    },
    spec: { vmiName: name },
  };
}

/** When a migration entered Failed (its creation, should no transition say so). */
function failedAt(m: VirtualMachineInstanceMigration): number {
  const entered = (m.status?.phaseTransitionTimestamps ?? []).filter((t) => t.phase === 'Failed').pop();
  const t = Date.parse(entered?.phaseTransitionTimestamp ?? m.metadata?.creationTimestamp ?? '');
  return Number.isFinite(t) ? t : 0;
}

/**
 * The backoff after failed evacuation migrations of `vmi`, if the newest of them failed
 * (KubeVirt's handleMigrationBackoff): 20 s for one failure, doubled for each further failure
 * in a row since the last success, from the newest failure's Failed transition. Migrations being
 * deleted do not count (deleting failed ones resets the backoff, as in KubeVirt).
 */
export function evacuationBackoff(
  vmi: VirtualMachineInstance,
  migrations: readonly VirtualMachineInstanceMigration[],
): EvacuationBackoff | undefined {
  const key = (m: VirtualMachineInstanceMigration): string =>
    `${m.metadata?.creationTimestamp ?? ''}/${m.metadata?.name ?? ''}`;
  const newestFirst = migrationsOf(vmi, migrations)
    .filter((m) => isEvacuationMigration(m) && !isMarkedForDeletion(m))
    .sort((a, b) => key(b).localeCompare(key(a)));
  const lastFailed = newestFirst[0];
  if (lastFailed?.status?.phase !== 'Failed') return undefined;
  let failures = 0;
  for (const m of newestFirst) {
    if (m.status?.phase === 'Succeeded') break;
    if (m.status?.phase === 'Failed') failures++;
  }
  const wait = EVACUATION_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, MAX_DOUBLINGS);
  return { failures, lastFailed, until: new Date(failedAt(lastFailed) + wait) };
}

/**
 * The descheduler's hint: the live launcher pod on the node the VMI is evacuated from carries
 * the eviction-in-progress annotation while the mark stands (never a migration's target pod on
 * another node); pods of an unmarked VMI lose the value virtkit wrote (another value is left).
 */
export function evictionInProgressHint(
  vmi: VirtualMachineInstance,
  pods: readonly LauncherPod[],
): PodAnnotationChange[] {
  const node = vmi.status?.nodeName;
  const marked =
    !!node && vmi.status?.evacuationNodeName === node && !isFinal(vmi) && !isMarkedForDeletion(vmi);
  const changes: PodAnnotationChange[] = [];
  for (const p of pods) {
    if (!podLive(p)) continue;
    const has = annotationsOf(p)[EVICTION_IN_PROGRESS_ANNOTATION];
    const wanted = marked && p.spec?.nodeName === node;
    const ref = { pod: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '' };
    if (wanted && has === undefined) changes.push({ ...ref, value: EVICTION_IN_PROGRESS_VALUE });
    else if (!wanted && has === EVICTION_IN_PROGRESS_VALUE) changes.push({ ...ref, value: null });
  }
  return changes;
}

/** Whether, and why not, this VMI's strategy lets virtkit migrate it off the node. */
function strategyVerdict(
  i: EvacuationInputs,
  ref: string,
  migratable: boolean,
): { wait?: string; notMigratable?: boolean } {
  const strategy = effectiveEvictionStrategy(i.vmi, i.clusterStrategy);
  if (!strategy) return { wait: `VMI ${ref} has no eviction strategy: an eviction does not migrate it` };
  const value = strategy.value;
  if (!isEvictionStrategy(value))
    return {
      wait: `${strategy.field} is ${JSON.stringify(value)}, not one of ${EVICTION_STRATEGIES.join(', ')}; fix the field to have VMI ${ref} evacuated`,
    };
  switch (value) {
    case 'None':
      return { wait: `VMI ${ref} has evictionStrategy None (${strategy.field})` };
    case 'External':
      return {
        wait: `VMI ${ref} has evictionStrategy External (${strategy.field}): an external controller evacuates it, not virtkit`,
      };
    case 'LiveMigrateIfPossible':
      return migratable
        ? {}
        : { wait: `VMI ${ref} has evictionStrategy LiveMigrateIfPossible and is not live-migratable` };
    case 'LiveMigrate':
      return migratable ? {} : { notMigratable: true };
  }
}

export function decideEvacuation(i: EvacuationInputs): EvacuationDecision {
  const vmi = i.vmi;
  const podAnnotations = evictionInProgressHint(vmi, i.pods);
  const decision = (extra: Omit<EvacuationDecision, 'podAnnotations'>): EvacuationDecision => ({
    podAnnotations,
    ...extra,
  });
  const wait = (waiting: string, requeueAfterMs?: number): EvacuationDecision =>
    decision({ waiting, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) });

  const node = vmi.status?.evacuationNodeName;
  if (!node) return decision({});
  const ref = `${vmi.metadata?.namespace ?? ''}/${vmi.metadata?.name ?? ''}`;
  if (vmi.status?.nodeName !== node)
    return wait(
      `VMI ${ref} runs on node ${vmi.status?.nodeName || '(none)'}, not on node ${node} it is evacuated from`,
    );
  if (isFinal(vmi) || isMarkedForDeletion(vmi)) return wait(`VMI ${ref} is ending: nothing to move`);
  if (isMigrating(vmi)) return wait(`VMI ${ref} is migrating`);
  const unfinished = migrationsOf(vmi, i.migrations).find((m) => !isFinalMigration(m));
  if (unfinished)
    return wait(
      `migration ${unfinished.metadata?.name ?? ''} of VMI ${ref} is not over (${unfinished.status?.phase ?? 'new'})`,
    );
  const active = Object.keys(vmi.status?.activePods ?? {}).length;
  if (active > 1)
    return wait(`VMI ${ref} has ${active} active pods; an earlier migration's pod is still about`);

  const condition = findCondition(vmi.status?.conditions, LIVE_MIGRATABLE_CONDITION);
  const verdict = strategyVerdict(i, ref, condition?.status === 'True');
  if (verdict.wait) return wait(verdict.wait);
  if (verdict.notMigratable)
    return decision({
      waiting: `VMI ${ref} has evictionStrategy LiveMigrate but LiveMigratable is ${condition?.status ?? 'not reported'}`,
      requeueAfterMs: NOT_MIGRATABLE_RETRY_MS,
      event: {
        event: { type: 'Normal', reason: EVENT_FAILED_CREATE, message: Msg.notMigratable },
        once: [vmi.metadata?.uid, node, condition?.status, condition?.reason, condition?.message].join('\n'),
      },
    });

  if (i.creationExpected) return wait(`the migration created for VMI ${ref} to show in the cache`);
  const backoff = evacuationBackoff(vmi, i.migrations);
  const left = backoff ? backoff.until.getTime() - i.now.getTime() : 0;
  if (backoff && left > 0)
    return decision({
      waiting: `${backoff.failures} evacuation migration(s) of VMI ${ref} failed in a row; the next one waits until ${backoff.until.toISOString()}`,
      requeueAfterMs: Math.min(left, MAX_REQUEUE_MS),
      event: {
        event: {
          type: 'Warning',
          reason: EVENT_MIGRATION_BACKOFF,
          message: `backoff migrating vmi ${ref}`,
        },
        once: backoff.lastFailed.metadata?.uid ?? backoff.lastFailed.metadata?.name ?? '',
      },
    });

  const migration = evacuationMigration(vmi, node);
  const full = migrationLimitReached({
    migration,
    sourceNode: node,
    migrations: i.migrations,
    vmiNamed: i.vmiNamed,
    // An unfinished evacuation migration will take a slot: it counts already.
    hasTargetPod: (m) => i.hasTargetPod(m) || (isEvacuationMigration(m) && !isFinalMigration(m)),
    configuration: i.cluster,
  });
  if (full) return wait(full, EVACUATION_LIMIT_RETRY_MS);
  return decision({ createMigration: migration });
}
