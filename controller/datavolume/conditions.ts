/**
 * CDI's condition bookkeeping (pure): one entry per type; lastTransitionTime moves when the
 * status changes, lastHeartbeatTime when the status, reason or message does.
 */
import type { CdiCondition } from '../../api/cdi/v1beta1';
import { metav1Time } from '../../api/k8s/meta';

export type CdiStatus = 'True' | 'False' | 'Unknown';

export function stamp(now: Date): string {
  return metav1Time(now);
}

export function findCdiCondition(
  list: readonly CdiCondition[] | undefined,
  type: string,
): CdiCondition | undefined {
  return list?.find((c) => c.type === type);
}

export function updateCdiCondition(
  list: readonly CdiCondition[],
  type: CdiCondition['type'],
  status: CdiStatus,
  reason: string,
  message: string,
  now: Date,
): CdiCondition[] {
  const out = list.map((c) => ({ ...c }));
  let cur = out.find((c) => c.type === type);
  if (!cur) {
    cur = { type, status };
    out.push(cur);
  }
  const t = stamp(now);
  if (cur.status !== status || cur.lastTransitionTime === undefined) {
    cur.lastTransitionTime = t;
    cur.lastHeartbeatTime = t;
  } else if ((cur.reason ?? '') !== reason || (cur.message ?? '') !== message) {
    cur.lastHeartbeatTime = t;
  }
  cur.status = status;
  cur.reason = reason;
  cur.message = message;
  return out;
}
