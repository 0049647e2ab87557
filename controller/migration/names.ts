/**
 * The names KubeVirt's migration and evacuation controllers use (pkg/virt-controller/watch/migration,
 * pkg/virt-controller/watch/drain/evacuation, staging/src/kubevirt.io/api/core/v1), so a migration on virtkit leaves the same marks as on
 * any KubeVirt cluster: the finalizer, labels and annotations, Event reasons and messages, and
 * the condition types. Pure.
 */
import type { VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';

/** Held on a migration until it is final (KubeVirt's webhook adds it; virtkit's controller does). */
export const MIGRATION_FINALIZER = 'kubevirt.io/migrationJobFinalize';

/** On a migration: the VMI it migrates (`kubectl get vmim -l kubevirt.io/vmi-name=web`). */
export { MIGRATION_SELECTOR_LABEL } from '../../api/kubevirt/v1/migration-labels';

/** On the VMI while it migrates: the node of the target pod (the target handler's cue in KubeVirt). */
export const MIGRATION_TARGET_NODE_LABEL = 'kubevirt.io/migrationTargetNodeName';

/** On a migration: seconds a target pod may stay unschedulable (KubeVirt: 5 minutes). */
export const UNSCHEDULABLE_TIMEOUT_ANNOTATION = 'kubevirt.io/migrationUnschedulablePodTimeoutSeconds';
/** On a migration: seconds a target pod may stay Pending for any reason (KubeVirt: 15 minutes). */
export const PENDING_TIMEOUT_ANNOTATION = 'kubevirt.io/migrationPendingPodTimeoutSeconds';
export const DEFAULT_UNSCHEDULABLE_TIMEOUT_SECONDS = 5 * 60;
export const DEFAULT_PENDING_TIMEOUT_SECONDS = 15 * 60;

/**
 * On a migration the evacuation controller created: the node the VMI is being evacuated from
 * (KubeVirt's EvacuationMigrationAnnotation). Its migrations are named `kubevirt-evacuation-*`.
 */
export const EVACUATION_MIGRATION_ANNOTATION = 'kubevirt.io/evacuationMigration';
export const EVACUATION_GENERATE_NAME = 'kubevirt-evacuation-';

/**
 * The descheduler's annotation on a pod whose eviction another component carries out, and the
 * value KubeVirt writes: on the VMI's launcher pod while the VMI is marked for evacuation.
 */
export const EVICTION_IN_PROGRESS_ANNOTATION = 'descheduler.alpha.kubernetes.io/eviction-in-progress';
export const EVICTION_IN_PROGRESS_VALUE = 'kubevirt';

/** KubeVirt's condition of a migration whose deletion asked for an abort. */
export const ABORT_REQUESTED_CONDITION = 'migrationAbortRequested';

/**
 * virtkit's condition of a failed migration (KubeVirt says why only in Events and logs): True,
 * with one of FailureReason and a message naming the VMI, what happened and what to do.
 */
export const FAILURE_CONDITION = 'Failure';

export const FailureReason = {
  invalidSpec: 'InvalidSpec',
  notSupported: 'NotSupported',
  vmiNotFound: 'VMINotFound',
  vmiNotRunning: 'VMINotRunning',
  vmiNotMigratable: 'VMINotLiveMigratable',
  migrationInProgress: 'MigrationInProgress',
  aborted: 'MigrationAborted',
  targetPodGone: 'TargetPodVanished',
  targetPodDown: 'TargetPodDown',
  targetPodUnschedulable: 'TargetPodUnschedulable',
  targetPodPending: 'TargetPodPendingTimeout',
  migrationFailed: 'MigrationFailed',
  stateLost: 'MigrationStateLost',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/** KubeVirt's Event reasons (pkg/controller). */
export const EVENT_SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const EVENT_FAILED_CREATE = 'FailedCreate';
export const EVENT_SUCCESSFUL_DELETE = 'SuccessfulDelete';
export const EVENT_SUCCESSFUL_HAND_OVER = 'SuccessfulHandOver';
export const EVENT_SUCCESSFUL_MIGRATION = 'SuccessfulMigration';
export const EVENT_FAILED_MIGRATION = 'FailedMigration';
export const EVENT_SUCCESSFUL_ABORT = 'SuccessfulAbortMigration';
/** KubeVirt's, on the VMI: an evacuation waits after failed migrations before it tries again. */
export const EVENT_MIGRATION_BACKOFF = 'MigrationBackoff';
/** virtkit's: a setting of the KubeVirt object or a MigrationPolicy was invalid and left out. */
export const EVENT_INVALID_SETTINGS = 'InvalidMigrationConfiguration';
/** virt-handler's, on the VMI once it runs on the target node (virtkit's controller hands over). */
export const EVENT_MIGRATED = 'Migrated';

/** KubeVirt's Event messages. */
export const Msg = {
  vmiMissing: 'Migration failed because vmi does not exist.',
  vmiShutdown: 'Migration failed vmi shutdown during migration.',
  canceled: 'Migration failed due to being canceled',
  targetPodDown: 'Migration failed because target pod shutdown during migration',
  targetPodRemoved: 'Migration target pod was removed during active migration.',
  stateCleared: "VMI's migration state was cleared during the active migration.",
  stateTakenOver: "VMI's migration state was taken over by another migration job during active migration.",
  sourceFailed: 'source node reported migration failed',
  notEligible: 'VMI is not eligible for migration because another migration job is in progress.',
  handedOver: 'Migration target pod is ready for preparation by virt-handler.',
  abortSignaled: 'Migration is ready to be canceled by virt-handler.',
  succeeded: 'Source node reported migration succeeded',
  // The evacuation controller's, on the VMI (KubeVirt's spelling).
  notMigratable: 'VirtualMachineInstance is not migrateable',
} as const;

/** `VirtualMachineInstanceMigration <namespace>/<name>`, for messages. */
export function describeMigration(m: Pick<VirtualMachineInstanceMigration, 'metadata'>): string {
  return `VirtualMachineInstanceMigration ${m.metadata?.namespace ?? ''}/${m.metadata?.name ?? ''}`;
}
