/**
 * The two conditions KubeVirt's replica controllers keep, ReplicaPaused (while spec.paused) and
 * ReplicaFailure (while a round fails), with the Events of their changes. The pool and the
 * replica set word them differently (KubeVirt's texts are passed in). Pure.
 */
import { findCondition, removeCondition, setCondition, type ConditionLike, type EventSpec } from '../../kube';
import { metav1Time } from '../../api/k8s/meta';

export const REPLICA_FAILURE = 'ReplicaFailure';
export const REPLICA_PAUSED = 'ReplicaPaused';

export interface PauseWording {
  readonly reason: string;
  readonly message: string;
  readonly pausedEvent: EventSpec;
  readonly resumedEvent: EventSpec;
}

export interface ReplicaConditionInputs {
  readonly paused: boolean;
  readonly failure?: { readonly reason: string; readonly message: string };
  /** Record a Warning Event when the failure is new or changed (the pool does, the replica set does not). */
  readonly failureEvent: boolean;
  readonly now: Date;
  readonly wording: PauseWording;
}

export function replicaConditions(
  prev: readonly ConditionLike[] | undefined,
  i: ReplicaConditionInputs,
): { conditions: ConditionLike[]; events: EventSpec[] } {
  const nowIso = metav1Time(i.now);
  const events: EventSpec[] = [];
  let conditions = [...(prev ?? [])];
  const wasPaused = findCondition(conditions, REPLICA_PAUSED) !== undefined;
  if (i.paused && !wasPaused) {
    conditions = setCondition(conditions, {
      type: REPLICA_PAUSED,
      status: 'True',
      reason: i.wording.reason,
      message: i.wording.message,
      lastTransitionTime: nowIso,
    });
    events.push(i.wording.pausedEvent);
  } else if (!i.paused && wasPaused) {
    conditions = removeCondition(conditions, REPLICA_PAUSED);
    events.push(i.wording.resumedEvent);
  }
  if (i.failure) {
    const before = findCondition(conditions, REPLICA_FAILURE);
    conditions = setCondition(conditions, {
      type: REPLICA_FAILURE,
      status: 'True',
      reason: i.failure.reason,
      message: i.failure.message,
      lastTransitionTime: nowIso,
    });
    if (i.failureEvent && (before?.reason !== i.failure.reason || before?.message !== i.failure.message))
      events.push({ type: 'Warning', reason: i.failure.reason, message: i.failure.message });
  } else conditions = removeCondition(conditions, REPLICA_FAILURE);
  return { conditions, events };
}
