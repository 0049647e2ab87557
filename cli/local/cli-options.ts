/** Options shared by `virtkit up`, `down` and `status` (pure helpers). */
import * as path from 'path';

/** The state folder: --state-dir, else $VIRTKIT_STATE_DIR, else ./.virtkit. */
export function resolveStateDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): string {
  return path.resolve(cwd, flag ?? env.VIRTKIT_STATE_DIR ?? '.virtkit');
}

/** Parse a TCP port given on the command line; the message names the flag and the value. */
export function parsePort(flag: string): (value: string) => number {
  return (value: string): number => {
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${flag}: '${value}' is not a TCP port; give a whole number from 1 to 65535`);
    }
    return port;
  };
}

/** Parse a positive number of seconds. */
export function parseSeconds(flag: string): (value: string) => number {
  return (value: string): number => {
    const seconds = Number(value);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new Error(`${flag}: '${value}' is not a positive number of seconds`);
    }
    return seconds;
  };
}

/** Parse `--nodes N` of `virtkit up`: a whole number from 1 to `max`. */
export function parseNodeCount(value: string, max = 8): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max)
    throw new Error(`--nodes: '${value}' is not a node count; give a whole number from 1 to ${max}`);
  return n;
}

/** Print a failure the way every local-mode command does and set a failing exit code. */
export function reportFailure(command: string, err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`virtkit ${command}: ${message}`);
  process.exitCode = 1;
}
