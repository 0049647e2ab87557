/**
 * A condition of a snapshot, restore or clone as KubeVirt writes it: type, status, reason, an
 * optional message, `lastProbeTime: null` and the transition time to the second. Pure.
 */
import type { OperationCondition } from '../../api/snapshot/v1beta1';
import { stamp } from '../datavolume/conditions';

/** An OperationCondition whose status is one of Kubernetes' three (what setCondition takes). */
export type OperationCond = OperationCondition & { status: 'True' | 'False' | 'Unknown' };

export function operationCondition(
  type: OperationCondition['type'],
  status: 'True' | 'False',
  reason: string,
  now: Date,
  message?: string,
): OperationCond {
  return {
    type,
    status,
    reason,
    ...(message ? { message } : {}),
    lastProbeTime: null,
    lastTransitionTime: stamp(now),
  };
}
