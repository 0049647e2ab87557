/**
 * `addvolume` and `removevolume`, as virt-api serves them (KubeVirt's HotplugVolumes):
 *
 *   PUT virtualmachineinstances/{name}/addvolume     body AddVolumeOptions {name, disk,
 *                                                    volumeSource{persistentVolumeClaim|
 *                                                    dataVolume}, dryRun}: the VMI's spec gets
 *                                                    the volume (hotpluggable) and its disk; the
 *                                                    node handler attaches it to the guest
 *   PUT virtualmachineinstances/{name}/removevolume  body RemoveVolumeOptions {name, dryRun}
 *   PUT virtualmachines/{name}/addvolume|removevolume  the request is recorded in the VM's
 *                                                    `status.volumeRequests`; the VM controller
 *                                                    applies it to the VM's template and to its
 *                                                    running VMI (virtctl --persist)
 *
 * 400 for the feature gate being off and for a body KubeVirt cannot use (its words, see
 * api/hotplug.ts); 409 for a VMI that is not running or a request that does not fit the volumes
 * ("volume with that name already exists", "it is not hotpluggable", ...). The writes are JSON
 * patches guarded by `test`s of what was read; a dryRun sends them with dryRun=All, so the API
 * server and admission judge them and nothing is stored. Answers 202 Accepted with no body.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachineVolumeRequest } from '../../api/kubevirt/v1/vm-status';
import {
  HOTPLUG_MESSAGES,
  HOTPLUG_VOLUMES_GATE,
  readAddVolumeOptions,
  readRemoveVolumeOptions,
  volumeRequestPatch,
  volumeRequestProblem,
  volumeRequestsWith,
  type BodyRead,
  type HotplugTargetSpec,
} from '../../api/hotplug';
import { failure } from '../../common/kube-status';
import {
  errorMessage,
  isNotFound,
  KubeApiError,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from '../../kube';
import { fetchVmi, vmiConflict } from './node-client';
import type { SubresourceAnswer, SubresourceContext, SubresourceHandler, SubresourceRequest } from './types';
import { internalError, PATCH_NOT_APPLIED, vmConflict, vmNotFound } from './vm-state';

export type VolumeVerb = 'addvolume' | 'removevolume';

type JsonPatch = { op: string; path: string; value?: unknown }[];

const VMI_NOT_RUNNING = 'VMI is not running';

/** The request from the body (pure): KubeVirt's checks, in its order. */
export function readVolumeRequest(
  verb: VolumeVerb,
  body: unknown,
  gates: ReadonlySet<string>,
): { refusal: SubresourceAnswer } | { request: VirtualMachineVolumeRequest; dryRun: boolean } {
  if (!gates.has(HOTPLUG_VOLUMES_GATE))
    return {
      refusal: failure(
        400,
        verb === 'addvolume' ? HOTPLUG_MESSAGES.addGateOff : HOTPLUG_MESSAGES.removeGateOff,
      ),
    };
  if (verb === 'addvolume') {
    const read: BodyRead<NonNullable<VirtualMachineVolumeRequest['addVolumeOptions']>> =
      readAddVolumeOptions(body);
    if ('problem' in read) return { refusal: failure(400, read.problem) };
    return { request: { addVolumeOptions: read.value }, dryRun: !!read.value.dryRun?.length };
  }
  const read = readRemoveVolumeOptions(body);
  if ('problem' in read) return { refusal: failure(400, read.problem) };
  return { request: { removeVolumeOptions: read.value }, dryRun: !!read.value.dryRun?.length };
}

/** What the write of a VMI's spec is (pure): the patch, or KubeVirt's 409. */
export function vmiVolumeWrite(
  vmi: Pick<VirtualMachineInstance, 'metadata' | 'spec' | 'status'>,
  request: VirtualMachineVolumeRequest,
): { refusal: SubresourceAnswer } | { patch: JsonPatch } {
  const name = vmi.metadata?.name ?? '';
  if (vmi.status?.phase !== 'Running') return { refusal: vmiConflict(name, VMI_NOT_RUNNING) };
  const spec = vmi.spec as unknown as HotplugTargetSpec;
  const problem = volumeRequestProblem(spec.volumes, request);
  if (problem) return { refusal: vmiConflict(name, problem) };
  return { patch: volumeRequestPatch('/spec', spec, request) };
}

