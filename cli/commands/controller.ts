/**
 * `virtkit controller`: the cluster-wide controller (virt-controller's role). Runs until SIGTERM
 * or SIGINT, then stops gracefully: workers finish their current key, the lease is released so
 * a standby takes over at once, watches close. Losing the lease exits with status 1, as
 * controller-runtime does, so a supervisor restarts it as a candidate.
 */
import type { Command } from 'commander';
import { ControllerManager } from '../../controller/manager';
import {
  addKubeFlags,
  addLogFlags,
  componentLogger,
  connectionOf,
  startOrExit,
  type KubeFlags,
  type LogFlags,
} from '../kube-flags';

interface ControllerFlags extends KubeFlags, LogFlags {
  metricsPort?: string;
  metricsHost: string;
  leaderElect: boolean;
  leaderElectNamespace: string;
  namespace?: string;
  workers: string;
  launcherImage?: string;
  kubeOvnIpam: boolean;
}

function port(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(
      `--metrics-port ${value}: not a TCP port; give a whole number from 0 to 65535 (0 picks a free one)`,
    );
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('controller')
    .description(
      'Run the VM, VMI, VirtualMachinePool and VirtualMachineInstanceReplicaSet controllers against a cluster (started by `virtkit up`, or as a Deployment).',
    );
  addLogFlags(addKubeFlags(cmd))
    .option('--metrics-port <port>', 'serve Prometheus metrics, /healthz and /readyz on this port')
    .option('--metrics-host <host>', 'address the metrics server binds', '0.0.0.0')
    .option('--leader-elect', 'only reconcile while holding the Lease kube-system/virtkit-controller', false)
    .option('--leader-elect-namespace <ns>', 'namespace of the leader Lease', 'kube-system')
    .option('--namespace <ns>', 'only watch this namespace (default: all)')
    .option('--workers <n>', 'concurrent reconciles per kind', '2')
    .option('--launcher-image <image>', 'image of the launcher container in launcher pods')
    .option(
      '--no-kube-ovn-ipam',
      'never allocate Kube-OVN Subnet addresses (by default virtkit allocates them unless it finds the real Kube-OVN running: a pod labelled app=kube-ovn-controller)',
    )
    .action(async (flags: ControllerFlags) => {
      const workers = Number(flags.workers);
      if (!Number.isInteger(workers) || workers < 1)
        throw new Error(`--workers ${flags.workers}: give a whole number of at least 1`);
      const log = await componentLogger('virtkit-controller', flags);
      const manager = await startOrExit(log, () =>
        ControllerManager.create({
          // --namespace here scopes the watches; the connection uses only --kubeconfig and --context.
          connection: connectionOf({ kubeconfig: flags.kubeconfig, context: flags.context }),
          log,
          metricsPort: port(flags.metricsPort),
          metricsHost: flags.metricsHost,
          leaderElect: flags.leaderElect,
          leaseNamespace: flags.leaderElectNamespace,
          namespace: flags.namespace,
          workers,
          launcherImage: flags.launcherImage,
          kubeOvnIpam: flags.kubeOvnIpam,
          onLostLeadership: () => {
            log.fatal('lost the leader lease; exiting so a fresh candidate takes over');
            process.exit(1);
          },
        }),
      );
      await startOrExit(log, () => manager.start());
      log.info({ metricsPort: manager.metricsPort }, 'started');
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info({ signal }, 'stopping');
          manager.stop().then(resolve, (err: unknown) => {
            log.error(`stop failed: ${(err as Error).message}`);
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
