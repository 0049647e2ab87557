/**
 * A DataVolume's status from what is observed (pure): the phase from the claim and the worker
 * pod, as CDI derives it; the Bound, Ready and Running conditions with CDI's reasons and
 * messages; progress and restart count from the pod; and the Events CDI records for the changes.
 */
import type { CdiCondition, DataVolume, DataVolumeStatus } from '../../api/cdi/v1beta1';
import { IMPORT_COMPLETE_MESSAGE, PROGRESS_CONDITION, WORKER_CONTAINER } from '../../api/cdi/worker-pod';
import type { EventSpec } from '../../kube';
import { Ann, EventReason, Message, PROGRESS_DONE, PROGRESS_UNKNOWN, Reason } from './cdi-names';
import { findCdiCondition, updateCdiCondition, type CdiStatus } from './conditions';
import type { Claim, WorkerPod } from './objects';
import type { ResolvedSource } from './source';

export interface StatusInputs {
  readonly dv: DataVolume;
  readonly source: ResolvedSource;
  /** The claim of the DataVolume's name, when it is ours (or adopted). */
  readonly claim?: Claim;
  /** Why no claim is used (blocked source, invalid claim, a claim that is not ours...). */
  readonly problem?: { readonly reason: string; readonly message: string };
  readonly pod?: WorkerPod;
  /** The claim waits for a consumer (WaitForFirstConsumer class, no immediate-binding request). */
  readonly waitForFirstConsumer: boolean;
  readonly now: Date;
}

export interface StatusResult {
  readonly status: DataVolumeStatus;
  readonly events: EventSpec[];
  /** The worker's run finished with the data in place. */
  readonly succeeded: boolean;
}

type Phase = NonNullable<DataVolumeStatus['phase']>;

const EARLY_PHASES: readonly (string | undefined)[] = [
  undefined,
  '',
  'Pending',
  'WaitForFirstConsumer',
  'Unknown',
  'PVCBound',
];
const PROGRESS_RE = /^\d{1,3}(\.\d+)?%$/;

function container(pod: WorkerPod | undefined) {
  return (
    pod?.status?.containerStatuses?.find((c) => c.name === WORKER_CONTAINER) ??
    pod?.status?.containerStatuses?.[0]
  );
}

/** The pod's run ended well: phase Succeeded, or the container terminated with exit 0. */
export function podSucceeded(pod: WorkerPod | undefined): boolean {
  if (!pod) return false;
  if (pod.status?.phase === 'Succeeded') return true;
  const t = container(pod)?.state?.terminated;
  return t?.exitCode === 0 && (t.message ?? '').trim() === IMPORT_COMPLETE_MESSAGE;
}

/** The Running condition CDI derives from the worker pod's container. */
function runningFromPod(pod: WorkerPod | undefined): { status: CdiStatus; reason: string; message: string } {
  const c = container(pod);
  if (!c) return { status: 'False', reason: '', message: '' };
  if (c.state?.running) return { status: 'True', reason: Reason.podRunning, message: '' };
  const w = c.state?.waiting;
  if (w && w.reason !== 'CrashLoopBackOff')
    return { status: 'False', reason: w.reason ?? '', message: w.message ?? '' };
  const t = c.state?.terminated ?? c.lastState?.terminated;
  if (t) return { status: 'False', reason: t.reason ?? Reason.error, message: (t.message ?? '').trim() };
  return { status: 'False', reason: '', message: '' };
}

