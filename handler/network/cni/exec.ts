/**
 * Running one plugin binary (I/O): found by name in the plugin directories only, given the CNI
 * environment and its stdin, time-limited (SIGKILL at the limit), its stdout read as the
 * spec's result or error. Nothing goes on the command line: plugins take everything through
 * the environment and stdin.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pluginTypeProblem } from './conflist';
import { CniExecError, CniPluginError, CniPluginNotFoundError } from './errors';
import { pluginEnv, type Attachment } from './invocation';
import type { CniCommand, JsonObject } from './types';

/** Debian's containernetworking-plugins first, then the upstream default location. */
export const DEFAULT_PLUGIN_DIRS: readonly string[] = ['/usr/lib/cni', '/opt/cni/bin'];
/** Overrides DEFAULT_PLUGIN_DIRS: a colon-separated list, like CNI_PATH. */
export const PLUGIN_DIRS_ENV = 'VIRTKIT_CNI_PLUGIN_DIRS';
/** @default one minute per plugin call (bridge with IPAM takes well under a second) */
export const DEFAULT_EXEC_TIMEOUT_MS = 60_000;
const MAX_STDOUT = 1 << 20;
const MAX_STDERR = 64 << 10;

/** The plugin directories: the option, else $VIRTKIT_CNI_PLUGIN_DIRS, else the defaults. Pure. */
export function pluginDirsFrom(
  option: readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  // Only absolute directories: a relative one would depend on the handler's working directory.
  const given = option && option.length > 0 ? option : (env[PLUGIN_DIRS_ENV] ?? '').split(':');
  const dirs = given.filter((d) => path.isAbsolute(d));
  return dirs.length > 0 ? dirs : [...DEFAULT_PLUGIN_DIRS];
}

/**
 * The executable for plugin `type`, looked up only inside `pluginDirs` (a type is a file name,
 * never a path). Throws CniPluginNotFoundError when no directory has it.
 */
export function findPlugin(type: string, pluginDirs: readonly string[], network?: string): string {
  const problem = pluginTypeProblem(type);
  if (problem) throw new CniPluginNotFoundError(type, pluginDirs, network);
  for (const dir of pluginDirs) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, type);
    const st = fs.statSync(candidate, { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  throw new CniPluginNotFoundError(type, pluginDirs, network);
}

export interface PluginCall {
  readonly network: string;
  readonly type: string;
  readonly command: CniCommand;
  /** Absent only for VERSION. */
  readonly attachment?: Attachment;
  readonly stdin: JsonObject;
  readonly pluginDirs: readonly string[];
  /** @default DEFAULT_EXEC_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** Runs a plugin; resolves with its parsed stdout (undefined when empty, as DEL and CHECK print nothing). */
export type PluginInvoker = (call: PluginCall) => Promise<JsonObject | undefined>;

/** Reads a plugin's stdout as JSON; undefined for empty output. */
function parseOutput(call: PluginCall, stdout: string): JsonObject | undefined {
  if (stdout.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (e) {
    throw new CniExecError(
      call.network,
      call.type,
      call.command,
      `printed output that is not JSON (${(e as Error).message}): ${JSON.stringify(stdout.slice(0, 200))}`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CniExecError(
      call.network,
      call.type,
      call.command,
      `printed ${JSON.stringify(stdout.slice(0, 200))}, not a JSON object`,
    );
  return parsed as JsonObject;
}

/** The typed error for a plugin that exited with `status`. Pure. */
export function pluginFailure(call: PluginCall, status: string, stdout: string, stderr: string): Error {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    parsed = undefined;
  }
  const err = parsed as { code?: unknown; msg?: unknown; details?: unknown } | undefined;
  if (err && typeof err === 'object' && typeof err.code === 'number' && typeof err.msg === 'string')
    return new CniPluginError(
      call.network,
      call.type,
      call.command,
      err.code,
      err.msg,
      typeof err.details === 'string' ? err.details : '',
      stderr.trim(),
    );
  const said = stderr.trim() || stdout.trim();
  return new CniExecError(
    call.network,
    call.type,
    call.command,
    `${status} without an error result${said ? `: ${said.slice(-500)}` : ''}`,
  );
}

/**
 * The real invoker: spawns the plugin binary in a process group of its own, so the time limit
 * kills what it started too (iptables, the IPAM plugin), and settles then without waiting for
 * a straggler that still holds the output pipe.
 */
export const execPlugin: PluginInvoker = async (call) => {
  const binary = findPlugin(call.type, call.pluginDirs, call.network);
  const timeoutMs = call.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], {
      env: pluginEnv(call.command, call.attachment, call.pluginDirs, process.env.PATH),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const fail = (detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup();
      child.stdout.destroy();
      child.stderr.destroy();
      reject(new CniExecError(call.network, call.type, call.command, detail));
    };
    const timer = setTimeout(() => fail(`killed after ${timeoutMs / 1000}s without finishing`), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length + d.length > MAX_STDOUT) fail(`printed more than ${MAX_STDOUT} bytes`);
      else stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_STDERR) stderr += d.slice(0, MAX_STDERR - stderr.length);
    });
    // A plugin that exits without reading stdin must not crash the handler with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => fail(`could not be run (${binary}): ${e.message}`));
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (code !== 0)
        return reject(
          pluginFailure(call, signal ? `killed by ${signal}` : `exited with status ${code}`, stdout, stderr),
        );
      try {
        resolve(parseOutput(call, stdout));
      } catch (e) {
        reject(e as Error);
      }
    });
    child.stdin.end(JSON.stringify(call.stdin));
  });
};
