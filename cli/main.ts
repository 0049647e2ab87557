/**
 * The `virtkit` command. Each subcommand lives in cli/commands/<name>.ts and registers
 * itself; errors print one clear line (or report) and exit non-zero, never a stack trace.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command, CommanderError } from 'commander';
import * as crds from './commands/crds';
import * as validate from './commands/validate';
import * as launch from './commands/launch';
import * as launcher from './commands/launcher';
import * as controller from './commands/controller';
import * as up from './commands/up';
import * as down from './commands/down';
import * as status from './commands/status';

const COMMANDS: { register(program: Command): void }[] = [
  crds,
  validate,
  up,
  down,
  status,
  launch,
  launcher,
  controller,
];

/** The package version, from the source tree (cli/) or the compiled one (dist/cli/). */
function packageVersion(): string {
  for (const rel of ['..', '../..']) {
    const file = path.join(__dirname, rel, 'package.json');
    if (fs.existsSync(file))
      return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('virtkit')
    .description('KubeVirt-compatible virtualization as typed code')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const c of COMMANDS) c.register(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    console.error(`virtkit: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.VIRTKIT_DEBUG && e instanceof Error) console.error(e.stack);
    process.exitCode = 1;
  }
}
