/**
 * The VM controller's decisions, separated from I/O: given the VM, its VMI (if any) and the
 * time, what to create or delete and what the VM status must say. Follows KubeVirt's run
 * strategies exactly:
 *   Always          keep a VMI; a final one (or a Stop request for it) is deleted and a new one
 *                   started, subject to crash-loop back-off;
 *   RerunOnFailure  delete a final VMI; re-start only after Failed (a Start request is queued);
 *                   Succeeded stays stopped;
 *   Once            start a VMI when none exists; never restart it;
 *   Manual          start on a Start request, stop on a Stop request for the current VMI;
 *   Halted          no VMI; a Start request switches the VM to Always (running: true for VMs
 *                   still using the deprecated field), as KubeVirt does;
 *   running: true / false   = Always / Halted.
 */
import type {
  RunStrategy,
  VirtualMachine,
  VirtualMachineCondition,
  VirtualMachineInstance,
  VirtualMachineStatus,
} from '../../api/kubevirt/v1';
import { findCondition, removeCondition, setCondition } from '../../kube';
import type { EventSpec } from '../../kube';
import { printableStatus } from './printable-status';
import {
  effectiveRunStrategy,
  firstRequestDone,
  hasStartRequest,
  hasStopRequestFor,
  isFinal,
  isMarkedForDeletion,
} from './run-strategy';
import { backoffLeftMs, nextStartFailure } from './start-failure';
import { INVALID_SPEC_REASON, invalidSpecMessage } from '../../api/validation/spec-validity';
import {
  controllerUid,
  instancetypeAnnotations,
  VM_CONTROLLER_FINALIZER,
  VM_GENERATION_ANNOTATION,
  vmiFromVm,
} from './vmi-from-vm';
import {
  expandVirtualMachine,
  referencesInstancetypeOrPreference,
  type ResolvedSpecs,
} from '../../api/instancetype/expand';
import type { ControllerRevision } from './instancetype-revision';
import { RESTART_REQUIRED_MESSAGE, startRevision } from './start-revision';
import { metav1Time } from '../../api/k8s/meta';

export interface VmInputs {
  readonly vm: VirtualMachine;
  readonly vmi: VirtualMachineInstance | undefined;
  readonly now: Date;
  readonly random?: () => number;
  readonly dataVolumesProvisioning?: boolean;
  readonly dataVolumeError?: boolean;
  /** A claim the template uses exists and is not Bound. */
  readonly waitingForVolumeBinding?: boolean;
  /** Errors the api/ validation finds in the VM (api/validation/spec-validity.ts): nothing is started or stopped. */
  readonly specProblems?: readonly string[];
  /** The instancetype and preference specs the VM's revisions hold: its VMIs are built with them. */
  readonly instancetypeSpecs?: ResolvedSpecs;
  /** Why the instancetype step could not resolve or store them (./instancetype-sync.ts): nothing is started or stopped. */
  readonly instancetypeFailure?: { readonly reason: string; readonly message: string };
  /**
   * The VM as the instancetype step resolved it (matchers naming what inferFromVolume found,
   * ./infer-from-volume.ts): the VMI and its start revision are built from it. @default vm
   */
  readonly source?: VirtualMachine;
  /** Whether the VMI must restart to reflect the VM (./start-revision.ts); undefined = not known. */
  readonly restartRequired?: boolean;
}

export interface VmDecision {
  /** Create this VMI (POST; AlreadyExists means a previous attempt won). */
  readonly createVmi?: VirtualMachineInstance;
  /** Before the VMI, record what it is started from (KubeVirt's revision-start-vm-<uid>-<generation>). */
  readonly startRevision?: ControllerRevision;
  /** Delete the VMI with this UID (precondition), e.g. on stop. */
  readonly deleteVmi?: { readonly name: string; readonly uid: string };
  readonly addFinalizer?: boolean;
  readonly removeFinalizer?: boolean;
  /** Remove the VM controller's finalizer from this final (or deleted) VMI once status is recorded. */
  readonly releaseVmi?: {
    readonly name: string;
    readonly uid: string;
    readonly finalizers: readonly string[];
  };
  /** Spec fields to change (only Halted + Start request, as KubeVirt does). */
  readonly specPatch?: { runStrategy?: RunStrategy; running?: boolean };
  /** Queue a Start request (RerunOnFailure after a failure). */
  readonly appendStartRequest?: boolean;
  readonly events: readonly EventSpec[];
  /** Reconcile again after this many ms (crash-loop back-off). */
  readonly requeueAfterMs?: number;
  /** A problem that stops the VM from being reconciled (shown as the Failure condition). */
  readonly syncError?: { readonly reason: string; readonly message: string };
}

