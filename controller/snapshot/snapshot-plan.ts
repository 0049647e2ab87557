/**
 * One round of a VirtualMachineSnapshot, decided from what the caches show, in KubeVirt's order
 * (updateVMSnapshot): keep the snapshot's finalizer while it is not terminating; once status
 * exists, take the source's lock (waiting, and looking again every 5 s, while it cannot), then
 * make the content; when the snapshot is done, or terminating with its content gone where the
 * policy says so, let go of the lock; delete the content of a terminating snapshot when the
 * deletion policy (or an unready content) says so; write status; drop the finalizer of a
 * deleted snapshot once its source is unlocked. Pure.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type {
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VirtualMachineSnapshotStatus,
} from '../../api/snapshot/v1beta1';
import { timeUntilDeadlineMs } from './deadline';
import { VM_SNAPSHOT_FINALIZER } from './names';
import {
  canUnlockSource,
  isDeleting,
  isProgressing,
  isTerminating,
  shouldDeleteContent,
  snapshotStatus,
  type SourceView,
} from './snapshot-status';
import { lockCheck, sourceState, type LockFacts } from './source';

/** How soon a snapshot waiting for its source's lock looks again (KubeVirt's snapshotRetryInterval). */
export const LOCK_RETRY_MS = 5_000;

export interface SnapshotPlanInput {
  readonly snapshot: VirtualMachineSnapshot;
  /** The source VM, when it exists. */
  readonly vm?: VirtualMachine;
  /** Its VMI, when it runs. */
  readonly vmi?: VirtualMachineInstance;
  readonly content?: VirtualMachineSnapshotContent;
  /**
   * Why the content cannot be made (./content.ts planContent: a claim with several
   * VolumeSnapshotClasses and no default, an instancetype revision not written yet): the
   * snapshot keeps its lock, says so, and looks again every 5 s.
   */
  readonly contentProblem?: string;
  readonly lockFacts: LockFacts;
  readonly now: Date;
}

export interface SnapshotPlan {
  readonly addFinalizer: boolean;
  /** Lock the source: the VM writes still to make. */
  readonly lock?: { readonly writeStatus: boolean; readonly addFinalizer: boolean };
  readonly createContent: boolean;
  /** Unlock the source: drop its finalizer and clear status.snapshotInProgress. */
  readonly unlock: boolean;
  readonly deleteContent: boolean;
  readonly status: VirtualMachineSnapshotStatus;
  readonly removeFinalizer: boolean;
  readonly requeueAfterMs?: number;
}

/**
 * Why the source cannot be snapshotted at all: a kind other than a kubevirt.io VirtualMachine
 * (admission refuses it; an object stored without the webhook fails here), or a running VM with
 * snapshotMode External, which virtkit does not take.
 */
export function sourceRefusal(snapshot: VirtualMachineSnapshot, online: boolean): string | undefined {
  const src = snapshot.spec?.source;
  if (src?.kind !== 'VirtualMachine' || src.apiGroup !== 'kubevirt.io')
    return `spec.source ${JSON.stringify({ apiGroup: src?.apiGroup, kind: src?.kind })} is not supported; a snapshot's source is a VirtualMachine of apiGroup kubevirt.io`;
  if (online && snapshot.spec.snapshotMode === 'External')
    return 'snapshotMode External is not supported by virtkit yet; take the snapshot with snapshotMode Direct (or leave it out)';
  return undefined;
}

export function planSnapshot(input: SnapshotPlanInput): SnapshotPlan {
  const { snapshot, content, now } = input;
  const name = snapshot.metadata?.name ?? '';
  const terminating = isTerminating(snapshot, now);
  const hasFinalizer = (snapshot.metadata?.finalizers ?? []).includes(VM_SNAPSHOT_FINALIZER);
  const vm = input.vm;
  let state = vm ? sourceState(vm, input.vmi, snapshot) : undefined;
  const refusal = sourceRefusal(snapshot, state?.online ?? false);
  let waiting: SourceView['waiting'];
  let contentProblem: string | undefined;
  let lock: SnapshotPlan['lock'];
  let createContent = false;
  let unlock = false;
  let retry: number | undefined;
  let canRemoveFinalizer = true;

  // Nothing happens before status exists (the first round only writes it).
  if (snapshot.status && vm && state) {
    if (isProgressing(snapshot) && !terminating && !refusal) {
      if (!state.locked) {
        const check = lockCheck(vm, snapshot, state, input.lockFacts);
        if (check.ok) {
          lock = { writeStatus: check.writeStatus, addFinalizer: check.addFinalizer };
          state = { ...state, locked: true };
        } else waiting = { reason: check.reason, message: check.message };
        retry = LOCK_RETRY_MS;
      } else if (!content) {
        if (input.contentProblem) {
          contentProblem = input.contentProblem;
          retry = LOCK_RETRY_MS;
        } else createContent = true;
      }
      canRemoveFinalizer = false;
    } else {
      if (canUnlockSource(snapshot, content, now) && vm.status?.snapshotInProgress === name) {
        unlock = true;
        state = { ...state, locked: false };
      }
      canRemoveFinalizer = !state.locked;
    }
  }

  const deleteContent =
    terminating &&
    content !== undefined &&
    !content.metadata?.deletionTimestamp &&
    shouldDeleteContent(snapshot, content);
  const status = snapshotStatus({
    snapshot,
    source: state ? { state, waiting, contentProblem } : undefined,
    refusal,
    content,
    now,
  });
  if (retry === undefined && status.phase === 'InProgress') {
    const left = timeUntilDeadlineMs(snapshot, now);
    if (left !== undefined && left > 0) retry = left;
  }
  return {
    addFinalizer: !terminating && !hasFinalizer,
    lock,
    createContent,
    unlock,
    deleteContent,
    status,
    removeFinalizer: isDeleting(snapshot) && canRemoveFinalizer && hasFinalizer,
    ...(retry !== undefined ? { requeueAfterMs: retry } : {}),
  };
}
