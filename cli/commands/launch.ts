/** `virtkit launch FILE.yaml [--console]`: run a VMI (or a VM's template) in the foreground. */
import type { Command } from 'commander';
import { runLaunch } from '../../launcher/entry';

export function register(program: Command): void {
  program
    .command('launch')
    .description(
      "Run a VirtualMachineInstance (or a VirtualMachine's template) from a manifest on this machine, in the foreground. Ctrl-C or SIGTERM shuts the guest down gracefully.",
    )
    .argument('<file>', 'YAML or JSON manifest holding a VirtualMachineInstance or VirtualMachine')
    .option('--console', 'copy the serial console to stdout (and stdin to the guest)', false)
    .option(
      '--workdir <dir>',
      'directory for sockets, overlays and logs (a new temporary directory by default)',
    )
    .action(async (file: string, opts: { console: boolean; workdir?: string }) => {
      try {
        process.exitCode = await runLaunch({ file, console: opts.console, workDir: opts.workdir });
      } catch (e) {
        process.stderr.write(`virtkit launch: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
