/**
 * A VirtualMachineSnapshot's lifecycle and status, with KubeVirt's phases, condition reasons and
 * rules (pkg/storage/snapshot): what counts as ready, failed, terminating; when the content is
 * deleted and the source unlocked; and the status written from the source, the content and the
 * clock. Pure.
 *
 * Phases: InProgress until the content has a creationTime (Succeeded), or the failure deadline
 * passes first (Failed: Failure=True "snapshot deadline exceeded", Progressing=False "Operation
 * failed"); Deleting when deleted while in progress. Conditions: Progressing (True "Source
 * locked and operation in progress" while the snapshot holds its VM; False "Source not locked
 * ..." while it waits, "Source does not exist", "Operation complete", "In error state" when the
 * content reports an error) and Ready (True "Ready" / False "Not ready"). KubeVirt leaves
 * condition messages empty; virtkit puts what to do in them.
 */
import type {
  OperationCondition,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VirtualMachineSnapshotStatus,
} from '../../api/snapshot/v1beta1';
import { setCondition } from '../../kube/conditions';
import { operationCondition, type OperationCond } from './operation-condition';
// RFC 3339 in whole seconds, as Kubernetes writes times.
import { failureDeadlineMs, goDuration, pastDeadline } from './deadline';
import { progressIndications, withPartialSnapshot } from './indications';
import { SOURCE_LOCKED, SOURCE_NOT_LOCKED, type SourceState } from './source';
import { snapshotVolumes } from './volumes';

export const DEADLINE_EXCEEDED = 'snapshot deadline exceeded';
export const REASON_OPERATION_FAILED = 'Operation failed';
export const REASON_OPERATION_COMPLETE = 'Operation complete';
export const REASON_IN_ERROR = 'In error state';
export const REASON_NO_SOURCE = 'Source does not exist';
export const REASON_DELETING = 'VM snapshot is deleting';
export const REASON_READY = 'Ready';
export const REASON_NOT_READY = 'Not ready';

type Snapshot = VirtualMachineSnapshot;
type Content = VirtualMachineSnapshotContent;

export const isReady = (s: Snapshot): boolean => s.status?.readyToUse === true;
export const isFailed = (s: Snapshot | undefined): boolean => s?.status?.phase === 'Failed';
export const isSucceeded = (s: Snapshot): boolean => s.status?.phase === 'Succeeded';
export const isProgressing = (s: Snapshot): boolean => !isFailed(s) && !isSucceeded(s);
export const isDeleting = (s: Snapshot | undefined): boolean => !!s?.metadata?.deletionTimestamp;

/** Failed already, or still in progress past its failure deadline. */
export function deadlineExceeded(s: Snapshot, now: Date): boolean {
  if (isFailed(s)) return true;
  return isProgressing(s) && pastDeadline(s, now);
}

/** Deleted, or failed: the snapshot lets go of its source and (by policy) of its content. */
export function isTerminating(s: Snapshot, now: Date): boolean {
  return isDeleting(s) || deadlineExceeded(s, now);
}

/** deletionPolicy Delete, the default. */
export const deleteContentPolicy = (s: Snapshot): boolean =>
  s.spec?.deletionPolicy === undefined || s.spec.deletionPolicy === 'Delete';

export const contentReady = (c: Content): boolean => c.status?.readyToUse === true;
export const contentCreated = (c: Content): boolean => !!c.status?.creationTime;

/** The content goes with the snapshot by policy, and always when it never became ready. */
export const shouldDeleteContent = (s: Snapshot, c: Content): boolean =>
  deleteContentPolicy(s) || !contentReady(c);

/** The source is unlocked once the snapshot is done, or terminating with its content dealt with. */
export function canUnlockSource(s: Snapshot, c: Content | undefined, now: Date): boolean {
  if (!isProgressing(s)) return true;
  return isTerminating(s, now) && (c === undefined || !shouldDeleteContent(s, c));
}

/** What the reconciler found out about the source this round. */
export interface SourceView {
  readonly state: SourceState;
  /** Set while the lock waits: KubeVirt's Progressing reason and virtkit's message. */
  readonly waiting?: { readonly reason: string; readonly message: string };
  /** Why the content cannot be made yet, while the source is locked (the Progressing message). */
  readonly contentProblem?: string;
}

export interface SnapshotStatusInput {
  readonly snapshot: Snapshot;
  /** Undefined when the source VM does not exist. */
  readonly source?: SourceView;
  /** Why the source cannot be snapshotted at all (fails the snapshot at once). */
  readonly refusal?: string;
  readonly content?: Content;
  readonly now: Date;
}

