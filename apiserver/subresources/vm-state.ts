/**
 * What `PUT .../virtualmachines/{name}/start|stop|restart` (subresources.kubevirt.io/v1) does to
 * a VirtualMachine, decided the way KubeVirt's virt-api decides it: from the VM, its VMI (if
 * any) and the request's options, either the JSON patches to write or the refusal (a Status with
 * KubeVirt's code and message). Pure: ./vm-state-handlers.ts reads the objects and writes.
 *
 * What each verb writes, by run strategy (spec.runStrategy, or the deprecated spec.running:
 * true = Always, false or neither = Halted):
 *
 *   start    Halted           spec.runStrategy (or spec.running) -> Always / true; with `paused`
 *                             a Start request with data {paused: "true"} instead (the controller
 *                             then switches the VM to Always and starts the VMI paused)
 *            Manual           a Start request; a Stop (VMI uid) + Start when the VMI is final
 *            RerunOnFailure   a Start request; Stop + Start after Succeeded; refused after Failed
 *            Always, Once     refused: "<strategy> does not support manual start requests"
 *            any, VMI live    refused: "VM is already running"
 *            any, status.restoreInProgress   refused: "Cannot start VM until restore ... completes"
 *   stop     Always, Once     spec.runStrategy (or spec.running) -> Halted / false
 *            Manual, RerunOnFailure   a Stop request for the VMI's uid; refused without a live VMI
 *            Halted           only to shorten the grace period of a VMI still stopping
 *            with gracePeriod the live VMI's spec.terminationGracePeriodSeconds is set first
 *   restart  Always, Manual, RerunOnFailure   Stop (VMI uid) + Start requests
 *            Halted, Once     refused; no VMI: "VM is not running: Halted"
 *            gracePeriodSeconds 0 sets the VMI's terminationGracePeriodSeconds to 1 first
 *
 * Requests go to `status.stateChangeRequests` through the status subresource, guarded by a JSON
 * patch `test` of the list as it was read; the run strategy goes to the spec, guarded by a `test`
 * of its old value. A lost race is a 409 Conflict. A pending request refuses a new start or
 * restart (a stop replaces pending requests), and a recorded `status.startFailure` (crash-loop
 * back-off) is removed so the new request is acted on at once.
 *
 * Where virtkit does better than KubeVirt (each said where it happens): everything is decided
 * before anything is written, so a refused request changes nothing (KubeVirt may already have
 * changed the VMI's grace period); a stop whose VM patch fails puts the grace period back, as
 * KubeVirt's restart does; a run strategy the verb does not handle (WaitAsReceiver) is refused
 * instead of answered 202 with nothing done.
 */
import type {
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineStateChangeRequest,
} from '../../api/kubevirt/v1';
import { failure } from '../../common/kube-status';
import type { SubresourceAnswer } from './types';

export type VmStateVerb = 'start' | 'stop' | 'restart';

export const VM_STATE_VERBS: readonly VmStateVerb[] = ['start', 'stop', 'restart'];

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  readonly op: 'add' | 'remove' | 'replace' | 'test';
  readonly path: string;
  readonly value?: unknown;
}

/** KubeVirt's StartOptions, StopOptions and RestartOptions, read from the request body. */
export type VmStateOptions =
  | { readonly verb: 'start'; readonly paused: boolean; readonly dryRun: boolean }
  | { readonly verb: 'stop'; readonly gracePeriod?: number; readonly dryRun: boolean }
  | { readonly verb: 'restart'; readonly gracePeriodSeconds?: number; readonly dryRun: boolean };

/** What to write, in order: the VMI's grace period (if any), then the VM. */
export interface VmStateWrites {
  /** JSON patch of the VMI's spec.terminationGracePeriodSeconds, and the patch that undoes it. */
  readonly vmi?: { readonly ops: readonly JsonPatchOp[]; readonly rollback: readonly JsonPatchOp[] };
  /** JSON patch of the VM: its spec (main resource) or its status (the status subresource). */
  readonly vm: { readonly subresource?: 'status'; readonly ops: readonly JsonPatchOp[] };
  /** dryRun: ["All"]: the API server checks every write and stores none. */
  readonly dryRun: boolean;
}

export type VmStateDecision =
  | { readonly writes: VmStateWrites; readonly refusal?: undefined }
  | { readonly refusal: SubresourceAnswer; readonly writes?: undefined };

// --- KubeVirt's answers (Kubernetes StatusErrors for resource "virtualmachine.kubevirt.io") ---

