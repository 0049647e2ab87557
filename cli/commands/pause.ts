/**
 * `virtkit pause vmi|vm NAME` and `virtkit unpause vmi|vm NAME`: virtkit's stand-in for
 * `virtctl pause` / `virtctl unpause`. KubeVirt serves these as subresources of virt-api;
 * virtkit has no aggregated API server, so the CLI writes the wish into the VMI's
 * `virtkit.io/paused` annotation (a merge patch) and the node handler makes the guest match it.
 * The command returns once the wish is recorded; it does not wait for the guest.
 */
import type { Command } from 'commander';
import type { Json, KubeClient } from '../../kube/client';
import type { KubeConfigOptions } from '../../kube/config';
import { VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube/resources';
import { PAUSED_ANNOTATION, wantsPaused } from '../../handler/vmi/pause';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { reportFailure } from '../local/cli-options';

export type PauseVerb = 'pause' | 'unpause';
export type PauseTargetKind = 'vmi' | 'vm';

/** A request that cannot be carried out; the message names the object and what to do. */
export class PauseRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PauseRequestError';
  }
}

/** `vmi` or `vm` (and their long and plural names, as kubectl accepts them). */
export function parseTargetKind(value: string): PauseTargetKind {
  const v = value.toLowerCase();
  if (['vmi', 'vmis', 'virtualmachineinstance', 'virtualmachineinstances'].includes(v)) return 'vmi';
  if (['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(v)) return 'vm';
  throw new PauseRequestError(`'${value}' cannot be paused or unpaused; name a 'vmi' or a 'vm'`);
}

/** The merge patch that records the wish. Unpause writes "false" (not a removal) so a VMI started with startStrategy Paused runs too. */
export function pausePatch(verb: PauseVerb): Json {
  return { metadata: { annotations: { [PAUSED_ANNOTATION]: verb === 'pause' ? 'true' : 'false' } } };
}

interface VmiLike {
  metadata?: { deletionTimestamp?: string; annotations?: Record<string, string> };
  spec?: { startStrategy?: string };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

/**
 * Checks that `vmi` can take the request. Answers 'already' when the wish is already recorded
 * (nothing to write), 'patch' otherwise; throws when the VMI is not running.
 */
export function checkPausable(verb: PauseVerb, label: string, vmi: VmiLike): 'patch' | 'already' {
  if (vmi.metadata?.deletionTimestamp)
    throw new PauseRequestError(`${label} is being deleted; there is no guest to ${verb}`);
  const phase = vmi.status?.phase ?? 'Pending';
  if (phase !== 'Running')
    throw new PauseRequestError(
      `${label} is not running (status.phase is ${phase}); only a Running VMI can be ${verb}d, start it or wait until it runs`,
    );
  return wantsPaused(vmi) === (verb === 'pause') ? 'already' : 'patch';
}

export interface PauseRequest {
  readonly verb: PauseVerb;
  readonly kind: PauseTargetKind;
  readonly name: string;
  /** Which cluster, context and namespace, resolved as kubectl does. */
  readonly connection: KubeConfigOptions;
}

/** Records the wish on the VMI; answers the line to print. */
export async function requestPause(r: PauseRequest): Promise<string> {
  // Loaded here, not at the top: the pure helpers above stay loadable without the Kubernetes client.
  const { KubeClient: Client } = await import('../../kube/client');
  const api = Client.connect({ ...r.connection, fieldManager: 'virtkit' });
  try {
    return await pauseWith(api, r);
  } finally {
    api.close();
  }
}

async function pauseWith(api: KubeClient, r: PauseRequest): Promise<string> {
  const [vms, vmis] = [VIRTUAL_MACHINES, VIRTUAL_MACHINE_INSTANCES];
  const ns = api.namespace;
  const vmiLabel = `VirtualMachineInstance ${ns}/${r.name}`;

  if (r.kind === 'vm' && !(await api.getIfExists(vms, ns, r.name)))
    throw new PauseRequestError(
      `VirtualMachine ${ns}/${r.name} not found; check the name and the namespace (-n)`,
    );
  const vmi = await api.getIfExists<VmiLike>(vmis, ns, r.name);
  if (!vmi)
    throw new PauseRequestError(
      r.kind === 'vm'
        ? `VirtualMachine ${ns}/${r.name} is not running (it has no VirtualMachineInstance); start it first`
        : `${vmiLabel} not found; check the name and the namespace (-n)`,
    );
  if (checkPausable(r.verb, vmiLabel, vmi) === 'already')
    return `${vmiLabel} is already ${r.verb === 'pause' ? 'paused' : 'unpaused'} (annotation ${PAUSED_ANNOTATION})`;
  await api.mergePatch(vmis, ns, r.name, pausePatch(r.verb));
  return `${vmiLabel}: ${r.verb} requested (annotation ${PAUSED_ANNOTATION}=${r.verb === 'pause' ? 'true' : 'false'}); the node handler ${r.verb}s the guest`;
}

function registerVerb(program: Command, verb: PauseVerb): void {
  const cmd = program
    .command(verb)
    .description(
      verb === 'pause'
        ? "Pause a running guest (like `virtctl pause`): vmi NAME, or vm NAME for the VM's VMI"
        : "Unpause a paused guest (like `virtctl unpause`): vmi NAME, or vm NAME for the VM's VMI",
    )
    .argument('<kind>', 'vmi, or vm (targets the VMI of the same name)')
    .argument('<name>', 'the name of the VMI or VM');
  addKubeFlags(cmd, { namespace: true }).action(async (kind: string, name: string, flags: KubeFlags) => {
    try {
      const line = await requestPause({
        verb,
        kind: parseTargetKind(kind),
        name,
        connection: connectionOf(flags),
      });
      console.log(line);
    } catch (err) {
      reportFailure(verb, err);
    }
  });
}

/** Registers both `pause` and `unpause` (main.ts maps both names here); a second call adds nothing. */
export function register(program: Command): void {
  for (const verb of ['pause', 'unpause'] as const)
    if (!program.commands.some((c) => c.name() === verb)) registerVerb(program, verb);
}
