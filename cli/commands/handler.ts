/**
 * `virtkit handler`: the per-node agent (virt-handler's role, plus kubelet's in local mode).
 * Runs until SIGTERM or SIGINT; the launchers it started keep running and are adopted by the
 * next handler on this node. See docs/handler.md.
 */
import type { Command } from 'commander';
import { DEFAULT_STATE_DIR, Handler } from '../../handler/handler';
import {
  addKubeFlags,
  addLogFlags,
  componentLogger,
  connectionOf,
  startOrExit,
  type KubeFlags,
  type LogFlags,
} from '../kube-flags';

interface HandlerFlags extends KubeFlags, LogFlags {
  nodeName?: string;
  stateDir: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('handler')
    .description(
      'Run the node handler: register this node, run launcher pods bound to it, and sync their VMIs.',
    );
  addLogFlags(addKubeFlags(cmd))
    .option('--node-name <name>', 'name of this node (default: $NODE_NAME, else the host name)')
    .option('--state-dir <dir>', 'pod directories, launcher work dirs and pid files', DEFAULT_STATE_DIR)
    .action(async (flags: HandlerFlags) => {
      const log = await componentLogger('virtkit-handler', flags);
      const handler = new Handler({
        connection: connectionOf(flags),
        log,
        nodeName: flags.nodeName,
        stateDir: flags.stateDir,
        version: program.version(),
      });
      await startOrExit(log, () => handler.start());
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.off('SIGTERM', done);
          process.off('SIGINT', done);
          resolve();
        };
        process.on('SIGTERM', done);
        process.on('SIGINT', done);
      });
      await handler.stop();
      process.exit(0);
    });
}
