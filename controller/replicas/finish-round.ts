/**
 * How a round of the pool or replica set controller ends: the status is written when it changed
 * (a resourceVersion-checked update of the /status subresource; a 409 retries the key), the
 * Events of a status change follow a successful write, a failed action fails the round (so the key
 * is retried with back-off) unless it is an invalid spec (retried when the spec changes), and the
 * key comes back when expectations or a held-back update need another look.
 */
import { isDeepStrictEqual } from 'util';
import { INVALID_SPEC_REASON } from '../../api/validation/spec-validity';
import type { ObjectMeta } from '../../api/k8s/meta';
import {
  isNotFound,
  type EventRecorder,
  type EventSpec,
  type KubeClient,
  type ResourceType,
} from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';

export interface RoundEnd<S> {
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  readonly rt: ResourceType;
  readonly owner: { readonly metadata?: ObjectMeta; readonly status?: S };
  readonly status: S;
  /** Recorded once the status is written (pause and resume). */
  readonly statusEvents: readonly EventSpec[];
  readonly failure?: { readonly reason: string; readonly message: string };
  /** The owner's resourceVersion after this round's own writes to it. */
  readonly resourceVersion?: string;
  /** Come back after this long (0: no need). */
  readonly requeueAfterMs: readonly number[];
}

export async function finishRound<S>(r: RoundEnd<S>): Promise<ReconcileResult> {
  const meta = r.owner.metadata ?? {};
  if (!isDeepStrictEqual(r.status, r.owner.status ?? {})) {
    try {
      await r.client.updateStatus(r.rt, meta.namespace, meta.name ?? '', {
        ...r.owner,
        metadata: { ...meta, resourceVersion: r.resourceVersion ?? meta.resourceVersion },
        status: r.status,
      });
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    for (const ev of r.statusEvents) void r.recorder.record(r.owner, ev);
  }
  if (r.failure && r.failure.reason !== INVALID_SPEC_REASON) throw new Error(r.failure.message);
  const after = r.requeueAfterMs.filter((n) => n > 0);
  return after.length ? { requeueAfterMs: Math.min(...after) } : {};
}
