/**
 * The flags every command that talks to a cluster takes, with kubectl's names and meaning:
 * `--kubeconfig`, `--context` and (where the command acts in a namespace) `-n/--namespace`.
 * Left out, the cluster is found as kubectl finds it (KUBECONFIG, ~/.kube/config, in-cluster);
 * see kube/config.ts. Components also take `--log-level`.
 */
import type { Command } from 'commander';
import type { Logger } from '../common/log';
import type { ConnectOptions } from '../kube/client';

export interface KubeFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly namespace?: string;
}

export interface LogFlags {
  readonly logLevel?: string;
}

export function addKubeFlags(
  cmd: Command,
  opts: { namespace?: boolean; namespaceHelp?: string } = {},
): Command {
  cmd
    .option(
      '--kubeconfig <file>',
      'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster)',
    )
    .option('--context <name>', 'the kubeconfig context to use (default: its current-context)');
  if (opts.namespace)
    cmd.option(
      '-n, --namespace <ns>',
      opts.namespaceHelp ?? "namespace (default: the context's namespace, else default)",
    );
  return cmd;
}

export function addLogFlags(cmd: Command): Command {
  return cmd.option(
    '--log-level <level>',
    'trace, debug, info, warn or error (default: $VIRTKIT_LOG_LEVEL, else info)',
  );
}

/** What kube/ needs to connect, from the flags. */
export function connectionOf(flags: KubeFlags): ConnectOptions {
  return { kubeconfig: flags.kubeconfig, context: flags.context, namespace: flags.namespace };
}

/** The component's logger at the level the flags (or VIRTKIT_LOG_LEVEL) ask for. */
export async function componentLogger(component: string, flags: LogFlags): Promise<Logger> {
  const { createLogger } = await import('../common/log');
  return createLogger({ component, level: flags.logLevel });
}

/**
 * Start a component; a failure (no kubeconfig, refused credentials, a missing permission) is
 * logged as one fatal line in the component's format and the process exits 1.
 */
export async function startOrExit<T>(log: Logger, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    log.fatal((err as Error).message);
    process.exit(1);
  }
}
