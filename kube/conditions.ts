/** Condition lists as KubeVirt keeps them: one entry per type, times kept while nothing changes. Pure. */

export interface ConditionLike {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

export function findCondition<C extends ConditionLike>(
  list: readonly C[] | undefined,
  type: string,
): C | undefined {
  return list?.find((c) => c.type === type);
}

export function hasCondition(
  list: readonly ConditionLike[] | undefined,
  type: string,
  status: ConditionLike['status'],
  reason?: string,
): boolean {
  const c = findCondition(list, type);
  return c !== undefined && c.status === status && (reason === undefined || c.reason === reason);
}

/**
 * Put `next` in place of the condition of its type. When status, reason and message are unchanged
 * the existing entry (and its timestamps) is kept, so an unchanged state never rewrites status.
 */
export function setCondition<C extends ConditionLike>(list: readonly C[] | undefined, next: C): C[] {
  const out = [...(list ?? [])];
  const i = out.findIndex((c) => c.type === next.type);
  if (i < 0) return [...out, next];
  const cur = out[i];
  if (
    cur.status === next.status &&
    (cur.reason ?? '') === (next.reason ?? '') &&
    (cur.message ?? '') === (next.message ?? '')
  )
    return out;
  out[i] = next;
  return out;
}

export function removeCondition<C extends ConditionLike>(list: readonly C[] | undefined, type: string): C[] {
  return (list ?? []).filter((c) => c.type !== type);
}
