/**
 * The `virtkit importer` child of a worker pod (I/O), started the way the pod runtime starts
 * `virtkit launcher` (the same program and leading arguments, handler/pods/launcher-process.ts):
 * in its own process group (so qemu-img and xz go with it), stdout read as JSON lines, stderr
 * appended to the pod's importer.log (0600). Its environment is the handler's without any
 * IMPORTER_* variable, plus the plan's: the only way credentials reach it. Stopped with SIGTERM,
 * then SIGKILL to the group after the grace period.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import { isSameProcess, processStartTicks, type LauncherCommand } from '../pods/launcher-process';
import { LineSplitter, parseImporterLine, type ImporterLine } from './importer-output';

export interface ImporterChild {
  readonly pid: number;
  readonly startTicks: string;
  readonly child: ChildProcess;
}

export interface ImporterHandlers {
  readonly onLine: (line: ImporterLine) => void;
  readonly onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** The handler's environment minus anything the importer reads as its input. */
export function childEnvironment(
  parent: NodeJS.ProcessEnv,
  own: Readonly<Record<string, string>>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(parent))
    if (!k.startsWith('IMPORTER_') && k !== 'INSECURE_TLS' && k !== 'FILESYSTEM_OVERHEAD') env[k] = v;
  return { ...env, ...own };
}

export function startImporter(
  cmd: LauncherCommand,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  logFile: string,
  h: ImporterHandlers,
): ImporterChild {
  const fd = fs.openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(cmd.program, [...cmd.args, ...args], {
      detached: true,
      stdio: ['ignore', 'pipe', fd],
      env: childEnvironment(process.env, env),
    });
    if (child.pid === undefined)
      throw new Error(`could not start ${cmd.program} ${cmd.args.join(' ')} importer`);
    const lines = new LineSplitter();
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const l of lines.push(chunk)) {
        const parsed = parseImporterLine(l);
        if (parsed) h.onLine(parsed);
      }
    });
    // 'close' comes after stdout has been read to its end: the result line is in by then.
    child.once('close', (code, signal) => h.onExit(code, signal));
    child.once('error', () => undefined);
    return { pid: child.pid, startTicks: processStartTicks(child.pid) ?? '', child };
  } finally {
    fs.closeSync(fd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM the importer's group, wait up to `graceSeconds`, then SIGKILL it. Resolves once it is gone. */
export async function stopImporter(pid: number, startTicks: string, graceSeconds: number): Promise<void> {
  if (!isSameProcess(pid, startTicks)) return;
  signalGroup(pid, 'SIGTERM');
  const until = Date.now() + graceSeconds * 1000;
  while (Date.now() < until) {
    if (!isSameProcess(pid, startTicks)) return;
    await sleep(100);
  }
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isSameProcess(pid, startTicks); i++) await sleep(100);
}