const GROUP = 'kubevirt.io';
const RESOURCE = 'virtualmachine';

/** Status and messages virt-api answers, word for word. */
export const MESSAGES = {
  alreadyRunning: 'VM is already running',
  notRunning: 'VM is not running',
  notRunningHalted: 'VM is not running: Halted',
  pendingRequest: 'unable to complete request: stop/start already underway',
  mutuallyExclusive: 'running and runstrategy are mutually exclusive',
  rerunFromFailed: 'RerunOnFailure does not support starting VM from failed state',
  haltedStop: 'Halted only supports manual stop requests with a shorter graceperiod',
  forceRestartOnlyZero: 'For force restart, only gracePeriod=0 is supported for now',
  negativeGrace: 'gracePeriod has to be greater or equal to 0',
  manualRecovery:
    'VM recovery required: Volume migration failed, leaving some volumes pointing to non-consistent targets; manual intervention is needed to reassign them to their original volumes.',
  noStart: (strategy: string): string => `${strategy} does not support manual start requests`,
  // The sentence of KubeVirt's VM admission (a start is a run strategy change it refuses), and how to go on.
  restoreInProgress: (vm: VirtualMachine, restore: string): string =>
    `Cannot start VM until restore ${JSON.stringify(restore)} completes; status.restoreInProgress of VirtualMachine ${vm.metadata?.namespace ?? ''}/${vm.metadata?.name ?? ''} names it: wait for VirtualMachineRestore ${vm.metadata?.namespace ?? ''}/${restore} to complete (status.complete: true) or delete it, then start the VM`,
  noStop: (strategy: string): string => `${strategy} does not support manual stop requests`,
  // "RunStategy" is KubeVirt's spelling; clients may match on it.
  noRestart: (strategy: string): string => `RunStategy ${strategy} does not support manual restart requests`,
} as const;

function details(name: string): Record<string, unknown> {
  return { name, group: GROUP, kind: RESOURCE };
}

/** 404: `virtualmachine.kubevirt.io "NAME" not found`. */
export function vmNotFound(name: string): SubresourceAnswer {
  return failure(404, `${RESOURCE}.${GROUP} ${JSON.stringify(name)} not found`, details(name));
}

/** 409: `Operation cannot be fulfilled on virtualmachine.kubevirt.io "NAME": WHY`. */
export function vmConflict(name: string, why: string): SubresourceAnswer {
  return failure(
    409,
    `Operation cannot be fulfilled on ${RESOURCE}.${GROUP} ${JSON.stringify(name)}: ${why}`,
    details(name),
  );
}

/** 500: `Internal error occurred: WHY`. */
export function internalError(why: string): SubresourceAnswer {
  return failure(500, `Internal error occurred: ${why}`, { causes: [{ message: why }] });
}

/** 400 with the message as it is. */
export function badRequest(why: string): SubresourceAnswer {
  return failure(400, why);
}

/**
 * What the kube-apiserver answers when a JSON patch does not apply (a `test` failed, a path is
 * missing): 422 with this message and nothing more, the operation's own error is not passed on.
 */
export const PATCH_NOT_APPLIED = 'the server rejected our request due to an error in our request';

/**
 * The answer to a failed write of the VM. A patch that no longer applies means someone changed
 * the VM since it was read: 409 Conflict, with virt-api's "jsonpatch test operation does not
 * apply" in the message (virt-api means to answer 409 here too, but looks for its words in the
 * API server's message, where they never are, and answers 500). Anything else is a 500.
 */
export function vmWriteFailure(name: string, status: number, message: string): SubresourceAnswer {
  if (status === 409) return vmConflict(name, message);
  if (status === 422 && message === PATCH_NOT_APPLIED)
    return vmConflict(
      name,
      'jsonpatch test operation does not apply: the VM changed while the request was handled; try again',
    );
  return internalError(message);
}

// --- the request body ---

const UNMARSHAL = 'Can not unmarshal Request body to struct, error: ';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An int64 field: absent (or null) is undefined. */
function int64(body: Record<string, unknown>, field: string, type: string): number | string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    return `${UNMARSHAL}${type}.${field} must be a whole number of seconds, not ${JSON.stringify(v)}`;
  return v;
}

/**
 * Reads the options of `verb` from the parsed body (undefined when there is none), as virt-api
 * decodes StartOptions (`paused`, `dryRun`), StopOptions (`gracePeriod`, `dryRun`) and
 * RestartOptions (`gracePeriodSeconds`, `dryRun`); unknown fields are ignored, as there.
 * `dryRun` is a list whose only valid value is "All" (what the API server accepts).
 */