function ref(vmi: VirtualMachineInstance): { name: string; uid: string } {
  return { name: vmi.metadata?.name ?? '', uid: vmi.metadata?.uid ?? '' };
}

function stopEvent(vmi: VirtualMachineInstance): EventSpec {
  return {
    type: 'Normal',
    reason: 'SuccessfulDelete',
    message: `Stopping the virtual machine: deleting its instance ${vmi.metadata?.name} (uid ${vmi.metadata?.uid}, phase ${vmi.status?.phase ?? 'none'})`,
  };
}

/** A Warning Event for a Failure condition, unless the VM's condition already says exactly that. */
function failureEvents(vm: VirtualMachine, reason: string, message: string): EventSpec[] {
  const prev = findCondition(vm.status?.conditions, 'Failure');
  return prev?.reason === reason && prev.message === message ? [] : [{ type: 'Warning', reason, message }];
}

/**
 * The VM the VMI is built from: its template with the instancetype and preference applied
 * (api/instancetype/expand), or KubeVirt's refusal.
 */
function vmiSource(
  vm: VirtualMachine,
  specs: ResolvedSpecs | undefined,
): { vm: VirtualMachine } | { message: string } {
  if (!referencesInstancetypeOrPreference(vm)) return { vm };
  const r = expandVirtualMachine(vm, specs ?? {});
  if (r.ok) return { vm: r.vm };
  return { message: r.problems.map((p) => p.message).join('; ') || r.message };
}

