/**
 * Host processes of local mode: start one detached with its output in a log file and its pid in
 * a pid file, tell whether a pid is still one of ours, and stop it (SIGTERM, then SIGKILL).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export interface ProcessSpec {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly pidFile: string;
  /** Set once the process has exited (only known for processes this Node process started). */
  exit?: { code: number | null; signal: string | null };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Start `spec` in its own process group (so Ctrl-C on the terminal reaches only `virtkit`,
 * which then stops the components in order) with stdout and stderr appended to `logFile`.
 */
export function startProcess(spec: ProcessSpec, logFile: string, pidFile: string): StartedProcess {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `--- ${new Date().toISOString()} ${spec.binary} ${spec.args.join(' ')}\n`);
  try {
    const child = spawn(spec.binary, [...spec.args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
    });
    if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${spec.binary}`);
    const started: StartedProcess = { name: spec.name, pid: child.pid, logFile, pidFile };
    child.on('exit', (code, signal) => {
      started.exit = { code, signal };
    });
    child.on('error', () => {
      started.exit = started.exit ?? { code: null, signal: null };
    });
    child.unref();
    fs.writeFileSync(pidFile, `${child.pid}\n`);
    return started;
  } finally {
    fs.closeSync(fd);
  }
}

/** True while `pid` names a live (not zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * True when `pid` is alive and its command line mentions `marker` (the state folder): a pid
 * file left by a crash may name a pid the kernel has since given to an unrelated process.
 */
export function isOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

export function readPidFile(pidFile: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Wait up to `ms` for `pid` to go away; true when it did. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitGone(pid, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitGone(pid, 5_000);
}

/**
 * What to quote from a component's log in an error: its latest run only (after the header
 * startProcess writes), the lines that look like the cause first (a usage text printed after
 * "unknown flag" would otherwise hide it), then the last lines.
 */
export function logTail(logFile: string, lines = 15): string {
  let text: string;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return '(no log)';
  }
  const all = text.trimEnd().split('\n');
  let start = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    if (all[i].startsWith('--- ')) {
      start = i + 1;
      break;
    }
  }
  const run = all.slice(start);
  if (run.length <= lines) return run.join('\n');
  const tail = run.slice(-lines);
  const causes = run
    .slice(0, -lines)
    .filter((line) => /error|fatal|panic|unknown|invalid|failed|not defined|cannot|unable/i.test(line))
    .slice(0, 5);
  return [...causes, ...(causes.length ? ['...'] : []), ...tail].join('\n');
}
