/** `virtkit launch FILE.yaml [--console]`: run a VMI (or a VM's template) in the foreground. */
import type { Command } from 'commander';
import { runLaunch } from '../../launcher/entry';
import { checkFeatureGates } from '../local/kubevirt-config';

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
    .option(
      '--feature-gates <gates>',
      "comma-separated feature gates to allow for this VM, as a cluster's KubeVirt object would: LocalContainerDisk for a disk image or kernel folder of your own (an absolute path or file://), HostDisk for hostDisk volumes",
    )
    .action(async (file: string, opts: { console: boolean; workdir?: string; featureGates?: string }) => {
      try {
        const featureGates = (opts.featureGates ?? '')
          .split(',')
          .map((g) => g.trim())
          .filter(Boolean);
        checkFeatureGates(featureGates);
        process.exitCode = await runLaunch({
          file,
          console: opts.console,
          workDir: opts.workdir,
          featureGates,
        });
      } catch (e) {
        process.stderr.write(`virtkit launch: ${(e as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