/** What to do about the VMI of `vm` under its run strategy. */
export function decideVm(inputs: VmInputs): VmDecision {
  const { vm, vmi, now } = inputs;
  const events: EventSpec[] = [];
  const name = vm.metadata?.name ?? '';
  const hasFinalizer = (vm.metadata?.finalizers ?? []).includes(VM_CONTROLLER_FINALIZER);
  const release =
    vmi &&
    (isFinal(vmi) || (vmi.status?.phase === 'WaitingForSync' && isMarkedForDeletion(vmi))) &&
    (vmi.metadata?.finalizers ?? []).includes(VM_CONTROLLER_FINALIZER)
      ? { ...ref(vmi), finalizers: vmi.metadata?.finalizers ?? [] }
      : undefined;

  if (vmi && controllerUid(vmi) !== vm.metadata?.uid) {
    return {
      events,
      syncError: {
        reason: 'FailedCreate',
        message: `VirtualMachineInstance ${vm.metadata?.namespace}/${name} exists but is not controlled by this VirtualMachine (owner uid ${controllerUid(vmi) ?? 'none'}); delete it or rename the VM`,
      },
    };
  }

  if (isMarkedForDeletion(vm)) {
    if (vmi && !isMarkedForDeletion(vmi)) {
      events.push(stopEvent(vmi));
      return { deleteVmi: ref(vmi), releaseVmi: release, events };
    }
    return { removeFinalizer: !vmi && hasFinalizer, releaseVmi: release, events };
  }

  // An invalid VM (stored without admission) is left as it is, and says why.
  if (inputs.specProblems?.length) {
    const message = invalidSpecMessage('VirtualMachine', inputs.specProblems);
    const prev = findCondition(vm.status?.conditions, 'Failure');
    const told = prev?.reason === INVALID_SPEC_REASON && prev.message === message;
    return {
      releaseVmi: release,
      events: told ? [] : [{ type: 'Warning', reason: INVALID_SPEC_REASON, message }],
      syncError: { reason: INVALID_SPEC_REASON, message },
    };
  }

  const base = { addFinalizer: !hasFinalizer, releaseVmi: release };

  // KubeVirt's instancetype step comes before the run strategy: while it fails, nothing starts or stops.
  if (inputs.instancetypeFailure) {
    const { reason, message } = inputs.instancetypeFailure;
    return { ...base, events: failureEvents(vm, reason, message), syncError: { reason, message } };
  }

  const strategy = effectiveRunStrategy(vm);
  // A VM being restored (status.restoreInProgress, the restore controller's lock) is not started,
  // as KubeVirt's VM controller does not start one: its volumes are being replaced. Nothing is
  // consumed either (a Start request stays queued), and no event is repeated on every round; the
  // restore's completion clears the field, and that update brings the VM back here.
  const restoring = !!vm.status?.restoreInProgress;
  const start = (): VmDecision => {
    if (restoring) return { ...base, events };
    const failure = nextStartFailure(vm, strategy, vmi, now, inputs.random);
    const wait = backoffLeftMs(failure, now);
    if (wait > 0) return { ...base, events, requeueAfterMs: wait };
    const from = inputs.source ?? vm;
    const source = vmiSource(from, inputs.instancetypeSpecs);
    if ('message' in source) {
      const message = `Failure while starting VMI: ${source.message}`;
      return {
        ...base,
        events: failureEvents(vm, 'FailedCreate', message),
        syncError: { reason: 'FailedCreate', message },
      };
    }
    const created = vmiFromVm(source.vm);
    const annotations = instancetypeAnnotations(from);
    if (Object.keys(annotations).length)
      created.metadata = {
        ...created.metadata,
        annotations: { ...created.metadata?.annotations, ...annotations },
      };
    events.push({
      type: 'Normal',
      reason: 'SuccessfulCreate',
      message: `Starting the virtual machine: created its instance ${created.metadata?.name}`,
    });
    return { ...base, startRevision: startRevision(from), createVmi: created, events };
  };
  const stop = (extra: Partial<VmDecision> = {}): VmDecision => {
    if (!vmi || isMarkedForDeletion(vmi)) return { ...base, events, ...extra };
    events.push(stopEvent(vmi));
    return { ...base, deleteVmi: ref(vmi), events, ...extra };
  };

  switch (strategy) {
    case 'Always':
      if (vmi) return hasStopRequestFor(vm, vmi) || isFinal(vmi) ? stop() : { ...base, events };
      return start();
    case 'RerunOnFailure':
      if (vmi) {
        const failed = vmi.status?.phase === 'Failed';
        if (!isMarkedForDeletion(vmi) && (hasStopRequestFor(vm, vmi) || isFinal(vmi)))
          return stop(failed ? { appendStartRequest: true } : {});
        return { ...base, events };
      }
      // Coming from another strategy (or never started) starts; a finished run does not.
      if (!hasStartRequest(vm) && vm.status?.runStrategy === strategy) return { ...base, events };
      return start();
    case 'Manual':
      if (vmi) return hasStopRequestFor(vm, vmi) ? stop() : { ...base, events };
      return hasStartRequest(vm) ? start() : { ...base, events };
    case 'Halted':
      if (!vmi) {
        if (hasStartRequest(vm) && !restoring)
          return {
            ...base,
            events,
            specPatch: vm.spec.runStrategy !== undefined ? { runStrategy: 'Always' } : { running: true },
          };
        return { ...base, events };
      }
      return stop();
    case 'Once':
      return vmi ? { ...base, events } : start();
    default:
      return {
        ...base,
        events,
        syncError: {
          reason: 'FailedCreate',
          message: `spec.runStrategy ${strategy} of VirtualMachine ${vm.metadata?.namespace}/${name} is not supported by virtkit yet`,
        },
      };
  }
}

export interface VmStatusInputs extends VmInputs {
  readonly startExpected: boolean;
  readonly stopExpected: boolean;
  readonly appendStartRequest?: boolean;
  readonly syncError?: { readonly reason: string; readonly message: string };
}

type Cond = VirtualMachineCondition;

function readyFromVmi(
  prev: readonly Cond[] | undefined,
  vmi: VirtualMachineInstance | undefined,
  nowIso: string,
): Cond[] {
  if (!vmi)
    return setCondition(prev, {
      type: 'Ready',
      status: 'False',
      reason: 'VMINotExists',
      message: 'VMI does not exist',
      lastProbeTime: null,
      lastTransitionTime: nowIso,
    });
  const r = findCondition(vmi.status?.conditions, 'Ready');
  if (!r)
    return setCondition(prev, {
      type: 'Ready',
      status: 'False',
      reason: 'VMIConditionMissing',
      message: 'VMI is missing the Ready condition',
      lastProbeTime: null,
      lastTransitionTime: nowIso,
    });
  return setCondition(prev, { ...r, type: 'Ready' } as Cond);
}

