/**
 * One round of a VirtualMachineSnapshotContent, in KubeVirt's order (updateVMSnapshotContent):
 *
 * 1. Its snapshot is gone, deleted or failed: thaw the guest (best effort), drop the content's
 *    finalizer, and stop there when the content is to be deleted.
 * 2. For each volume backup whose VolumeSnapshot does not exist yet: freeze the guest once
 *    (only a running VM with its guest agent, not paused, not frozen already; the freeze's
 *    unfreezeTimeout is the snapshot's failure deadline, so the guest thaws by itself should
 *    nobody ask), then create the VolumeSnapshot. A freeze that fails is the content's error,
 *    tried again in 5 s; a VolumeSnapshot that cannot be made thaws the guest at once.
 * 3. Once every VolumeSnapshot has a creationTime (the data is cut), the content records its
 *    creationTime and the guest is thawed; readyToUse follows the VolumeSnapshots'.
 *
 * Every call out goes through ContentIo (the reconciler's API calls; unit tests record them),
 * so the order freeze -> VolumeSnapshots -> thaw, and the thaw on failure, are checked without
 * a cluster. The decisions are the pure functions beside it.
 */
import type {
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VirtualMachineSnapshotContentStatus,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot, VolumeSnapshotClass } from '../../api/volumesnapshot/v1';
import { errorMessage } from '../../kube/errors';
import type { EventSpec } from '../../kube/events';
import type { StorageClass } from '../datavolume/objects';
import { stamp } from '../datavolume/conditions';
import { desiredVolumeSnapshot } from './content';
import { contentProgress, volumeSnapshotStatusOf } from './content-status';
import { VSS_FREEZE_LIMIT_REACHED } from './indications';
import { sameJson } from './same-json';
import {
  EVENT_FREEZE_FAILED,
  EVENT_UNFREEZE_FAILED,
  EVENT_VOLUME_SNAPSHOT_CREATED,
  EVENT_VOLUME_SNAPSHOT_MISSING,
  VM_SNAPSHOT_CONTENT_FINALIZER,
} from './names';
import { contentCreated, isDeleting, isTerminating, shouldDeleteContent } from './snapshot-status';
import { freezeNeeded, thawNeeded, type SourceState } from './source';

/** How soon a content is looked at again after a failed freeze, or while it is being deleted. */
export const CONTENT_RETRY_MS = 5_000;

type Content = VirtualMachineSnapshotContent;
type ContentStatus = VirtualMachineSnapshotContentStatus;

/** The calls a content round makes. */
export interface ContentIo {
  /** Freeze the source VMI's filesystems (subresources.kubevirt.io .../freeze). */
  freeze(): Promise<void>;
  /** Thaw them (.../unfreeze). */
  unfreeze(): Promise<void>;
  /** Create the VolumeSnapshot; the one that exists already when it does. */
  createVolumeSnapshot(vs: VolumeSnapshot): Promise<VolumeSnapshot>;
  /** Drop the content's finalizer; answers the content as written. */
  removeFinalizer(content: Content): Promise<Content>;
  writeStatus(content: Content, status: ContentStatus): Promise<void>;
  /** An Event on the content. */
  event(ev: EventSpec): void;
}

export interface ContentSyncInput {
  readonly content: Content;
  /** The snapshot it belongs to, when it exists. */
  readonly snapshot?: VirtualMachineSnapshot;
  /** The snapshot's source VM, when it exists. */
  readonly source?: SourceState;
  /** A VolumeSnapshot of the content's namespace, by name. */
  readonly volumeSnapshot: (name: string) => VolumeSnapshot | undefined;
  readonly storageClasses: ReadonlyMap<string, StorageClass>;
  readonly snapshotClasses: readonly VolumeSnapshotClass[];
  readonly now: Date;
}

/** A content round that cannot go on, naming the content and the step. */
export class ContentSyncError extends Error {
  constructor(
    readonly content: string,
    readonly step: string,
    cause: string,
  ) {
    super(`VirtualMachineSnapshotContent ${content}: ${step}: ${cause}`);
    this.name = 'ContentSyncError';
  }
}

const describe = (c: Content): string => `${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`;

/** Thaw when the source needs it; a failure is told (an Event), not thrown. */
async function thawBestEffort(io: ContentIo, source: SourceState | undefined, why: string): Promise<void> {
  if (!thawNeeded(source)) return;
  try {
    await io.unfreeze();
  } catch (err) {
    io.event({
      type: 'Warning',
      reason: EVENT_UNFREEZE_FAILED,
      message: `thawing the guest (${why}) failed: ${errorMessage(err)}; it thaws by itself once the freeze's unfreezeTimeout (the snapshot's failureDeadline) passes`,
    });
  }
}