export function parseVmStateOptions(
  verb: VmStateVerb,
  body: unknown,
): { readonly options: VmStateOptions } | { readonly refusal: SubresourceAnswer } {
  const type = { start: 'StartOptions', stop: 'StopOptions', restart: 'RestartOptions' }[verb];
  if (body === undefined || body === null || (typeof body === 'string' && body.trim() === '')) body = {};
  if (!isObject(body))
    return {
      refusal: badRequest(`${UNMARSHAL}the body must be a ${type} object, not ${JSON.stringify(body)}`),
    };

  let dryRun = false;
  const dr = body.dryRun;
  if (dr !== undefined && dr !== null) {
    if (!Array.isArray(dr) || dr.some((x) => typeof x !== 'string'))
      return { refusal: badRequest(`${UNMARSHAL}${type}.dryRun must be a list of strings, such as ["All"]`) };
    const bad = dr.find((x) => x !== 'All');
    if (bad !== undefined)
      return {
        refusal: badRequest(`dryRun: Unsupported value: ${JSON.stringify(bad)}: supported values: "All"`),
      };
    dryRun = dr.length > 0;
  }

  switch (verb) {
    case 'start': {
      const p = body.paused;
      if (p !== undefined && p !== null && typeof p !== 'boolean')
        return {
          refusal: badRequest(`${UNMARSHAL}${type}.paused must be true or false, not ${JSON.stringify(p)}`),
        };
      return { options: { verb, paused: p === true, dryRun } };
    }
    case 'stop': {
      const g = int64(body, 'gracePeriod', type);
      if (typeof g === 'string') return { refusal: badRequest(g) };
      return { options: { verb, gracePeriod: g, dryRun } };
    }
    case 'restart': {
      const g = int64(body, 'gracePeriodSeconds', type);
      if (typeof g === 'string') return { refusal: badRequest(g) };
      // Checked before the VM is even read, as virt-api does.
      if (g !== undefined && g > 0) return { refusal: badRequest(MESSAGES.forceRestartOnlyZero) };
      if (g !== undefined && g < 0) return { refusal: badRequest(MESSAGES.negativeGrace) };
      return { options: { verb, gracePeriodSeconds: g, dryRun } };
    }
  }
}

// --- the decision ---

export interface VmStateInputs {
  /** The VM's name, as the request path gives it. */
  readonly name: string;
  readonly options: VmStateOptions;
  readonly vm: VirtualMachine;
  /** The VMI of the same name, if it exists. */
  readonly vmi: VirtualMachineInstance | undefined;
}

/** spec.runStrategy, or spec.running mapped (true = Always, false = Halted), or Halted; both set is an error. */
export function vmRunStrategy(vm: VirtualMachine): { strategy: string } | { error: string } {
  const spec = (vm.spec ?? {}) as { running?: boolean | null; runStrategy?: string | null };
  const hasRunning = spec.running !== undefined && spec.running !== null;
  const hasStrategy = spec.runStrategy !== undefined && spec.runStrategy !== null;
  if (hasRunning && hasStrategy) return { error: MESSAGES.mutuallyExclusive };
  if (hasRunning) return { strategy: spec.running === true ? 'Always' : 'Halted' };
  if (hasStrategy) return { strategy: String(spec.runStrategy) };
  return { strategy: 'Halted' };
}

