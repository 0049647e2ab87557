/**
 * A pool's status as KubeVirt writes it: replicas (every member, those being deleted too),
 * readyReplicas (members whose Ready condition is True), labelSelector (the selector's string
 * form, which the scale subresource serves), ReplicaFailure while a round fails (reason
 * FailedScaleOut, FailedScaleIn, FailedUpdate or InvalidSpec) and ReplicaPaused while
 * spec.paused, with the Events KubeVirt records when those change. Pure.
 */
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type { VirtualMachinePool, VirtualMachinePoolStatus } from '../../api/pool/v1beta1';
import { hasCondition, type ConditionLike, type EventSpec } from '../../kube';
import { replicaConditions } from '../replicas/replica-conditions';

export interface PoolStatusInputs {
  readonly pool: VirtualMachinePool;
  readonly members: readonly VirtualMachine[];
  readonly labelSelector: string;
  readonly now: Date;
  readonly failure?: { readonly reason: string; readonly message: string };
}

export const isMemberReady = (vm: VirtualMachine): boolean =>
  hasCondition(vm.status?.conditions, 'Ready', 'True');

const PAUSE_WORDING = {
  reason: 'SuccessfulPaused',
  message: 'Pool controller is paused',
  pausedEvent: { type: 'Normal', reason: 'SuccessfulPaused', message: 'Pool is paused' },
  resumedEvent: { type: 'Normal', reason: 'SuccessfulResume', message: 'Pool is unpaused' },
} as const;

export function poolStatus(i: PoolStatusInputs): { status: VirtualMachinePoolStatus; events: EventSpec[] } {
  const prev = i.pool.status ?? {};
  const { conditions, events } = replicaConditions(prev.conditions as ConditionLike[] | undefined, {
    paused: i.pool.spec.paused === true,
    failure: i.failure,
    failureEvent: true,
    now: i.now,
    wording: PAUSE_WORDING,
  });
  const status: VirtualMachinePoolStatus = {
    ...prev,
    replicas: i.members.length,
    readyReplicas: i.members.filter(isMemberReady).length,
    labelSelector: i.labelSelector,
  };
  if (conditions.length) status.conditions = conditions as VirtualMachinePoolStatus['conditions'];
  else delete status.conditions;
  return { status, events };
}