export async function syncContent(
  input: ContentSyncInput,
  io: ContentIo,
): Promise<{ requeueAfterMs?: number }> {
  let content = input.content;
  const { snapshot, source, now } = input;
  const name = describe(content);

  if (!snapshot || isTerminating(snapshot, now)) {
    await thawBestEffort(io, source, snapshot ? 'the snapshot is deleted or failed' : 'the snapshot is gone');
    if ((content.metadata?.finalizers ?? []).includes(VM_SNAPSHOT_CONTENT_FINALIZER))
      content = await io.removeFinalizer(content);
    if (snapshot && shouldDeleteContent(snapshot, content)) return {};
  }
  if (content.metadata?.deletionTimestamp) return { requeueAfterMs: CONTENT_RETRY_MS };

  const status: ContentStatus = structuredClone(content.status ?? {});
  const created = contentCreated(content);
  const statuses: NonNullable<ContentStatus['volumeSnapshotStatus']> = [];
  const missing: string[] = [];
  const skipped: string[] = [];
  let froze = false;
  let freezeChecked = false;

  for (const backup of content.spec?.volumeBackups ?? []) {
    const vsName = backup.volumeSnapshotName;
    if (!vsName) continue;
    let vs = input.volumeSnapshot(vsName);
    if (!vs) {
      if (created) {
        io.event({
          type: 'Warning',
          reason: EVENT_VOLUME_SNAPSHOT_MISSING,
          message: `VolumeSnapshot ${vsName} no longer exists`,
        });
        missing.push(vsName);
        continue;
      }
      if (!snapshot || isDeleting(snapshot)) {
        skipped.push(vsName);
        continue;
      }
      if (!freezeChecked) {
        freezeChecked = true;
        if (!source)
          throw new ContentSyncError(
            name,
            'freezing the source',
            'unable to get snapshot source (the VM is gone)',
          );
        const refusal = !source.locked ? 'attempting to freeze unlocked VM' : undefined;
        try {
          if (refusal) throw new Error(refusal);
          if (freezeNeeded(source)) {
            await io.freeze();
            froze = true;
          }
        } catch (err) {
          const message = errorMessage(err);
          io.event({
            type: 'Warning',
            reason: EVENT_FREEZE_FAILED,
            message: `freezing the guest failed: ${message}`,
          });
          status.error = { time: stamp(now), message };
          status.readyToUse = false;
          await io.writeStatus(content, status);
          return { requeueAfterMs: CONTENT_RETRY_MS };
        }
      }
      const desired = desiredVolumeSnapshot(content, backup, input.storageClasses, input.snapshotClasses);
      try {
        if ('problem' in desired)
          throw new ContentSyncError(name, `creating VolumeSnapshot ${vsName}`, desired.problem);
        vs = await io.createVolumeSnapshot(desired.volumeSnapshot);
      } catch (err) {
        // Never leave the guest frozen behind a failure: the next round freezes it again.
        if (froze) await thawBestEffort(io, source, `VolumeSnapshot ${vsName} could not be created`);
        throw err instanceof ContentSyncError
          ? err
          : new ContentSyncError(name, `creating VolumeSnapshot ${vsName}`, errorMessage(err));
      }
      io.event({
        type: 'Normal',
        reason: EVENT_VOLUME_SNAPSHOT_CREATED,
        message: `Successfully created VolumeSnapshot ${vsName}`,
      });
    }
    statuses.push(volumeSnapshotStatusOf(vs));
  }

  const progress = contentProgress(statuses, missing, skipped);
  if (progress.created && !status.creationTime) {
    status.creationTime = stamp(now);
    if (thawNeeded(source)) {
      try {
        await io.unfreeze();
      } catch (err) {
        const message = errorMessage(err);
        if (!message.includes(VSS_FREEZE_LIMIT_REACHED))
          throw new ContentSyncError(name, 'thawing the guest after the VolumeSnapshots were taken', message);
        // Windows VSS could not hold the freeze: the snapshot is taken again.
        delete status.creationTime;
        status.error = { time: stamp(now), message };
        await io.writeStatus(content, status);
        return { requeueAfterMs: CONTENT_RETRY_MS };
      }
    }
  }

  if (progress.errorMessage && !progress.ready) {
    if (status.error?.message !== progress.errorMessage)
      status.error = { time: stamp(now), message: progress.errorMessage };
  } else if (!progress.errorMessage) delete status.error;
  status.readyToUse = progress.ready;
  if (statuses.length) status.volumeSnapshotStatus = statuses;
  else delete status.volumeSnapshotStatus;
  if (!sameJson(content.status, status)) await io.writeStatus(content, status);
  return {};
}
