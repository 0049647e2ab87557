/**
 * Host processes of launcher pods: start `virtkit launcher` detached (its own process group, so
 * it outlives a handler restart) inside its pod's network namespace, tell whether a recorded pid is still that launcher (pid plus
 * start time, against pid reuse), and stop it: SIGTERM (the launcher shuts the guest down
 * gracefully), then SIGKILL to the group after the grace period.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** How to run `virtkit launcher`: the program and the arguments before the subcommand. */
export interface LauncherCommand {
  readonly program: string;
  readonly args: readonly string[];
}

/** `node <repo>/bin/virtkit.js`, found from this file's place in the source or dist tree. */
export function defaultLauncherCommand(): LauncherCommand {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const bin = path.join(dir, 'bin', 'virtkit.js');
    if (fs.existsSync(bin)) return { program: process.execPath, args: [bin] };
    dir = path.dirname(dir);
  }
  throw new Error(`bin/virtkit.js was not found above ${__dirname}; pass the launcher command explicitly`);
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or undefined when the pid is gone or a zombie. */
export function processStartTicks(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

export function isSameProcess(pid: number, startTicks: string): boolean {
  const now = processStartTicks(pid);
  return now !== undefined && (startTicks === '' || now === startTicks);
}

export interface StartedLauncher {
  readonly pid: number;
  readonly startTicks: string;
  readonly child: ChildProcess;
}

/** util-linux's nsenter: joins a namespace, then execs the program in place (same pid). */
export const NSENTER = 'nsenter';

/**
 * The program and arguments that run `virtkit launcher` (pure): inside the pod's network
 * namespace when `netnsPath` is given. `nsenter --net=<path>` joins only the network namespace
 * (no mount namespace or /sys remount, unlike `ip netns exec`) and execs the launcher in place,
 * so the pid the handler records is the launcher's own.
 */
export function launcherArgv(
  cmd: LauncherCommand,
  launcherArgs: readonly string[],
  netnsPath?: string,
): { program: string; args: string[] } {
  const own = [...cmd.args, 'launcher', ...launcherArgs];
  if (!netnsPath) return { program: cmd.program, args: own };
  return { program: NSENTER, args: [`--net=${netnsPath}`, '--', cmd.program, ...own] };
}

export function startLauncher(
  cmd: LauncherCommand,
  launcherArgs: readonly string[],
  logFile: string,
  /** The pod's network namespace (/run/netns/<name>); the host's when undefined. */
  netnsPath?: string,
): StartedLauncher {
  const fd = fs.openSync(logFile, 'a');
  try {
    const argv = launcherArgv(cmd, launcherArgs, netnsPath);
    const child = spawn(argv.program, argv.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      // Guests run nicer than the control plane and the runtime on this shared host (see
      // launcher/runtime/qemu-process.ts); an operator's own setting wins.
      env: { VIRTKIT_QEMU_NICE: '10', ...process.env },
    });
    if (child.pid === undefined) throw new Error(`could not start ${argv.program} ${argv.args.join(' ')}`);
    child.unref();
    return { pid: child.pid, startTicks: processStartTicks(child.pid) ?? '', child };
  } finally {
    fs.closeSync(fd);
  }
}

function signal(pid: number, sig: NodeJS.Signals, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, sig);
  } catch {
    // already gone
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM the launcher, wait up to `graceSeconds`, then SIGKILL its whole group (QEMU included).
 * Resolves once the process is gone.
 */
export async function stopLauncher(pid: number, startTicks: string, graceSeconds: number): Promise<void> {
  if (!isSameProcess(pid, startTicks)) return;
  signal(pid, 'SIGTERM', false);
  const until = Date.now() + graceSeconds * 1000;
  while (Date.now() < until) {
    if (!isSameProcess(pid, startTicks)) return;
    await sleep(200);
  }
  signal(pid, 'SIGKILL', true);
  for (let i = 0; i < 50 && isSameProcess(pid, startTicks); i++) await sleep(100);
}
