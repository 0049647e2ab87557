/**
 * KubeVirt's patience with a migration's target pod: one that stays unschedulable for 5 minutes,
 * or Pending for any reason for 15, fails the migration (the annotations
 * kubevirt.io/migrationUnschedulablePodTimeoutSeconds and
 * kubevirt.io/migrationPendingPodTimeoutSeconds on the migration change both). Pure.
 */
import type { VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { findCondition } from '../../kube';
import type { LauncherPod } from '../vmi/phase';
import {
  DEFAULT_PENDING_TIMEOUT_SECONDS,
  DEFAULT_UNSCHEDULABLE_TIMEOUT_SECONDS,
  FailureReason,
  PENDING_TIMEOUT_ANNOTATION,
  UNSCHEDULABLE_TIMEOUT_ANNOTATION,
} from './names';

export interface TargetPodTimeout {
  /** The pod waited too long: why, for the condition (its start) and the Event (KubeVirt's). */
  readonly failure?: { readonly reason: FailureReason; readonly message: string; readonly event: string };
  /** Not yet: look again when the nearest timeout falls due. */
  readonly requeueAfterMs?: number;
}

/** A whole number of seconds from an annotation, or the default (KubeVirt ignores a bad value too). */
function seconds(value: string | undefined, fallback: number): number {
  return value !== undefined && /^\d{1,9}$/.test(value) ? Number(value) : fallback;
}

/** Whether the Pending target pod has waited too long; undefined when it is not Pending. */
export function targetPodTimeout(
  migration: Pick<VirtualMachineInstanceMigration, 'metadata'>,
  pod: LauncherPod,
  now: Date,
): TargetPodTimeout | undefined {
  if (pod.status?.phase !== 'Pending' || pod.metadata?.deletionTimestamp) return undefined;
  const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
  if (!Number.isFinite(created)) return undefined;
  const age = Math.max(0, (now.getTime() - created) / 1000);
  const annotations = migration.metadata?.annotations ?? {};
  const name = `${pod.metadata?.namespace ?? migration.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  const scheduled = findCondition(pod.status?.conditions, 'PodScheduled');
  const limits: { seconds: number; reason: FailureReason; how: string; event: string }[] = [];
  if (!pod.spec?.nodeName && scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    limits.push({
      seconds: seconds(annotations[UNSCHEDULABLE_TIMEOUT_ANNOTATION], DEFAULT_UNSCHEDULABLE_TIMEOUT_SECONDS),
      reason: FailureReason.targetPodUnschedulable,
      how: `could not be scheduled${scheduled.message ? ` (${scheduled.message})` : ''}`,
      event: `unschedulable pod ${name} timeout period exceeded`,
    });
  limits.push({
    seconds: seconds(annotations[PENDING_TIMEOUT_ANNOTATION], DEFAULT_PENDING_TIMEOUT_SECONDS),
    reason: FailureReason.targetPodPending,
    how: 'stayed Pending',
    event: `pending pod ${name} timeout period exceeded`,
  });
  const due = limits.find((l) => age >= l.seconds);
  if (due)
    return {
      failure: {
        reason: due.reason,
        message: `target pod ${pod.metadata?.name ?? ''} ${due.how} for ${due.seconds} s`,
        event: due.event,
      },
    };
  return { requeueAfterMs: Math.ceil(Math.min(...limits.map((l) => l.seconds - age)) * 1000) };
}
