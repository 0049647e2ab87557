/**
 * Test support: run a `virtkit` command in-process, as main.ts would, capturing what it writes to
 * stdout and stderr and its exit code (process.exitCode, or a CommanderError's).
 */
import { Command, CommanderError } from 'commander';

export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runInProcess(
  register: (program: Command) => void,
  args: readonly string[],
): Promise<InProcessResult> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('virtkit').exitOverride();
  register(program);
  const capture = (cmd: Command): void => {
    cmd.configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
    cmd.commands.forEach(capture);
  };
  capture(program);
  // Patched by hand, not with jest.spyOn: this file is compiled with the package, without jest.
  const original = { log: console.log, error: console.error, write: process.stdout.write };
  console.log = (s: unknown) => void out.push(`${String(s)}\n`);
  console.error = (s: unknown) => void err.push(`${String(s)}\n`);
  process.stdout.write = ((s: string | Uint8Array) => out.push(String(s)) > 0) as typeof process.stdout.write;
  const saved = process.exitCode;
  process.exitCode = undefined;
  let code = 0;
  try {
    await program.parseAsync([...args], { from: 'user' });
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  } finally {
    process.exitCode = saved;
    console.log = original.log;
    console.error = original.error;
    process.stdout.write = original.write;
  }
  return { code, stdout: out.join(''), stderr: err.join('') };
}
