/** Running iproute2's `ip` and `bridge` (I/O): time-limited, arguments as an array (never a shell). */
import { execFile } from 'child_process';

export const IP_TIMEOUT_MS = 30_000;

/** The iproute2 programs run here. */
export type Iproute2Command = 'ip' | 'bridge';

/** Failure of an `ip` (or `bridge`) run: the arguments, its stderr, and whether it is missing altogether. */
export class IpCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    readonly notInstalled: boolean,
    readonly command: Iproute2Command = 'ip',
  ) {
    super(
      notInstalled
        ? `${command} is not installed; install the Debian package iproute2`
        : `${command} ${args.join(' ')} failed: ${stderr.trim() || 'no message'}`,
    );
    this.name = 'IpCommandError';
  }
}

/** Runs `ip <args>` and resolves with its stdout. */
export function runIp(args: readonly string[], timeoutMs = IP_TIMEOUT_MS): Promise<string> {
  return runIproute2('ip', args, timeoutMs);
}

/** Runs `bridge <args>` (forwarding database entries) and resolves with its stdout. */
export function runBridge(args: readonly string[], timeoutMs = IP_TIMEOUT_MS): Promise<string> {
  return runIproute2('bridge', args, timeoutMs);
}

function runIproute2(command: Iproute2Command, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new IpCommandError(args, '', true, command));
        reject(
          new IpCommandError(
            args,
            e.killed ? `killed after ${timeoutMs / 1000}s` : stderr || e.message,
            false,
            command,
          ),
        );
      },
    );
  });
}
