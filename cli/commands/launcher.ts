/**
 * `virtkit launcher`: the per-VM compute process the handler starts (virt-launcher's role).
 * Flags are documented in docs/launcher.md; the control API in docs/launcher-api.md.
 */
import type { Command } from 'commander';
import { runLauncher } from '../../launcher/entry';

export function register(program: Command): void {
  program
    .command('launcher')
    .description(
      'Run one VMI under QEMU and serve its control API on a unix socket (started by the handler).',
    )
    .requiredOption(
      '--workdir <dir>',
      'private directory of this VM: sockets, overlays, generated disks, logs, final-status.json',
    )
    .requiredOption('--vmi <file>', 'the VirtualMachineInstance manifest (YAML or JSON)')
    .option('--socket <path>', 'control API socket (default <workdir>/launcher.sock)')
    .option(
      '--resources <file>',
      'JSON with what the handler prepared: claim disk paths, tap devices, container disk bases, resolved secrets',
    )
    .option(
      '--state-dir <dir>',
      'where state that outlives the pod is kept (persistent EFI variables); default <workdir>',
    )
    .option('--wait-for-sync', 'do not start the guest until POST /v1/sync', false)
    .option(
      '--handler-dir <dir>',
      "cluster mode: the pod's folder shared with the node handler; wait there for its resources.json, serve launcher.sock there and wait for POST /v1/sync (replaces --socket, --resources and --wait-for-sync)",
    )
    .option(
      '--log-level <level>',
      'trace, debug, info, warn or error (default: $VIRTKIT_LOG_LEVEL, else info)',
    )
    .action(
      async (opts: {
        workdir: string;
        vmi: string;
        socket?: string;
        resources?: string;
        stateDir?: string;
        waitForSync: boolean;
        handlerDir?: string;
        logLevel?: string;
      }) => {
        try {
          process.exitCode = await runLauncher({
            workDir: opts.workdir,
            vmiFile: opts.vmi,
            socketPath: opts.socket,
            resourcesFile: opts.resources,
            stateDir: opts.stateDir,
            waitForSync: opts.waitForSync,
            handlerDir: opts.handlerDir,
            logLevel: opts.logLevel,
          });
        } catch (e) {
          // One JSON line like every other line of the launcher's log.
          process.stderr.write(
            `${JSON.stringify({ level: 'error', timestamp: new Date().toISOString(), component: 'virtkit-launcher', msg: (e as Error).message })}\n`,
          );
          process.exitCode = 2;
        }
      },
    );
}