/** What the write of a VM's `status.volumeRequests` is (pure): the patch, or KubeVirt's 409. */
export function vmVolumeWrite(
  vm: Pick<VirtualMachine, 'metadata' | 'spec' | 'status'>,
  request: VirtualMachineVolumeRequest,
): { refusal: SubresourceAnswer } | { patch: JsonPatch } {
  const name = vm.metadata?.name ?? '';
  const template = (vm.spec?.template?.spec ?? {}) as unknown as HotplugTargetSpec;
  const problem = volumeRequestProblem(template.volumes, request);
  if (problem) return { refusal: vmConflict(name, problem) };
  const pending = vm.status?.volumeRequests;
  const next = volumeRequestsWith(pending, request);
  if ('problem' in next) return { refusal: vmConflict(name, next.problem) };
  if (!vm.status)
    return { patch: [{ op: 'add', path: '/status', value: { volumeRequests: next.requests } }] };
  return {
    patch: [
      { op: 'test', path: '/status/volumeRequests', value: pending ?? null },
      { op: pending ? 'replace' : 'add', path: '/status/volumeRequests', value: next.requests },
    ],
  };
}

function serverWords(err: unknown): string {
  return err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err);
}

/** A failed patch: 422 Invalid (admission) as it is, a failed `test` as a conflict, else 500. */
function writeFailure(kind: 'vm' | 'vmi', name: string, err: unknown): SubresourceAnswer {
  const status = err instanceof KubeApiError ? err.status : 0;
  const words = serverWords(err);
  const conflict = kind === 'vm' ? vmConflict : vmiConflict;
  if (status === 409 || (status === 422 && words === PATCH_NOT_APPLIED))
    return conflict(
      name,
      `the ${kind === 'vm' ? 'VM' : 'VMI'} changed while the request was handled; try again`,
    );
  if (status === 422) return failure(422, words);
  // virt-api's words: "unable to patch vmi: ..." / "unable to patch vm status: ...".
  return internalError(`unable to patch ${kind === 'vm' ? 'vm status' : 'vmi'}: ${words}`);
}

export async function handleVolumeRequest(
  verb: VolumeVerb,
  req: SubresourceRequest,
  ctx: SubresourceContext,
): Promise<SubresourceAnswer> {
  if (req.method !== 'PUT')
    return failure(405, `${req.resource}/${verb} accepts PUT only, not ${req.method}`);
  const read = readVolumeRequest(verb, req.body, ctx.featureGates?.() ?? new Set());
  if ('refusal' in read) return read.refusal;
  const { namespace, name } = req;
  const { client, log } = ctx;
  const dryRun = read.dryRun;
  const volume = read.request.addVolumeOptions?.name ?? read.request.removeVolumeOptions?.name;

  const kind = req.resource === 'virtualmachineinstances' ? 'vmi' : 'vm';
  let write: { refusal: SubresourceAnswer } | { patch: JsonPatch };
  let uid: string | undefined;
  if (kind === 'vmi') {
    const vmi = await fetchVmi(namespace, name, ctx);
    uid = vmi.metadata?.uid;
    write = vmiVolumeWrite(vmi, read.request);
  } else {
    let vm: VirtualMachine;
    try {
      vm = await client.get<VirtualMachine>(VIRTUAL_MACHINES, namespace, name);
    } catch (err) {
      if (isNotFound(err)) return vmNotFound(name);
      return internalError(`unable to retrieve vm [${name}]: ${serverWords(err)}`);
    }
    uid = vm.metadata?.uid;
    write = vmVolumeWrite(vm, read.request);
  }
  const where = {
    kind: kind === 'vmi' ? 'VirtualMachineInstance' : 'VirtualMachine',
    namespace,
    name,
    uid,
    user: req.user.name,
  };
  if ('refusal' in write) {
    log.debug(
      where,
      `${verb} ${volume} refused: ${(write.refusal.body as { message?: string }).message ?? ''}`,
    );
    return write.refusal;
  }
  try {
    if (kind === 'vmi')
      await client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, namespace, name, write.patch, { dryRun });
    else
      await client.jsonPatch(VIRTUAL_MACHINES, namespace, name, write.patch, {
        dryRun,
        subresource: 'status',
      });
  } catch (err) {
    return writeFailure(kind, name, err);
  }
  log.info(
    where,
    `${verb} ${volume}${dryRun ? ' (dry run)' : ''}: ${kind === 'vmi' ? 'VMI spec patched' : 'recorded in status.volumeRequests'}`,
  );
  return { status: 202 };
}

/** The four handlers, keyed as the subresource router looks them up (./handlers.ts). */
export const VOLUME_HANDLERS: Readonly<
  Record<
    | 'virtualmachineinstances/addvolume'
    | 'virtualmachineinstances/removevolume'
    | 'virtualmachines/addvolume'
    | 'virtualmachines/removevolume',
    SubresourceHandler
  >
> = {
  'virtualmachineinstances/addvolume': (req, ctx) => handleVolumeRequest('addvolume', req, ctx),
  'virtualmachineinstances/removevolume': (req, ctx) => handleVolumeRequest('removevolume', req, ctx),
  'virtualmachines/addvolume': (req, ctx) => handleVolumeRequest('addvolume', req, ctx),
  'virtualmachines/removevolume': (req, ctx) => handleVolumeRequest('removevolume', req, ctx),
};
