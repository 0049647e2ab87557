/** `virtkit status`: what `virtkit up` started, whether it runs and answers its health checks. */
import type { Command } from 'commander';
import { reportFailure, resolveStateDir } from '../local/cli-options';
import { localStatus } from '../local/manage';
import { formatStatus, isHealthy } from '../local/status-format';

export function register(program: Command): void {
  program
    .command('status')
    .description(
      'Show the processes `virtkit up` started: pids, ports and health (exit code 1 unless all are healthy)',
    )
    .option('--state-dir <dir>', 'the folder `virtkit up` used (default: $VIRTKIT_STATE_DIR or ./.virtkit)')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(async (flags: { stateDir?: string; output: string }) => {
      try {
        const status = await localStatus(resolveStateDir(flags.stateDir));
        if (flags.output === 'json') console.log(JSON.stringify(status, null, 2));
        else process.stdout.write(formatStatus(status));
        if (!isHealthy(status)) process.exitCode = 1;
      } catch (err) {
        reportFailure('status', err);
      }
    });
}
