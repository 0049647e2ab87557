/** `virtkit down`: stop everything `virtkit up` started from the state folder. */
import type { Command } from 'commander';
import { reportFailure, resolveStateDir } from '../local/cli-options';
import { stopLocalMode } from '../local/manage';

export function register(program: Command): void {
  program
    .command('down')
    .description('Stop every process `virtkit up` started (its data and logs stay in the state folder)')
    .option('--state-dir <dir>', 'the folder `virtkit up` used (default: $VIRTKIT_STATE_DIR or ./.virtkit)')
    .action(async (flags: { stateDir?: string }) => {
      try {
        const stateDir = resolveStateDir(flags.stateDir);
        const stopped = await stopLocalMode(stateDir, (m) => console.error(`virtkit down: ${m}`));
        console.log(
          stopped.length ? `stopped ${stopped.join(', ')}` : `nothing was running from ${stateDir}`,
        );
      } catch (err) {
        reportFailure('down', err);
      }
    });
}
