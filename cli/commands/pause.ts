/**
 * `virtkit pause vmi|vm NAME` and `virtkit unpause vmi|vm NAME`: virtkit's stand-in for
 * `virtctl pause` / `virtctl unpause`. KubeVirt serves these as subresources of virt-api;
 * virtkit has no aggregated API server, so the CLI writes the wish into the VMI's
 * `virtkit.io/paused` annotation (a merge patch) and the node handler makes the guest match it.
 * The command returns once the wish is recorded; it does not wait for the guest.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import type { Json, KubeEndpoint } from '../../common/kube-rest';
import { PAUSED_ANNOTATION, wantsPaused } from '../../handler/vmi/pause';
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

/** The kubeconfig: --kubeconfig, else $KUBECONFIG (its first entry), else ./.virtkit/kubeconfig. */
export function resolveKubeconfig(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  const fromEnv = env.KUBECONFIG?.split(path.delimiter).find((p) => p !== '');
  return path.resolve(cwd, flag ?? fromEnv ?? path.join('.virtkit', 'kubeconfig'));
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

const VMI_PATH = (ns: string, name: string): string =>
  `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(ns)}/virtualmachineinstances/${encodeURIComponent(name)}`;
const VM_PATH = (ns: string, name: string): string =>
  `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(ns)}/virtualmachines/${encodeURIComponent(name)}`;

async function getOrUndefined(api: KubeEndpoint, p: string): Promise<Json | undefined> {
  try {
    return (await api.request('GET', p)).body;
  } catch (e) {
    if ((e as { status?: unknown }).status === 404) return undefined;
    throw e;
  }
}

export interface PauseRequest {
  readonly verb: PauseVerb;
  readonly kind: PauseTargetKind;
  readonly name: string;
  readonly namespace?: string;
  readonly kubeconfig: string;
}

/** Records the wish on the VMI; answers the line to print. */
export async function requestPause(r: PauseRequest): Promise<string> {
  if (!fs.existsSync(r.kubeconfig))
    throw new PauseRequestError(
      `kubeconfig ${r.kubeconfig} does not exist; pass --kubeconfig, set KUBECONFIG, or run \`virtkit up\` in this folder`,
    );
  // Loaded here, not at the top: the pure helpers above stay loadable without the Kubernetes client.
  const { KubeEndpoint: Endpoint } = await import('../../common/kube-rest');
  const api = await Endpoint.fromKubeconfig(r.kubeconfig);
  const kc = api.kubeConfig;
  const ns = r.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const vmiLabel = `VirtualMachineInstance ${ns}/${r.name}`;

  if (r.kind === 'vm' && !(await getOrUndefined(api, VM_PATH(ns, r.name))))
    throw new PauseRequestError(
      `VirtualMachine ${ns}/${r.name} not found; check the name and the namespace (-n)`,
    );
  const vmi = (await getOrUndefined(api, VMI_PATH(ns, r.name))) as VmiLike | undefined;
  if (!vmi)
    throw new PauseRequestError(
      r.kind === 'vm'
        ? `VirtualMachine ${ns}/${r.name} is not running (it has no VirtualMachineInstance); start it first`
        : `${vmiLabel} not found; check the name and the namespace (-n)`,
    );
  if (checkPausable(r.verb, vmiLabel, vmi) === 'already')
    return `${vmiLabel} is already ${r.verb === 'pause' ? 'paused' : 'unpaused'} (annotation ${PAUSED_ANNOTATION})`;
  await api.request('PATCH', VMI_PATH(ns, r.name), pausePatch(r.verb), 'application/merge-patch+json');
  return `${vmiLabel}: ${r.verb} requested (annotation ${PAUSED_ANNOTATION}=${r.verb === 'pause' ? 'true' : 'false'}); the node handler ${r.verb}s the guest`;
}

function registerVerb(program: Command, verb: PauseVerb): void {
  program
    .command(verb)
    .description(
      verb === 'pause'
        ? "Pause a running guest (like `virtctl pause`): vmi NAME, or vm NAME for the VM's VMI"
        : "Unpause a paused guest (like `virtctl unpause`): vmi NAME, or vm NAME for the VM's VMI",
    )
    .argument('<kind>', 'vmi, or vm (targets the VMI of the same name)')
    .argument('<name>', 'the name of the VMI or VM')
    .option('-n, --namespace <ns>', "namespace (default: the kubeconfig context's, else default)")
    .option('--kubeconfig <path>', 'kubeconfig (default: $KUBECONFIG, else ./.virtkit/kubeconfig)')
    .action(async (kind: string, name: string, flags: { namespace?: string; kubeconfig?: string }) => {
      try {
        const line = await requestPause({
          verb,
          kind: parseTargetKind(kind),
          name,
          namespace: flags.namespace,
          kubeconfig: resolveKubeconfig(flags.kubeconfig),
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
