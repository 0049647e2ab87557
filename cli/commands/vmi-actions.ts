/**
 * virtctl's verbs on a running guest, with virtctl's names, arguments and lines:
 *
 *   virtkit pause vm|vmi NAME [--dry-run]      PUT .../virtualmachineinstances/NAME/pause
 *   virtkit unpause vm|vmi NAME [--dry-run]    PUT .../unpause
 *   virtkit soft-reboot NAME                   PUT .../softreboot
 *   virtkit reset NAME                         PUT .../reset
 *   virtkit freeze NAME [--unfreeze-timeout D] PUT .../freeze   (virtkit's; virtctl has none)
 *   virtkit unfreeze NAME                      PUT .../unfreeze (virtkit's)
 *   virtkit guestosinfo NAME                   GET .../guestosinfo, printed as indented JSON
 *   virtkit userlist NAME                      GET .../userlist
 *   virtkit fslist NAME                        GET .../filesystemlist
 *
 * Each is one request to KubeVirt's subresource API (subresources.kubevirt.io/v1, served by
 * `virtkit api` behind the API server, so the cluster's RBAC decides: `update` on
 * `virtualmachineinstances/pause`, `get` on `.../guestosinfo`...). `pause vm NAME` reads the
 * VirtualMachine first and acts on its VMI (same name), as virtctl does; `vmi NAME` goes
 * straight to the VMI. The PUT verbs return once the handler did it (the Paused condition
 * follows on the VMI); they print virtctl's line, "VMI NAME was scheduled to pause".
 *
 * Exit codes: 0 done, 1 the server refused (its message is printed) or could not be reached,
 * 2 usage (a missing NAME, a kind other than vm/vmi, an unknown flag, a bad --unfreeze-timeout).
 */
import type { Command } from 'commander';
import { parseGoDuration } from '../../api/kubevirt/v1/vmi-subresources';
import type { KubeConfigOptions } from '../../kube/config';
import { KubeApiError } from '../../kube/errors';
import { SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube/resources';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { refusalMessage, usageExitCodes } from './vm-state';

export type VmiVerb =
  | 'pause'
  | 'unpause'
  | 'soft-reboot'
  | 'reset'
  | 'freeze'
  | 'unfreeze'
  | 'guestosinfo'
  | 'userlist'
  | 'fslist';

interface VerbSpec {
  /** The subresource of the VMI. */
  readonly subresource: string;
  readonly method: 'PUT' | 'GET';
  /** pause and unpause take `vm|vmi NAME`; the others a VMI's NAME. */
  readonly takesKind?: boolean;
  readonly description: string;
}

export const VMI_VERBS: Readonly<Record<VmiVerb, VerbSpec>> = {
  pause: {
    subresource: 'pause',
    method: 'PUT',
    takesKind: true,
    description:
      "Pause a running guest (like `virtctl pause`): vmi NAME, or vm NAME for the VM's VMI; its memory is kept",
  },
  unpause: {
    subresource: 'unpause',
    method: 'PUT',
    takesKind: true,
    description: "Unpause a paused guest (like `virtctl unpause`): vmi NAME, or vm NAME for the VM's VMI",
  },
  'soft-reboot': {
    subresource: 'softreboot',
    method: 'PUT',
    description: 'Reboot a guest from inside (like `virtctl soft-reboot`): its guest agent, else ACPI',
  },
  reset: {
    subresource: 'reset',
    method: 'PUT',
    description: 'Reset a guest at once, like its reset button (like `virtctl reset`)',
  },
  freeze: {
    subresource: 'freeze',
    method: 'PUT',
    description:
      "Freeze a guest's filesystems through its guest agent (KubeVirt's freeze subresource), e.g. before a backup",
  },
  unfreeze: {
    subresource: 'unfreeze',
    method: 'PUT',
    description: "Thaw a guest's filesystems (KubeVirt's unfreeze subresource)",
  },
  guestosinfo: {
    subresource: 'guestosinfo',
    method: 'GET',
    description: "Print the guest agent's facts about the guest as JSON (like `virtctl guestosinfo`)",
  },
  userlist: {
    subresource: 'userlist',
    method: 'GET',
    description: 'Print the users logged in to the guest as JSON (like `virtctl userlist`)',
  },
  fslist: {
    subresource: 'filesystemlist',
    method: 'GET',
    description: "Print the guest's filesystems as JSON (like `virtctl fslist`)",
  },
};

export const VMI_VERB_NAMES = Object.keys(VMI_VERBS) as VmiVerb[];

/** A usage mistake: exit code 2. */
export class VmiVerbUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmiVerbUsageError';
  }
}

export type TargetKind = 'vmi' | 'vm';

