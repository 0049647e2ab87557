/**
 * The handlers of `PUT /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachines/{name}/
 * start|stop|restart`: read the VM and its VMI with the api component's client, ask
 * ./vm-state.ts what KubeVirt would do, write it, and answer 202 Accepted with no body (as
 * virt-api does) or the refusal's Status. The writes are JSON patches with `test` guards: first
 * the VMI's terminationGracePeriodSeconds (stop with gracePeriod, forced restart), then the VM,
 * its spec through the main resource or `status.stateChangeRequests` through the status
 * subresource; when the VM write fails the VMI's grace period is put back. A `dryRun: ["All"]`
 * body sends every write with dryRun=All: the API server checks it (admission, the `test`
 * guards) and stores nothing, so the answer is the one the real request would get.
 *
 * The api component's RBAC (api/install/rbac.ts API_RULES) grants what this uses: get and patch
 * of virtualmachines and virtualmachineinstances, patch of virtualmachines/status.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import {
  errorMessage,
  isNotFound,
  KubeApiError,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from '../../kube';
import { failure } from '../../common/kube-status';
import { SubresourceError } from './subresource-error';
import type { SubresourceAnswer, SubresourceContext, SubresourceHandler, SubresourceRequest } from './types';
import {
  decideVmState,
  internalError,
  parseVmStateOptions,
  vmNotFound,
  vmWriteFailure,
  type VmStateVerb,
  type VmStateWrites,
} from './vm-state';

/** The server's own words for a failed request (the Status message), else the error's message. */
export function serverWords(err: unknown): string {
  return err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err);
}

/**
 * The VM, read with the api component's client; when it cannot be, a SubresourceError with
 * virt-api's answer: 404 `virtualmachine.kubevirt.io "NAME" not found`, else a 500.
 */
export async function fetchVm(
  namespace: string,
  name: string,
  ctx: SubresourceContext,
): Promise<VirtualMachine> {
  try {
    return await ctx.client.get<VirtualMachine>(VIRTUAL_MACHINES, namespace, name);
  } catch (err) {
    if (isNotFound(err)) throw new SubresourceError(vmNotFound(name));
    throw new SubresourceError(internalError(`unable to retrieve vm [${name}]: ${serverWords(err)}`));
  }
}

/** Writes the decided patches; answers 202, or the Status of the write that failed. */
export async function applyVmStateWrites(
  ctx: SubresourceContext,
  namespace: string,
  name: string,
  writes: VmStateWrites,
): Promise<SubresourceAnswer> {
  const { client, log } = ctx;
  const dryRun = writes.dryRun;
  if (writes.vmi) {
    try {
      await client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, namespace, name, [...writes.vmi.ops], { dryRun });
    } catch (err) {
      return internalError(serverWords(err));
    }
  }
  try {
    await client.jsonPatch(VIRTUAL_MACHINES, namespace, name, [...writes.vm.ops], {
      dryRun,
      subresource: writes.vm.subresource,
    });
  } catch (err) {
    if (writes.vmi && !dryRun) {
      try {
        await client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, namespace, name, [...writes.vmi.rollback]);
      } catch (rollbackErr) {
        log.warn(
          { kind: 'VirtualMachineInstance', namespace, name },
          `could not put terminationGracePeriodSeconds back after a failed VM write: ${errorMessage(rollbackErr)}`,
        );
      }
    }
    return vmWriteFailure(name, err instanceof KubeApiError ? err.status : 0, serverWords(err));
  }
  return { status: 202 };
}

/** Reads, decides, writes: the whole request. */
export async function handleVmState(
  verb: VmStateVerb,
  req: SubresourceRequest,
  ctx: SubresourceContext,
): Promise<SubresourceAnswer> {
  if (req.method !== 'PUT')
    return failure(
      405,
      `virtualmachines/${verb} accepts PUT only, not ${req.method} (virtctl ${verb} and virtkit ${verb} send PUT)`,
    );
  const parsed = parseVmStateOptions(verb, req.body);
  if ('refusal' in parsed) return parsed.refusal;
  const { namespace, name } = req;
  const { client, log } = ctx;

  let vm: VirtualMachine;
  try {
    vm = await fetchVm(namespace, name, ctx);
  } catch (err) {
    if (err instanceof SubresourceError) return err.answer;
    throw err;
  }
  let vmi: VirtualMachineInstance | undefined;
  try {
    vmi = await client.getIfExists<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, namespace, name);
  } catch (err) {
    return internalError(serverWords(err));
  }

  const decision = decideVmState({ name, options: parsed.options, vm, vmi });
  const where = { kind: 'VirtualMachine', namespace, name, uid: vm.metadata?.uid, user: req.user.name };
  if (decision.refusal) {
    log.debug(where, `${verb} refused: ${(decision.refusal.body as { message?: string }).message ?? ''}`);
    return decision.refusal;
  }
  const answer = await applyVmStateWrites(ctx, namespace, name, decision.writes);
  if (answer.status === 202)
    log.info(
      where,
      `${verb}${decision.writes.dryRun ? ' (dry run)' : ''}: patched ${
        decision.writes.vm.subresource === 'status' ? 'status.stateChangeRequests' : 'the run strategy'
      }${decision.writes.vmi ? ' and the VMI grace period' : ''}`,
    );
  return answer;
}

/** The three handlers, keyed as the subresource router looks them up (./handlers.ts). */
export const VM_STATE_HANDLERS: Readonly<
  Record<'virtualmachines/start' | 'virtualmachines/stop' | 'virtualmachines/restart', SubresourceHandler>
> = {
  'virtualmachines/start': (req, ctx) => handleVmState('start', req, ctx),
  'virtualmachines/stop': (req, ctx) => handleVmState('stop', req, ctx),
  'virtualmachines/restart': (req, ctx) => handleVmState('restart', req, ctx),
};