const NOT_COPIED = new Set(['Ready', 'Failure', 'RestartRequired']);

/** The VM status after this round: everything observed, plus what this round decided. */
export function vmStatus(i: VmStatusInputs): VirtualMachineStatus {
  const { vm, vmi, now } = i;
  const nowIso = metav1Time(now);
  const prev = vm.status ?? {};
  const status: VirtualMachineStatus = { ...structuredClone(prev) };
  const strategy = effectiveRunStrategy(vm);

  status.created = vmi !== undefined;
  status.ready = vmi !== undefined && findCondition(vmi.status?.conditions, 'Ready')?.status === 'True';
  if (vmi) {
    const gen = Number(vmi.metadata?.annotations?.[VM_GENERATION_ANNOTATION]);
    if (Number.isInteger(gen)) status.observedGeneration = gen;
    status.desiredGeneration = vm.metadata?.generation ?? status.desiredGeneration;
  }
  // Recorded once a VMI has existed, so it tells whether the VM was ever started.
  if (status.runStrategy || status.created) status.runStrategy = strategy;

  let requests = [...(prev.stateChangeRequests ?? [])];
  if (firstRequestDone(vm, vmi)) requests = requests.slice(1);
  if (i.appendStartRequest && !requests.some((r) => r.action === 'Start')) requests.push({ action: 'Start' });
  if (requests.length) status.stateChangeRequests = requests;
  else delete status.stateChangeRequests;

  const failure = nextStartFailure(vm, strategy, vmi, now, i.random);
  if (failure) status.startFailure = failure;
  else delete status.startFailure;

  let conditions = readyFromVmi(prev.conditions, vmi, nowIso);
  conditions = i.syncError
    ? setCondition(conditions, {
        type: 'Failure',
        status: 'True',
        reason: i.syncError.reason,
        message: i.syncError.message,
        lastProbeTime: null,
        lastTransitionTime: nowIso,
      })
    : removeCondition(conditions, 'Failure');
  // RestartRequired (./start-revision.ts): gone when the VMI is stopped or a new one started.
  if (!vmi || isMarkedForDeletion(vmi) || i.startExpected || i.stopExpected)
    conditions = removeCondition(conditions, 'RestartRequired');
  else if (i.restartRequired === true)
    conditions = setCondition(conditions, {
      type: 'RestartRequired',
      status: 'True',
      message: RESTART_REQUIRED_MESSAGE,
      lastProbeTime: null,
      lastTransitionTime: nowIso,
    });
  else if (i.restartRequired === false) conditions = removeCondition(conditions, 'RestartRequired');
  if (vmi) {
    const fromVmi = new Set<string>();
    for (const c of vmi.status?.conditions ?? []) {
      if (NOT_COPIED.has(c.type)) continue;
      fromVmi.add(c.type);
      conditions = setCondition(conditions, { ...c } as Cond);
    }
    conditions = conditions.filter((c) => NOT_COPIED.has(c.type) || fromVmi.has(c.type));
  }
  status.conditions = conditions;

  status.printableStatus = printableStatus({
    vm: { ...vm, status },
    vmi,
    strategy,
    startExpected: i.startExpected,
    stopExpected: i.stopExpected,
    dataVolumesProvisioning: i.dataVolumesProvisioning,
    dataVolumeError: i.dataVolumeError,
    waitingForVolumeBinding: i.waitingForVolumeBinding,
  });
  return status;
}

/** decideVm then vmStatus, for callers (and tests) that want both at once. */
export function reconcileVm(inputs: VmInputs): VmDecision & { status: VirtualMachineStatus } {
  const decision = decideVm(inputs);
  const status = vmStatus({
    ...inputs,
    startExpected: decision.createVmi !== undefined,
    stopExpected: decision.deleteVmi !== undefined,
    appendStartRequest: decision.appendStartRequest,
    syncError: decision.syncError,
  });
  return { ...decision, status };
}
