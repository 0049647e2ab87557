/**
 * The VirtualMachineInstance verbs that act on the guest, as virt-api serves them: each reads the
 * VMI, checks it with KubeVirt's rules and words (pure: vmiActionRefusal), then asks the handler
 * of the VMI's node (./node-client.ts), which asks the VMI's launcher:
 *
 *   PUT pause      body PauseOptions {dryRun}    409 "VM is not running", 403 with a liveness
 *                                                probe, 409 "VMI is already paused", 409 while
 *                                                migrating; dryRun checks and stops there
 *   PUT unpause    body UnpauseOptions {dryRun}  409 "VM snapshot is in progress" (its VM),
 *                                                409 "VMI is not running", 409 "VMI is not paused"
 *   PUT softreboot                               409 "VM is not running", "VMI is paused", "VMI
 *                                                neither have the agent connected nor the ACPI
 *                                                feature enabled"
 *   PUT reset                                    no check of its own; a VMI that cannot be reached
 *                                                is "Failed to reset non-running VMI with phase P: ..."
 *   PUT freeze     body {unfreezeTimeout}        409 "VM is not running"; 400 for a missing or
 *                                                unreadable timeout (KubeVirt's words, which
 *                                                virt-handler says and virt-api passes on as 500)
 *   PUT unfreeze                                 409 "VMI is not running"
 *   GET guestosinfo | userlist | filesystemlist  409 "VMI is not running", 409 "VMI does not have
 *                                                guest agent connected"; 200 with the agent's answer
 *
 * A PUT that went through answers 200 with no body (virt-api writes nothing); a handler that
 * refused it is a 500 "Internal error occurred: <its words>", as virt-api wraps virt-handler's
 * failures. Where virtkit differs on purpose: virt-api answers the GET verbs' refusals (no
 * agent, not running) as a 500 with a plain-text body; virtkit answers the same words as the
 * 409 Status the check makes, which clients show the same way.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { readDryRunOptions, readUnfreezeTimeout } from '../../api/kubevirt/v1/vmi-subresources';
import { NODE_VMI_ACTIONS, nodeVmiPath, type NodeVmiAction } from '../../common/node-api';
import { errorMessage, isNotFound, KubeApiError, VIRTUAL_MACHINES } from '../../kube';
import {
  fetchVmi,
  nodeConnectionForVmi,
  nodeInternalError,
  nodeRequest,
  vmiConflict,
  vmiForbidden,
  NodeRequestError,
} from './node-client';
import { failure } from '../../common/kube-status';
import { SubresourceError } from './subresource-error';
import type { SubresourceAnswer, SubresourceContext, SubresourceHandler, SubresourceRequest } from './types';
import { vmConflict } from './vm-state';

export type VmiActionVerb = NodeVmiAction;

/** KubeVirt's words, as virt-api writes them. */
export const VMI_ACTION_MESSAGES = {
  vmNotRunning: 'VM is not running',
  vmiNotRunning: 'VMI is not running',
  vmiNotPaused: 'VMI is not paused',
  alreadyPaused: 'VMI is already paused',
  paused: 'VMI is paused',
  livenessProbe: 'Pausing VMIs with LivenessProbe is currently not supported',
  migrating: (name: string): string => `Cannot pause VM '${name}' because it is currently being migrated`,
  noAgentNoAcpi: 'VMI neither have the agent connected nor the ACPI feature enabled',
  noAgent: 'VMI does not have guest agent connected',
  snapshotInProgress: 'VM snapshot is in progress',
  resetNotRunning: (phase: string, why: string): string =>
    `Failed to reset non-running VMI with phase ${phase}: ${why}`,
} as const;

type Condition = { type?: string; status?: string };

/** What the checks read of a VMI. */
export interface VmiActionFacts {
  readonly metadata?: { readonly name?: string };
  readonly spec?: {
    readonly livenessProbe?: unknown;
    readonly domain?: { readonly features?: { readonly acpi?: { readonly enabled?: boolean } } };
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly Condition[];
    readonly migrationState?: { readonly completed?: boolean };
  };
}

const has = (vmi: VmiActionFacts, type: string): boolean =>
  (vmi.status?.conditions ?? []).some((c) => c.type === type);