function isFinal(vmi: VirtualMachineInstance | undefined): boolean {
  const p = vmi?.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

function hasTrueCondition(vm: VirtualMachine, type: string): boolean {
  return (vm.status?.conditions ?? []).some((c) => (c.type as string) === type && c.status === 'True');
}

/** Go's "semantically empty" status: no field with a non-zero value. */
function isEmptyStatus(status: VirtualMachine['status']): boolean {
  if (!status) return true;
  return Object.values(status).every(
    (v) =>
      v === undefined ||
      v === null ||
      v === false ||
      v === 0 ||
      v === '' ||
      (Array.isArray(v) && v.length === 0),
  );
}

/**
 * The status patch that records `changes`: the whole status when the VM has none; else a `test`
 * of the current list, then `add` when it is empty, `replace` for a lone Stop (a stop overrides
 * pending requests); any other change with requests pending is refused. A recorded start failure
 * (crash-loop back-off) is removed.
 */
export function stateChangePatch(
  vm: VirtualMachine,
  changes: readonly VirtualMachineStateChangeRequest[],
): { ops: JsonPatchOp[] } | { error: string } {
  const ops: JsonPatchOp[] = [];
  const status = vm.status;
  if (isEmptyStatus(status)) {
    ops.push({ op: 'add', path: '/status', value: { stateChangeRequests: changes } });
  } else {
    const current = status?.stateChangeRequests;
    ops.push({ op: 'test', path: '/status/stateChangeRequests', value: current ?? null });
    if (!current || current.length === 0)
      ops.push({ op: 'add', path: '/status/stateChangeRequests', value: changes });
    else if (changes.length === 1 && changes[0].action === 'Stop')
      ops.push({ op: 'replace', path: '/status/stateChangeRequests', value: changes });
    else return { error: MESSAGES.pendingRequest };
  }
  if (status?.startFailure) ops.push({ op: 'remove', path: '/status/startFailure' });
  return { ops };
}

/**
 * The spec patch that makes the VM run (Always / running: true) or stop (Halted / false),
 * guarded by a `test` of the old value. A VM with neither field (admission refuses one; it could
 * only be stored without it) gets spec.runStrategy.
 */
export function runStrategyPatch(vm: VirtualMachine, run: boolean): JsonPatchOp[] {
  const spec = (vm.spec ?? {}) as { running?: boolean | null; runStrategy?: string | null };
  const strategy = run ? 'Always' : 'Halted';
  if (spec.runStrategy !== undefined && spec.runStrategy !== null)
    return [
      { op: 'test', path: '/spec/runStrategy', value: spec.runStrategy },
      { op: 'replace', path: '/spec/runStrategy', value: strategy },
    ];
  if (spec.running !== undefined && spec.running !== null)
    return [
      { op: 'test', path: '/spec/running', value: spec.running },
      { op: 'replace', path: '/spec/running', value: run },
    ];
  return [
    { op: 'test', path: '/spec/running', value: null },
    { op: 'add', path: '/spec/runStrategy', value: strategy },
  ];
}

const GRACE_PATH = '/spec/terminationGracePeriodSeconds';

/** Sets the VMI's terminationGracePeriodSeconds (guarded by its old value), and the patch that puts it back. */
export function gracePeriodPatch(
  vmi: VirtualMachineInstance,
  seconds: number,
): NonNullable<VmStateWrites['vmi']> {
  const old = vmi.spec?.terminationGracePeriodSeconds;
  const had = old !== undefined && old !== null;
  return {
    ops: [
      { op: 'test', path: GRACE_PATH, value: had ? old : null },
      { op: had ? 'replace' : 'add', path: GRACE_PATH, value: seconds },
    ],
    rollback: [
      { op: 'test', path: GRACE_PATH, value: seconds },
      had ? { op: 'replace', path: GRACE_PATH, value: old } : { op: 'remove', path: GRACE_PATH },
    ],
  };
}

function refuse(refusal: SubresourceAnswer): VmStateDecision {
  return { refusal };
}

function statusWrite(
  vm: VirtualMachine,
  changes: VirtualMachineStateChangeRequest[],
  dryRun: boolean,
  vmi?: VmStateWrites['vmi'],
): VmStateDecision {
  const p = stateChangePatch(vm, changes);
  if ('error' in p) return refuse(internalError(p.error));
  return { writes: { ...(vmi ? { vmi } : {}), vm: { subresource: 'status', ops: p.ops }, dryRun } };
}

function specWrite(
  vm: VirtualMachine,
  run: boolean,
  dryRun: boolean,
  vmi?: VmStateWrites['vmi'],
): VmStateDecision {
  return { writes: { ...(vmi ? { vmi } : {}), vm: { ops: runStrategyPatch(vm, run) }, dryRun } };
}

function stopRequest(vmi: VirtualMachineInstance): VirtualMachineStateChangeRequest {
  return { action: 'Stop', uid: vmi.metadata?.uid ?? '' };
}

function startRequest(paused: boolean): VirtualMachineStateChangeRequest {
  return paused ? { action: 'Start', data: { paused: 'true' } } : { action: 'Start' };
}

function decideStart(i: VmStateInputs, paused: boolean, dryRun: boolean): VmStateDecision {
  const { name, vm, vmi } = i;
  const phase = vmi?.status?.phase;
  if (vmi && !isFinal(vmi) && phase !== 'Unknown' && phase !== undefined && (phase as string) !== '')
    return refuse(vmConflict(name, MESSAGES.alreadyRunning));
  if (hasTrueCondition(vm, 'ManualRecoveryRequired'))
    return refuse(vmConflict(name, MESSAGES.manualRecovery));
  // A VM being restored stays stopped until its restore completes (admission refuses the same
  // start written into the spec; the VM controller holds back a Start request).
  const restore = vm.status?.restoreInProgress;
  if (restore) return refuse(vmConflict(name, MESSAGES.restoreInProgress(vm, restore)));
  const rs = vmRunStrategy(vm);
  if ('error' in rs) return refuse(internalError(rs.error));
  switch (rs.strategy) {
    case 'Halted':
      // A paused start needs the request's data to reach the VMI: the controller switches the
      // VM to Always on seeing it, and starts the VMI paused.
      return paused ? statusWrite(vm, [startRequest(true)], dryRun) : specWrite(vm, true, dryRun);
    case 'Manual':
    case 'RerunOnFailure': {
      const phaseNow = vmi?.status?.phase;
      if (rs.strategy === 'RerunOnFailure' && phaseNow === 'Failed')
        return refuse(vmConflict(name, MESSAGES.rerunFromFailed));
      const restart =
        vmi !== undefined && (rs.strategy === 'Manual' ? isFinal(vmi) : phaseNow === 'Succeeded');
      return statusWrite(
        vm,
        restart && vmi ? [stopRequest(vmi), startRequest(paused)] : [startRequest(paused)],
        dryRun,
      );
    }
    default:
      // Always and Once as KubeVirt; WaitAsReceiver (and anything unknown) too, rather than a no-op.
      return refuse(vmConflict(name, MESSAGES.noStart(rs.strategy)));
  }
}

function decideStop(i: VmStateInputs, grace: number | undefined, dryRun: boolean): VmStateDecision {
  const { name, vm, vmi } = i;
  const rs = vmRunStrategy(vm);
  if ('error' in rs) return refuse(internalError(rs.error));
  const live = vmi !== undefined && !isFinal(vmi) ? vmi : undefined;
  const gracePatch = live && grace !== undefined ? gracePeriodPatch(live, grace) : undefined;
  switch (rs.strategy) {
    case 'Halted': {
      if (!live) return refuse(vmConflict(name, MESSAGES.notRunning));
      const current = live.spec?.terminationGracePeriodSeconds;
      if (grace === undefined || (current !== undefined && current !== null && grace >= current))
        return refuse(vmConflict(name, MESSAGES.haltedStop));
      return statusWrite(vm, [stopRequest(live)], dryRun, gracePatch);
    }
    case 'Manual':
    case 'RerunOnFailure':
      if (!live) return refuse(vmConflict(name, MESSAGES.notRunning));
      return statusWrite(vm, [stopRequest(live)], dryRun, gracePatch);
    case 'Always':
    case 'Once':
      return specWrite(vm, false, dryRun, gracePatch);
    default:
      return refuse(vmConflict(name, MESSAGES.noStop(rs.strategy)));
  }
}

function decideRestart(i: VmStateInputs, grace: number | undefined, dryRun: boolean): VmStateDecision {
  const { name, vm, vmi } = i;
  if (hasTrueCondition(vm, 'VolumesChange')) return refuse(vmConflict(name, MESSAGES.manualRecovery));
  const rs = vmRunStrategy(vm);
  if ('error' in rs) return refuse(internalError(rs.error));
  if (!['Always', 'Manual', 'RerunOnFailure'].includes(rs.strategy))
    return refuse(vmConflict(name, MESSAGES.noRestart(rs.strategy)));
  if (!vmi) return refuse(vmConflict(name, MESSAGES.notRunningHalted));
  // A forced restart (gracePeriodSeconds 0) gives the guest 1 s, KubeVirt's shortest safe period.
  const gracePatch = grace === 0 ? gracePeriodPatch(vmi, 1) : undefined;
  return statusWrite(vm, [stopRequest(vmi), startRequest(false)], dryRun, gracePatch);
}

/** What virt-api does for this request: the writes, or the refusal. */
export function decideVmState(i: VmStateInputs): VmStateDecision {
  const o = i.options;
  switch (o.verb) {
    case 'start':
      return decideStart(i, o.paused, o.dryRun);
    case 'stop':
      return decideStop(i, o.gracePeriod, o.dryRun);
    case 'restart':
      return decideRestart(i, o.gracePeriodSeconds, o.dryRun);
  }
}