interface Wanted {
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message?: string;
}

/** The snapshot's status after this round (the input's status is left as it was). */
export function snapshotStatus(input: SnapshotStatusInput): VirtualMachineSnapshotStatus {
  const { snapshot, source, content, now } = input;
  const status: VirtualMachineSnapshotStatus = snapshot.status
    ? structuredClone(snapshot.status)
    : { readyToUse: false };
  let conditions = (status.conditions ?? []) as OperationCond[];
  // Each condition is decided once and set once, so an unchanged state keeps its timestamps.
  const set = (type: OperationCondition['type'], w: Wanted): void => {
    conditions = setCondition(conditions, operationCondition(type, w.status, w.reason, now, w.message));
  };

  if (source) status.sourceUID = source.state.uid;
  if (content?.metadata?.name && content.status) {
    status.virtualMachineSnapshotContentName = content.metadata.name;
    status.creationTime = content.status.creationTime;
    status.readyToUse = content.status.readyToUse;
    status.error = content.status.error;
  }

  const alreadyFailed = isFailed(snapshot) && conditions.some((c) => c.type === 'Failure');
  let failure: Wanted | undefined;
  let progressing: Wanted;
  if (input.refusal && isProgressing(snapshot) && !alreadyFailed) {
    status.phase = 'Failed';
    failure = { status: 'True', reason: input.refusal };
    progressing = { status: 'False', reason: REASON_OPERATION_FAILED };
  } else if (deadlineExceeded({ ...snapshot, status }, now)) {
    status.phase = 'Failed';
    if (!alreadyFailed) {
      const deadline = goDuration(failureDeadlineMs(snapshot));
      failure = {
        status: 'True',
        reason: DEADLINE_EXCEEDED,
        message: `the snapshot did not finish within its failureDeadline (${deadline} from its creation); see status.error and the VolumeSnapshots of its content, then take a new snapshot (with a longer spec.failureDeadline if it needs more time)`,
      };
    }
    progressing = { status: 'False', reason: REASON_OPERATION_FAILED };
  } else if (isSucceeded({ ...snapshot, status }) || status.creationTime) {
    status.phase = 'Succeeded';
    progressing = { status: 'False', reason: REASON_OPERATION_COMPLETE };
    const vm = content?.spec?.source?.virtualMachine;
    if (content && vm?.spec?.template) {
      const volumes = snapshotVolumes(vm.spec, content.spec.volumeBackups);
      status.snapshotVolumes = {
        ...(volumes.includedVolumes.length ? { includedVolumes: volumes.includedVolumes } : {}),
        ...(volumes.excludedVolumes.length ? { excludedVolumes: volumes.excludedVolumes } : {}),
      };
      if (volumes.partial) Object.assign(status, withPartialSnapshot(status));
    }
  } else {
    status.phase = 'InProgress';
    if (source) {
      progressing = source.state.locked
        ? { status: 'True', reason: SOURCE_LOCKED, message: source.contentProblem }
        : {
            status: 'False',
            reason: source.waiting?.reason ?? SOURCE_NOT_LOCKED,
            message: source.waiting?.message,
          };
      const ind = progressIndications(status.indications, source.state, status.error?.message);
      status.indications = ind.indications;
      status.sourceIndications = ind.sourceIndications;
    } else {
      const src = snapshot.spec?.source;
      progressing = {
        status: 'False',
        reason: REASON_NO_SOURCE,
        message: `${src?.kind ?? 'VirtualMachine'} ${snapshot.metadata?.namespace ?? ''}/${src?.name ?? ''} (spec.source) does not exist; create it, or delete this snapshot (it fails once its failureDeadline passes)`,
      };
    }
    if (isDeleting(snapshot)) {
      status.phase = 'Deleting';
      progressing = { status: 'False', reason: REASON_DELETING };
    }
  }
  if (status.error) progressing = { status: 'False', reason: REASON_IN_ERROR, message: status.error.message };

  if (failure) set('Failure', failure);
  set('Progressing', progressing);
  set(
    'Ready',
    status.readyToUse === true
      ? { status: 'True', reason: REASON_READY }
      : { status: 'False', reason: REASON_NOT_READY },
  );
  status.conditions = conditions;
  // Fields the round left undefined are not written at all.
  for (const k of Object.keys(status) as (keyof VirtualMachineSnapshotStatus)[])
    if (status[k] === undefined) delete status[k];
  return status;
}
