/**
 * Garbage collection of succeeded DataVolumes, as CDI does it when CDIConfig's
 * `dataVolumeTTLSeconds` is 0 or more (pure). CDI's default is -1 (disabled; the field was
 * deprecated and later removed), and so is virtkit's. When enabled, a Succeeded DataVolume that
 * carries `cdi.kubevirt.io/storage.deleteAfterCompletion: "true"` is deleted once its Ready
 * condition has been True for the TTL; its claim stays, handed to the DataVolume's own owners
 * and without the populatedFor annotation.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { OwnerReference } from '../../api/k8s/meta';
import { Ann } from './cdi-names';
import { findCdiCondition } from './conditions';
import type { Claim } from './objects';

/** CDI's default: garbage collection disabled. */
export const DEFAULT_DATA_VOLUME_TTL_SECONDS = -1;

export type GcDecision =
  | { readonly action: 'keep' }
  | { readonly action: 'wait'; readonly afterMs: number }
  | { readonly action: 'collect'; readonly claimOwners: OwnerReference[] };

export function gcDecision(
  dv: DataVolume,
  claim: Claim | undefined,
  ttlSeconds: number,
  now: Date,
): GcDecision {
  if (ttlSeconds < 0 || dv.status?.phase !== 'Succeeded' || !claim) return { action: 'keep' };
  if (dv.metadata?.annotations?.[Ann.deleteAfterCompletion] !== 'true') return { action: 'keep' };
  const ready = findCdiCondition(dv.status?.conditions, 'Ready');
  const since = Date.parse(ready?.lastTransitionTime ?? '');
  const elapsed = Number.isFinite(since) ? now.getTime() - since : 0;
  const left = ttlSeconds * 1000 - elapsed;
  if (left > 0) return { action: 'wait', afterMs: left };
  const uid = dv.metadata?.uid;
  const kept = (claim.metadata?.ownerReferences ?? []).filter((o) => o.uid !== uid);
  for (const o of dv.metadata?.ownerReferences ?? []) if (!kept.some((k) => k.uid === o.uid)) kept.push(o);
  return { action: 'collect', claimOwners: kept };
}