function phaseEvent(
  phase: Phase,
  dv: DataVolume,
  source: ResolvedSource,
  claimName: string,
): EventSpec | undefined {
  const ns = dv.metadata?.namespace ?? '';
  if (source.type === 'clone') {
    const from = `${source.namespace}/${source.name}`;
    const to = `${ns}/${claimName}`;
    if (phase === 'CloneScheduled')
      return {
        type: 'Normal',
        reason: EventReason.cloneScheduled,
        message: Message.cloneScheduled(from, to),
      };
    if (phase === 'CloneInProgress')
      return {
        type: 'Normal',
        reason: EventReason.cloneInProgress,
        message: Message.cloneInProgress(from, to),
      };
    if (phase === 'Succeeded')
      return {
        type: 'Normal',
        reason: EventReason.cloneSucceeded,
        message: Message.cloneSucceeded(from, to),
      };
  } else if (source.type === 'upload') {
    if (phase === 'UploadScheduled')
      return { type: 'Normal', reason: EventReason.uploadScheduled, message: Message.uploadScheduled };
    if (phase === 'UploadReady')
      return { type: 'Normal', reason: EventReason.uploadReady, message: Message.uploadReady };
    if (phase === 'Succeeded')
      return { type: 'Normal', reason: EventReason.uploadSucceeded, message: Message.uploadSucceeded };
  } else {
    if (phase === 'ImportScheduled')
      return {
        type: 'Normal',
        reason: EventReason.importScheduled,
        message: Message.importScheduled(claimName),
      };
    if (phase === 'ImportInProgress')
      return {
        type: 'Normal',
        reason: EventReason.importInProgress,
        message: Message.importInProgress(claimName),
      };
    if (phase === 'Succeeded')
      return {
        type: 'Normal',
        reason: EventReason.importSucceeded,
        message: Message.importSucceeded(claimName),
      };
  }
  if (phase === 'Failed')
    return { type: 'Warning', reason: EventReason.claimLost, message: Message.claimLost(claimName) };
  return undefined;
}

