/**
 * `virtkit start NAME [--paused] [--dry-run]`, `virtkit stop NAME [--grace-period N --force]
 * [--dry-run]` and `virtkit restart NAME [--grace-period 0 --force] [--dry-run]`: virtctl's verbs
 * with virtctl's flags. Each sends what virtctl sends, a PUT of KubeVirt's StartOptions,
 * StopOptions or RestartOptions to the VM's `start`, `stop` or `restart` subresource
 * (subresources.kubevirt.io/v1, served by `virtkit api` behind the API server, so RBAC is the
 * cluster's: `update` on `virtualmachines/start`...), and prints virtctl's line, "VM NAME was
 * scheduled to start". What the verb does for each run strategy, and what it refuses, is
 * KubeVirt's (docs/cli.md); the command returns once the request is recorded.
 *
 * Exit codes: 0 the request was accepted, 1 the server refused it (its message is printed) or
 * could not be reached, 2 usage (a missing NAME, an unknown flag, --force without
 * --grace-period or the other way round, a grace period that is not a whole number).
 */
import { CommanderError, type Command } from 'commander';
import type { Json } from '../../kube/client';
import type { KubeConfigOptions } from '../../kube/config';
import { KubeApiError } from '../../kube/errors';
import { SUBRESOURCE_VIRTUAL_MACHINES } from '../../kube/resources';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';

export type VmStateVerb = 'start' | 'stop' | 'restart';

export const VM_STATE_VERBS: readonly VmStateVerb[] = ['start', 'stop', 'restart'];

export interface VmStateFlags extends KubeFlags {
  readonly paused?: boolean;
  readonly gracePeriod?: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

/** A usage mistake: exit code 2. */
export class VmStateUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmStateUsageError';
  }
}

/**
 * The request body virtctl sends for these flags (only the fields set): `paused` for start;
 * `gracePeriod` (stop) or `gracePeriodSeconds` (restart) when --force and --grace-period are
 * given, which virtctl only accepts together; `dryRun: ["All"]` for --dry-run. Throws
 * VmStateUsageError. Pure.
 */
export function requestBody(verb: VmStateVerb, flags: VmStateFlags): Json {
  const body: Json = {};
  if (verb === 'start') {
    if (flags.paused) body.paused = true;
  } else {
    const hasGrace = flags.gracePeriod !== undefined;
    if (hasGrace !== (flags.force === true))
      throw new VmStateUsageError(
        `--force and --grace-period go together (virtctl: "Must both use --force=true and set --grace-period."); for an immediate ${verb} give --force --grace-period 0`,
      );
    if (hasGrace) {
      const text = String(flags.gracePeriod).trim();
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
        throw new VmStateUsageError(
          `--grace-period ${flags.gracePeriod}: not a whole number of seconds (0 or more)`,
        );
      body[verb === 'stop' ? 'gracePeriod' : 'gracePeriodSeconds'] = Number(text);
    }
  }
  if (flags.dryRun) body.dryRun = ['All'];
  return body;
}

/** Sends one request; resolves when the server accepted it, throws its refusal. */
export type VmStateSender = (
  verb: VmStateVerb,
  name: string,
  body: Json,
  connection: KubeConfigOptions,
) => Promise<void>;

/** The real sender: PUT through KubeClient, in the namespace -n or the context gives. */
export const sendVmState: VmStateSender = async (verb, name, body, connection) => {
  // Loaded here: the pure parts above stay loadable without the Kubernetes client.
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  try {
    await api.putSubresource(SUBRESOURCE_VIRTUAL_MACHINES, api.namespace, name, verb, body);
  } finally {
    api.close();
  }
};

/** The line to print for a refusal: the server's own message, with a hint when the API is not served. */
export function refusalMessage(err: unknown): string {
  if (!(err instanceof KubeApiError)) return err instanceof Error ? err.message : String(err);
  if (err.status === 401 || err.status === 403 || err.status === 0) return err.message;
  if (err.status === 404 && !/virtualmachine/.test(err.serverMessage))
    return `${err.serverMessage} (${err.method} ${err.path}); is the subresource API served? \`kubectl get apiservice v1.subresources.kubevirt.io\` should say Available (virtkit up starts it)`;
  return err.serverMessage || err.message;
}

const DESCRIPTIONS: Record<VmStateVerb, string> = {
  start: 'Start a virtual machine (like `virtctl start`): NAME is a VirtualMachine',
  stop: 'Stop a virtual machine (like `virtctl stop`): NAME is a VirtualMachine',
  restart: 'Restart a virtual machine (like `virtctl restart`): NAME is a VirtualMachine',
};

/** Commander's own usage errors (a missing NAME, an unknown flag) exit 2 too; help stays 0. */
export function usageExitCodes(cmd: Command): void {
  cmd.exitOverride((err) => {
    if (err.exitCode === 0) throw err;
    throw new CommanderError(2, err.code, err.message);
  });
}

/** Registers one verb, sending through `send` (tests pass their own). */
export function registerVerb(
  program: Command,
  verb: VmStateVerb,
  send: VmStateSender = sendVmState,
): Command {
  const cmd = program.command(verb).description(DESCRIPTIONS[verb]).argument('<name>', 'the VirtualMachine');
  if (verb === 'start')
    cmd.option('--paused', 'start the virtual machine paused (unpause it with `virtkit unpause vm NAME`)');
  else
    cmd
      .option(
        '--grace-period <seconds>',
        `seconds the guest gets to shut down; only with --force${verb === 'restart' ? ' (restart takes 0 only)' : ''}`,
      )
      .option('--force', 'with --grace-period: stop the guest after that many seconds (0: at once)');
  cmd.option('--dry-run', 'let the server check the request without recording it');
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (name: string, flags: VmStateFlags) => {
    let body: Json;
    try {
      body = requestBody(verb, flags);
    } catch (err) {
      if (err instanceof VmStateUsageError)
        cmd.error(`virtkit ${verb}: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
      throw err;
    }
    if (flags.dryRun) console.log('Dry Run execution');
    try {
      await send(verb, name, body, connectionOf(flags));
    } catch (err) {
      console.error(`virtkit ${verb}: ${refusalMessage(err)}`);
      process.exitCode = 1;
      return;
    }
    console.log(`VM ${name} was scheduled to ${verb}`);
  });
  return cmd;
}

/** Registers start, stop and restart (main.ts maps all three names here); a second call adds nothing. */
export function register(program: Command): void {
  for (const verb of VM_STATE_VERBS)
    if (!program.commands.some((c) => c.name() === verb)) registerVerb(program, verb);
}
