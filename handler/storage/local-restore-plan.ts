/**
 * Whether the node's provisioner can fill a new volume from a VolumeSnapshot now, decided from
 * the objects alone. The snapshot must be ready and bound both ways to a content of the local
 * driver; its data lives on one node (`status.snapshotHandle` `<node>/<directory>`), so only that
 * node restores it: a claim placed on another node (WaitForFirstConsumer) is refused with both
 * node names and the fix, and with Immediate binding the other nodes leave it to that one. The
 * claim must be of the snapshot's volume mode and at least its restore size. A snapshot that is
 * missing or not ready yet is waited for. Pure.
 */
import { formatBytes, parseQuantity } from '../../api/quantity';
import {
  LOCAL_VOLUME_DRIVER,
  parseLocalSnapshotHandle,
  SNAPSHOT_NODE_ANNOTATION,
} from '../../api/storage/local';
import type { VolumeSnapshot, VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import type { EventSpec } from '../../kube';
import { snapshotLayout } from './local-snapshot-plan';
import { HOSTNAME_LABEL, SELECTED_NODE_ANNOTATION, type ClaimObject } from './local-volume-plan';
import { HostPathError } from '../../api/host-path';

/** How long a claim waits before the snapshot is looked at again. */
export const RESTORE_RECHECK_MS = 2000;

export type RestoreDecision =
  /** Not yet: look again later (with a Warning the first time, when something is missing). */
  | { readonly kind: 'wait'; readonly why: string; readonly event?: EventSpec }
  /** Another node's to restore (Immediate binding). */
  | { readonly kind: 'skip' }
  | { readonly kind: 'refuse'; readonly event: EventSpec }
  | {
      readonly kind: 'restore';
      /** The snapshot directory to copy from. */
      readonly directory: string;
      readonly handle: string;
      readonly volumeMode: 'Filesystem' | 'Block';
    };

const warning = (message: string): EventSpec => ({ type: 'Warning', reason: 'ProvisioningFailed', message });

export function decideRestore(input: {
  readonly claim: ClaimObject;
  readonly snapshotName: string;
  readonly snapshot: VolumeSnapshot | undefined;
  /** The content `status.boundVolumeSnapshotContentName` names, when it exists. */
  readonly content: VolumeSnapshotContent | undefined;
  /** Whether the claim's class binds WaitForFirstConsumer (the claim is placed on this node). */
  readonly waitsForConsumer: boolean;
  readonly nodeName: string;
  readonly root: string;
}): RestoreDecision {
  const { claim, snapshot, content, nodeName } = input;
  const ns = claim.metadata?.namespace ?? '';
  const what = `PersistentVolumeClaim ${ns}/${claim.metadata?.name ?? ''}`;
  const snap = `VolumeSnapshot ${ns}/${input.snapshotName}`;
  if (!snapshot)
    return {
      kind: 'wait',
      why: `${snap} does not exist`,
      event: warning(
        `${what}: spec.dataSource names ${snap}, which does not exist; create it or fix spec.dataSource.name (the claim waits for it)`,
      ),
    };
  const bound = snapshot.status?.boundVolumeSnapshotContentName;
  if (snapshot.status?.readyToUse !== true || !bound)
    return { kind: 'wait', why: `${snap} is not ready to use yet` };
  if (!content) return { kind: 'wait', why: `VolumeSnapshotContent ${bound} of ${snap} is not found yet` };
  const ref = content.spec?.volumeSnapshotRef ?? {};
  if (ref.name !== snapshot.metadata?.name || ref.namespace !== ns || ref.uid !== snapshot.metadata?.uid)
    return {
      kind: 'refuse',
      event: warning(
        `${what}: ${snap} names VolumeSnapshotContent ${bound}, but that content is bound to VolumeSnapshot ${ref.namespace ?? ''}/${ref.name ?? ''} (uid ${ref.uid ?? 'none'}); a snapshot and its content must name each other: restore from another VolumeSnapshot`,
      ),
    };
  if (content.spec?.driver !== LOCAL_VOLUME_DRIVER)
    return {
      kind: 'refuse',
      event: warning(
        `${what}: ${snap} was taken by driver ${JSON.stringify(content.spec?.driver ?? '')}; a ${LOCAL_VOLUME_DRIVER} volume can only be restored from a snapshot of the same driver: use a StorageClass of that driver in spec.storageClassName`,
      ),
    };
  const handle = content.status?.snapshotHandle ?? '';
  const parsed = parseLocalSnapshotHandle(handle);
  if ('problem' in parsed)
    return {
      kind: 'refuse',
      event: warning(
        `${what}: VolumeSnapshotContent ${bound} status.snapshotHandle ${JSON.stringify(handle)} ${parsed.problem}`,
      ),
    };
  const holder = content.metadata?.annotations?.[SNAPSHOT_NODE_ANNOTATION] ?? parsed.node;
  if (holder !== nodeName) {
    if (!input.waitsForConsumer) return { kind: 'skip' };
    return {
      kind: 'refuse',
      event: warning(
        `${what}: ${snap} is held on node ${holder} (VolumeSnapshotContent ${bound}), but the claim was placed on node ${nodeName} (annotation ${SELECTED_NODE_ANNOTATION}); a local snapshot can only be restored on its own node: run the pod that uses the claim on ${holder} (e.g. nodeSelector ${HOSTNAME_LABEL}: ${holder}) and create the claim again`,
      ),
    };
  }
  const snapshotMode = content.spec?.sourceVolumeMode ?? 'Filesystem';
  const claimMode = claim.spec?.volumeMode ?? 'Filesystem';
  if (snapshotMode !== claimMode)
    return {
      kind: 'refuse',
      event: warning(
        `${what}: spec.volumeMode ${claimMode} differs from the volume mode of ${snap} (${snapshotMode}); set spec.volumeMode: ${snapshotMode}`,
      ),
    };
  const restoreSize = content.status?.restoreSize;
  const requested = claim.spec?.resources?.requests?.storage;
  const requestedBytes = parseQuantity(requested);
  if (restoreSize !== undefined && (requestedBytes === undefined || requestedBytes < restoreSize))
    return {
      kind: 'refuse',
      event: warning(
        `${what}: spec.resources.requests.storage ${JSON.stringify(requested ?? '')} is smaller than the restore size of ${snap} (status.restoreSize ${formatBytes(restoreSize)}); request at least ${formatBytes(restoreSize)}`,
      ),
    };
  let directory: string;
  try {
    directory = snapshotLayout(input.root, parsed.directory, bound).directory;
  } catch (e) {
    if (!(e instanceof HostPathError)) throw e;
    return { kind: 'refuse', event: warning(`${what}: ${snap}: ${e.message}`) };
  }
  return {
    kind: 'restore',
    directory,
    handle,
    volumeMode: snapshotMode === 'Block' ? 'Block' : 'Filesystem',
  };
}