const hasTrue = (vmi: VmiActionFacts, type: string): boolean =>
  (vmi.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

/** Why KubeVirt refuses `verb` on this VMI, or undefined when it may go to the node (pure). */
export function vmiActionRefusal(verb: VmiActionVerb, vmi: VmiActionFacts): SubresourceAnswer | undefined {
  const M = VMI_ACTION_MESSAGES;
  const name = vmi.metadata?.name ?? '';
  const running = vmi.status?.phase === 'Running';
  const conflict = (why: string): SubresourceAnswer => vmiConflict(name, why);
  switch (verb) {
    case 'pause':
      if (!running) return conflict(M.vmNotRunning);
      if (vmi.spec?.livenessProbe) return vmiForbidden(name, M.livenessProbe);
      if (has(vmi, 'Paused')) return conflict(M.alreadyPaused);
      if (vmi.status?.migrationState && !vmi.status.migrationState.completed)
        return conflict(M.migrating(name));
      return undefined;
    case 'unpause':
      if (!running) return conflict(M.vmiNotRunning);
      if (!has(vmi, 'Paused')) return conflict(M.vmiNotPaused);
      return undefined;
    case 'softreboot':
      if (!running) return conflict(M.vmNotRunning);
      if (hasTrue(vmi, 'Paused')) return conflict(M.paused);
      if (!has(vmi, 'AgentConnected') && vmi.spec?.domain?.features?.acpi?.enabled === false)
        return conflict(M.noAgentNoAcpi);
      return undefined;
    case 'freeze':
      return running ? undefined : conflict(M.vmNotRunning);
    case 'unfreeze':
      return running ? undefined : conflict(M.vmiNotRunning);
    case 'reset':
      return undefined;
    case 'guestosinfo':
    case 'userlist':
    case 'filesystemlist':
      if (!running) return conflict(M.vmiNotRunning);
      if (!has(vmi, 'AgentConnected')) return conflict(M.noAgent);
      return undefined;
  }
}

/** The request's body as the verb reads it (pure): whether it is a dry run, what to send on. */
export function readVmiActionBody(
  verb: VmiActionVerb,
  body: unknown,
): { refusal: SubresourceAnswer } | { dryRun: boolean; forward?: unknown } {
  if (verb === 'pause' || verb === 'unpause') {
    const read = readDryRunOptions(body);
    if ('problem' in read) return { refusal: failure(400, read.problem) };
    return { dryRun: read.value.dryRun };
  }
  if (verb === 'freeze') {
    const read = readUnfreezeTimeout(body);
    if ('problem' in read) return { refusal: failure(400, read.problem) };
    // Sent on in the form virt-handler reads (a Go duration).
    return { dryRun: false, forward: { unfreezeTimeout: `${read.value.unfreezeTimeoutSeconds}s` } };
  }
  return { dryRun: false };
}

/** Freezing syncs the guest's filesystems first: the node gets longer than for other verbs. */
const FREEZE_TIMEOUT_MS = 60_000;

async function snapshotRefusal(
  namespace: string,
  name: string,
  ctx: SubresourceContext,
): Promise<SubresourceAnswer | undefined> {
  let vm: VirtualMachine;
  try {
    vm = await ctx.client.get<VirtualMachine>(VIRTUAL_MACHINES, namespace, name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new SubresourceError(
      nodeInternalError(
        `unable to retrieve vm [${name}]: ${err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err)}`,
      ),
    );
  }
  return vm.status?.snapshotInProgress ? vmConflict(name, VMI_ACTION_MESSAGES.snapshotInProgress) : undefined;
}

/** KubeVirt's reset rewords every failure of a VMI that is not Running. */
function resetFailure(err: unknown, vmi: VirtualMachineInstance): unknown {
  const phase = vmi.status?.phase ?? '';
  if (phase === 'Running' || !(err instanceof SubresourceError)) return err;
  if (err instanceof NodeRequestError)
    return new SubresourceError(
      nodeInternalError(VMI_ACTION_MESSAGES.resetNotRunning(phase, err.nodeMessage)),
    );
  const body = (err.answer.body ?? {}) as { message?: string; details?: Record<string, unknown> };
  return new SubresourceError(
    failure(
      err.answer.status,
      VMI_ACTION_MESSAGES.resetNotRunning(phase, body.message ?? err.message),
      body.details,
    ),
  );
}

/** The whole request: read, check, ask the node, answer. */
export async function handleVmiAction(
  verb: VmiActionVerb,
  req: SubresourceRequest,
  ctx: SubresourceContext,
): Promise<SubresourceAnswer> {
  const method = NODE_VMI_ACTIONS[verb];
  if (req.method !== method)
    return failure(405, `virtualmachineinstances/${verb} takes ${method}, not ${req.method}`);
  const body = readVmiActionBody(verb, req.body);
  if ('refusal' in body) return body.refusal;
  const { namespace, name } = req;
  const vmi = await fetchVmi(namespace, name, ctx);
  const where = {
    kind: 'VirtualMachineInstance',
    namespace,
    name,
    uid: vmi.metadata?.uid,
    user: req.user.name,
  };
  const refusal =
    vmiActionRefusal(verb, vmi) ??
    (verb === 'unpause' ? await snapshotRefusal(namespace, name, ctx) : undefined);
  if (refusal) {
    ctx.log.debug(where, `${verb} refused: ${(refusal.body as { message?: string }).message ?? ''}`);
    return refusal;
  }
  if (body.dryRun) {
    ctx.log.info(where, `${verb} (dry run): allowed`);
    return { status: 200 };
  }
  try {
    const conn = await nodeConnectionForVmi(vmi, ctx);
    const answer = await nodeRequest(
      conn,
      method,
      nodeVmiPath(namespace, name, verb),
      body.forward,
      verb === 'freeze' || verb === 'unfreeze' ? { timeoutMs: FREEZE_TIMEOUT_MS } : {},
    );
    if (method === 'PUT') {
      ctx.log.info(where, `${verb}: done by the handler of node ${vmi.status?.nodeName ?? '?'}`);
      return { status: 200 };
    }
    return { status: 200, body: answer.body };
  } catch (err) {
    if (verb === 'reset') throw resetFailure(err, vmi);
    throw err;
  }
}

const VERBS: readonly VmiActionVerb[] = [
  'pause',
  'unpause',
  'softreboot',
  'reset',
  'freeze',
  'unfreeze',
  'guestosinfo',
  'userlist',
  'filesystemlist',
];

/** The handlers, keyed as the subresource router looks them up (./handlers.ts). */
export const VMI_ACTION_HANDLERS: Readonly<
  Record<`virtualmachineinstances/${VmiActionVerb}`, SubresourceHandler>
> = Object.fromEntries(
  VERBS.map((verb) => [
    `virtualmachineinstances/${verb}`,
    (req: SubresourceRequest, ctx: SubresourceContext) => handleVmiAction(verb, req, ctx),
  ]),
) as Record<`virtualmachineinstances/${VmiActionVerb}`, SubresourceHandler>;