export function dataVolumeStatus(i: StatusInputs): StatusResult {
  const { dv, claim, pod, source, now } = i;
  const prev = dv.status ?? {};
  const status: DataVolumeStatus = { ...structuredClone(prev) };
  let conditions: CdiCondition[] = structuredClone(prev.conditions ?? []);
  const events: EventSpec[] = [];
  const clone = source.type === 'clone';
  let succeeded = false;

  if (!claim) {
    // CDI: no claim yet -> Pending (a phase already reached is kept, e.g. after the claim went away).
    if (!prev.phase) status.phase = 'Pending';
    const p = i.problem;
    const boundStatus: CdiStatus = p?.reason === Reason.cloneWithoutSource ? 'Unknown' : 'False';
    conditions = updateCdiCondition(
      conditions,
      'Bound',
      boundStatus,
      p?.reason ?? Reason.notFound,
      p?.message ?? Message.noPvc,
      now,
    );
    conditions = updateCdiCondition(conditions, 'Ready', 'False', p?.reason ?? '', p?.message ?? '', now);
    conditions = updateCdiCondition(conditions, 'Running', 'False', p?.reason ?? '', p?.message ?? '', now);
    const before = findCdiCondition(prev.conditions, 'Running');
    if (p && (before?.reason !== p.reason || before?.message !== p.message))
      events.push({ type: 'Warning', reason: p.reason, message: p.message });
    status.conditions = conditions;
    if (!status.progress) status.progress = PROGRESS_UNKNOWN;
    return { status, events, succeeded };
  }

  const name = claim.metadata?.name ?? '';
  const anns = claim.metadata?.annotations ?? {};
  status.claimName = name;
  const claimPhase = claim.status?.phase;
  const done =
    anns[Ann.podPhase] === 'Succeeded' ||
    podSucceeded(pod) ||
    (claimPhase === 'Bound' && anns[Ann.populatedFor] === dv.metadata?.name) ||
    // Filled by whoever made the claim (a VM restore): done once the claim is bound.
    (claimPhase === 'Bound' && dv.metadata?.annotations?.[Ann.prePopulated] !== undefined);
  let phase: Phase = (prev.phase as Phase | undefined) ?? 'Pending';
  const upload = source.type === 'upload';
  const scheduled: Phase = clone ? 'CloneScheduled' : upload ? 'UploadScheduled' : 'ImportScheduled';
  // An upload server is "in progress" once it is Ready to take the upload (CDI's UploadReady).
  const podReady = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const inProgress: Phase = clone
    ? 'CloneInProgress'
    : upload
      ? podReady
        ? 'UploadReady'
        : 'UploadScheduled'
      : 'ImportInProgress';
  if (done) {
    phase = 'Succeeded';
    succeeded = true;
  } else if (claimPhase === 'Pending') {
    phase = i.waitForFirstConsumer ? 'WaitForFirstConsumer' : 'Pending';
    if (pod?.status?.phase === 'Running') phase = inProgress;
  } else if (claimPhase === 'Bound') {
    const podPhase = pod?.status?.phase;
    if (!pod) phase = EARLY_PHASES.includes(prev.phase) ? 'PVCBound' : scheduled;
    else if (podPhase === 'Running') phase = inProgress;
    else phase = scheduled;
    if (podPhase === 'Failed')
      events.push({
        type: 'Warning',
        reason: EventReason.importFailed,
        message: Message.importFailed(name),
      });
  } else if (claimPhase === 'Lost') {
    phase = 'Failed';
  } else if (claimPhase) {
    phase = 'Unknown';
  }
  status.phase = phase;

  // Bound, as CDI reports the claim.
  if (claimPhase === 'Bound')
    conditions = updateCdiCondition(conditions, 'Bound', 'True', Reason.bound, Message.pvcBound(name), now);
  else if (claimPhase === 'Pending')
    conditions = updateCdiCondition(
      conditions,
      'Bound',
      'False',
      Reason.pending,
      Message.pvcPending(name),
      now,
    );
  else if (claimPhase === 'Lost')
    conditions = updateCdiCondition(
      conditions,
      'Bound',
      'False',
      Reason.claimLost,
      Message.claimLostCondition,
      now,
    );
  else conditions = updateCdiCondition(conditions, 'Bound', 'False', '', '', now);

  const readyStatus: CdiStatus = phase === 'Succeeded' ? 'True' : phase === 'Unknown' ? 'Unknown' : 'False';
  let running: { status: CdiStatus; reason: string; message: string };
  if (done)
    running = {
      status: 'False',
      reason: Reason.completed,
      message: clone ? Message.cloneComplete : upload ? Message.uploadComplete : IMPORT_COMPLETE_MESSAGE,
    };
  else if (pod) running = runningFromPod(pod);
  else {
    const keep = findCdiCondition(prev.conditions, 'Running');
    running =
      keep && keep.status === 'False' && keep.reason === Reason.error
        ? { status: 'False', reason: keep.reason, message: keep.message ?? '' }
        : { status: 'False', reason: '', message: '' };
  }
  conditions = updateCdiCondition(
    conditions,
    'Ready',
    readyStatus,
    running.status === 'True' && readyStatus === 'False' ? Reason.transferRunning : '',
    '',
    now,
  );
  conditions = updateCdiCondition(
    conditions,
    'Running',
    running.status,
    running.reason,
    running.message,
    now,
  );
  status.conditions = conditions;

  // Progress: the runner's figure while it runs, 100.0% once done, N/A before anything is known.
  if (phase === 'Succeeded') status.progress = PROGRESS_DONE;
  else {
    const p = pod?.status?.conditions?.find((c) => c.type === PROGRESS_CONDITION)?.message?.trim();
    if (p && PROGRESS_RE.test(p)) status.progress = p;
    else if (!status.progress) status.progress = PROGRESS_UNKNOWN;
  }
  const restarts = Math.max(
    prev.restartCount ?? 0,
    container(pod)?.restartCount ?? 0,
    Number(anns[Ann.podRestarts]) || 0,
  );
  status.restartCount = restarts;

  // Events: the Bound condition's changes, a failed run's message, the phase's changes.
  const boundNow = findCdiCondition(conditions, 'Bound');
  const boundBefore = findCdiCondition(prev.conditions, 'Bound');
  if (
    boundNow?.reason &&
    (!boundBefore ||
      boundBefore.status !== boundNow.status ||
      boundBefore.reason !== boundNow.reason ||
      boundBefore.message !== boundNow.message)
  )
    events.push({ type: 'Normal', reason: boundNow.reason, message: boundNow.message ?? '' });
  const runBefore = findCdiCondition(prev.conditions, 'Running');
  if (
    readyStatus === 'False' &&
    running.status === 'False' &&
    boundNow?.status === 'True' &&
    running.message &&
    runBefore?.message !== running.message
  )
    events.push({ type: 'Warning', reason: running.reason || Reason.error, message: running.message });
  if (phase !== prev.phase) {
    // A pod that was already running when first seen skips the scheduled phase: its Event (what
    // CDI records when it makes the pod) still comes first.
    const before = prev.phase ?? '';
    if (
      pod &&
      phase !== scheduled &&
      (phase === inProgress || phase === 'Succeeded') &&
      before !== scheduled &&
      before !== inProgress
    ) {
      const ev = phaseEvent(scheduled, dv, source, name);
      if (ev) events.push(ev);
    }
    const ev = phaseEvent(phase, dv, source, name);
    if (ev) events.push(ev);
  }
  return { status, events, succeeded };
}
