/**
 * Whether a claim still needs `pvc-as-source-protection`: while a snapshot of ours is being taken
 * of it (not deleted, not ready yet), the claim and its data stay. The snapshot reconciler adds
 * the finalizer before it makes the content; the claim's own reconcile takes it off once no
 * snapshot needs it. Pure.
 */
import { PVC_AS_SOURCE_FINALIZER, type VolumeSnapshot } from '../../api/volumesnapshot/v1';
import type { Claim } from '../datavolume/objects';

export function claimProtectionNeeded(
  claim: Claim,
  /** The VolumeSnapshots of the claim's namespace. */
  snapshots: readonly VolumeSnapshot[],
  ours: (s: VolumeSnapshot) => boolean,
): boolean {
  return snapshots.some(
    (s) =>
      s.spec?.source?.persistentVolumeClaimName === claim.metadata?.name &&
      !s.metadata?.deletionTimestamp &&
      s.status?.readyToUse !== true &&
      ours(s),
  );
}

/** Whether the claim holds the finalizer at all. */
export function claimProtected(claim: Claim): boolean {
  return (claim.metadata?.finalizers ?? []).includes(PVC_AS_SOURCE_FINALIZER);
}