/** `vmi` or `vm`, in any of the forms virtctl accepts (singular, plural, long; any case). */
export function parseTargetKind(verb: string, value: string): TargetKind {
  const v = value.toLowerCase();
  if (['vmi', 'vmis', 'virtualmachineinstance', 'virtualmachineinstances'].includes(v)) return 'vmi';
  if (['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(v)) return 'vm';
  throw new VmiVerbUsageError(`'${value}' cannot be ${verb}d; name a 'vmi' or a 'vm'`);
}

export interface VmiVerbFlags extends KubeFlags {
  readonly dryRun?: boolean;
  readonly unfreezeTimeout?: string;
}

/** The default --unfreeze-timeout (virt-freezer's: 5 minutes). */
export const DEFAULT_UNFREEZE_TIMEOUT = '5m';

/** The body of the request (pure): PauseOptions `{dryRun: ["All"]}`, FreezeUnfreezeTimeout. */
export function requestBody(verb: VmiVerb, flags: VmiVerbFlags): Record<string, unknown> | undefined {
  if (verb === 'pause' || verb === 'unpause') return flags.dryRun ? { dryRun: ['All'] } : {};
  if (verb === 'freeze') {
    const text = (flags.unfreezeTimeout ?? DEFAULT_UNFREEZE_TIMEOUT).trim();
    const ns = parseGoDuration(text);
    if (ns === undefined || ns < 0)
      throw new VmiVerbUsageError(
        `--unfreeze-timeout ${flags.unfreezeTimeout}: not a duration; write it like 5m, 90s or 1h30m (0: never thaw by itself)`,
      );
    return { unfreezeTimeout: text };
  }
  return undefined;
}

/** The requests the verbs make; tests pass their own. */
export interface VmiActionApi {
  readonly namespace: string;
  put(name: string, subresource: string, body: unknown): Promise<void>;
  get(name: string, subresource: string): Promise<unknown>;
  /** The VirtualMachine, or undefined when there is none. */
  getVm(name: string): Promise<{ spec?: { runStrategy?: string; running?: boolean } } | undefined>;
  close(): void;
}

export type VmiActionConnector = (connection: KubeConfigOptions) => Promise<VmiActionApi>;

/** The real requests: through KubeClient, in the namespace -n or the context gives. */
export const connectKube: VmiActionConnector = async (connection) => {
  // Loaded here: the pure parts above stay loadable without the Kubernetes client.
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  const rt = SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES;
  return {
    namespace: api.namespace,
    put: async (name, sub, body) => {
      await api.putSubresource(rt, api.namespace, name, sub, body);
    },
    get: (name, sub) => api.get(rt, api.namespace, name, sub),
    getVm: (name) => api.getIfExists(VIRTUAL_MACHINES, api.namespace, name),
    close: () => api.close(),
  };
};

/** Whether a VM is set to run (pure): virtctl's reading for a pause that finds no VMI. */
function setToRun(vm: { spec?: { runStrategy?: string; running?: boolean } }): boolean {
  const strategy = vm.spec?.runStrategy ?? (vm.spec?.running ? 'Always' : 'Halted');
  return strategy !== 'Halted';
}

/** Runs one verb; answers the line(s) to print, throws the refusal. */
export async function runVmiVerb(
  api: VmiActionApi,
  verb: VmiVerb,
  kind: TargetKind,
  name: string,
  body: unknown,
): Promise<string> {
  const spec = VMI_VERBS[verb];
  const ns = api.namespace;
  if (kind === 'vm') {
    const vm = await api.getVm(name);
    if (!vm) throw new Error(`VirtualMachine ${ns}/${name} not found; check the name and the namespace (-n)`);
    try {
      await api.put(name, spec.subresource, body);
    } catch (err) {
      if (
        err instanceof KubeApiError &&
        err.status === 404 &&
        /virtualmachineinstance/.test(err.serverMessage)
      )
        throw new Error(
          setToRun(vm)
            ? `VirtualMachine ${ns}/${name} has no VirtualMachineInstance yet; wait until it runs`
            : `VirtualMachine ${ns}/${name} is not running (it is not set to run); start it first`,
        );
      throw err;
    }
  } else if (spec.method === 'PUT') {
    await api.put(name, spec.subresource, body);
  } else {
    return JSON.stringify(await api.get(name, spec.subresource), null, 2);
  }
  return `VMI ${name} was scheduled to ${verb}`;
}

/** Registers one verb, connecting through `connect` (tests pass their own). */
export function registerVerb(
  program: Command,
  verb: VmiVerb,
  connect: VmiActionConnector = connectKube,
): Command {
  const spec = VMI_VERBS[verb];
  const cmd = program.command(verb).description(spec.description);
  if (spec.takesKind) cmd.argument('<kind>', 'vmi, or vm (acts on the VMI of the same name)');
  cmd.argument('<name>', spec.takesKind ? 'the name of the VMI or VM' : 'the VirtualMachineInstance');
  if (spec.takesKind) cmd.option('--dry-run', 'let the server check the request without carrying it out');
  if (verb === 'freeze')
    cmd.option(
      '--unfreeze-timeout <duration>',
      `thaw the filesystems by themselves after this long, 0 never (default ${DEFAULT_UNFREEZE_TIMEOUT})`,
    );
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (...args: unknown[]) => {
    const flags = args[spec.takesKind ? 2 : 1] as VmiVerbFlags;
    const name = String(args[spec.takesKind ? 1 : 0]);
    let kind: TargetKind = 'vmi';
    let body: unknown;
    try {
      if (spec.takesKind) kind = parseTargetKind(verb, String(args[0]));
      body = requestBody(verb, flags);
    } catch (err) {
      if (err instanceof VmiVerbUsageError)
        cmd.error(`virtkit ${verb}: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
      throw err;
    }
    if (flags.dryRun) console.log('Dry Run execution');
    let api: VmiActionApi | undefined;
    try {
      api = await connect(connectionOf(flags));
      console.log(await runVmiVerb(api, verb, kind, name, body));
    } catch (err) {
      console.error(`virtkit ${verb}: ${refusalMessage(err)}`);
      process.exitCode = 1;
    } finally {
      api?.close();
    }
  });
  return cmd;
}

/** Registers every verb (main.ts maps each name here); a second call adds nothing. */
export function register(program: Command): void {
  for (const verb of VMI_VERB_NAMES)
    if (!program.commands.some((c) => c.name() === verb)) registerVerb(program, verb);
}
