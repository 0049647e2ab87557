/**
 * `virtkit console NAME [--timeout MINUTES] [--no-history]`: the serial console of a running
 * VMI, like `virtctl console`, through the API server: a websocket to
 * `subresources.kubevirt.io/v1/.../virtualmachineinstances/NAME/console` (subprotocol
 * `plain.kubevirt.io`), so RBAC is the cluster's (`get` on `virtualmachineinstances/console`).
 *
 * - On a terminal: raw mode, every key goes to the guest (Ctrl+C included); `Ctrl+]` leaves.
 * - On a pipe: the guest's output is copied to stdout and stdin to the guest, so scripts can
 *   use it; the end of stdin does not end the session (like `tail -f`, it runs until the guest's
 *   console closes, the session is cut, or SIGINT/SIGTERM).
 * - First it replays the guest's recent serial output (the last 64 KiB of its serial log, from a
 *   line start), so a script that connects after boot still sees the boot; `--no-history` gives
 *   live output only, as virtctl does. (virtkit's own `history` parameter; KubeVirt has none.)
 * - While the VMI is not running yet (the server answers 400 "VMI is not running", or there is
 *   no VMI yet but its VirtualMachine exists) it retries every second for `--timeout` minutes
 *   (virtctl's flag and default, 5), then fails with virtctl's "Timeout trying to connect to the
 *   virtual machine instance".
 * - One console per VMI, as in KubeVirt: a newer `console` of the same VMI cuts this one, which
 *   ends with "another client connected to the console of virtualmachineinstance NS/NAME".
 *
 * Exit codes: 0 the user left (Ctrl+], SIGINT/SIGTERM on a pipe) or the guest's console closed
 * (the VMI stopped); 1 the server refused (its message is printed), the connection dropped, or
 * another client took the console over; 2 usage.
 */
import type { Command } from 'commander';
import type { Readable, Writable } from 'stream';
import type WebSocket from 'ws';
import { CloseCode, PLAIN_STREAM_PROTOCOL } from '../../common/plain-stream';
import type { KubeConfigOptions } from '../../kube/config';
import { KubeApiError } from '../../kube/errors';
import { SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube/resources';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { refusalMessage, usageExitCodes } from './vm-state';

/** What `virtkit console` replays first: the last 64 KiB of the serial console. */
export const CONSOLE_HISTORY_BYTES = 64 * 1024;

/** Ctrl+] leaves the console (virtctl's and telnet's escape). */
export const ESCAPE_BYTE = 0x1d;

/** virtctl's message when the VMI did not come up within --timeout. */
export const TIMEOUT_MESSAGE = 'Timeout trying to connect to the virtual machine instance';

export interface ConsoleFlags extends KubeFlags {
  readonly timeout?: string;
  /** commander's `--no-history` sets it false. */
  readonly history?: boolean;
}

/** A usage mistake: exit code 2. */
export class ConsoleUsageError extends Error {}

/** --timeout in minutes (virtctl's unit), fractions allowed; throws ConsoleUsageError. Pure. */
export function parseTimeoutMinutes(value: string | undefined): number {
  if (value === undefined) return 5;
  const text = value.trim();
  if (!/^\d+(\.\d+)?$/.test(text))
    throw new ConsoleUsageError(
      `--timeout ${value}: not a number of minutes (virtctl's unit), like 5 or 0.5`,
    );
  return Number(text);
}

/** Opens the stream; tests pass their own. */
export type ConsoleDialer = (
  name: string,
  opts: { readonly history?: number },
  connection: KubeConfigOptions,
) => Promise<WebSocket>;

/** Whether a VirtualMachine NAME exists (its VMI is on the way); tests pass their own. */
export type VmProbe = (name: string, connection: KubeConfigOptions) => Promise<boolean>;

export const dialConsole: ConsoleDialer = async (name, opts, connection) => {
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  try {
    return await api.openStream(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, api.namespace, name, 'console', {
      protocols: [PLAIN_STREAM_PROTOCOL],
      query: { history: opts.history },
    });
  } finally {
    api.close();
  }
};

export const vmExists: VmProbe = async (name, connection) => {
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  try {
    return (await api.getIfExists(VIRTUAL_MACHINES, api.namespace, name)) !== undefined;
  } catch {
    return false;
  } finally {
    api.close();
  }
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Connects, retrying while the VMI is not running yet (400 "VMI is not running"; a VMI not
 * found while its VirtualMachine exists) until `timeoutMs`. Other refusals are thrown at once.
 */
export async function connectWithRetry(
  dial: () => Promise<WebSocket>,
  o: {
    readonly timeoutMs: number;
    readonly vmExists: () => Promise<boolean>;
    readonly onWait?: (why: string) => void;
    readonly retryMs?: number;
  },
): Promise<WebSocket> {
  const deadline = Date.now() + o.timeoutMs;
  let told = false;
  for (;;) {
    try {
      return await dial();
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      const notRunning = err.status === 400 && /VMI is not running/.test(err.serverMessage);
      const notYet =
        err.status === 404 && /virtualmachineinstance/.test(err.serverMessage) && (await o.vmExists());
      if (!notRunning && !notYet) throw err;
      if (Date.now() + (o.retryMs ?? 1000) > deadline) throw new Error(TIMEOUT_MESSAGE);
      if (!told) o.onWait?.(err.serverMessage);
      told = true;
      await sleep(o.retryMs ?? 1000);
    }
  }
}

export interface ConsoleSessionIo {
  readonly input: Readable;
  readonly output: Writable;
  /** Raw mode: Ctrl+] leaves. */
  readonly tty: boolean;
}

export interface ConsoleSessionEnd {
  readonly exitCode: 0 | 1;
  /** Why it ended, for the user; undefined when the user left. */
  readonly message?: string;
}

/**
 * Joins an open console websocket (paused or not) to input and output until one side ends it. Binary messages
 * are the guest's output; input bytes go to the guest (up to a Ctrl+] on a terminal, which
 * ends the session). Resolves with the exit code and the reason.
 */
export function runConsoleSession(
  ws: WebSocket,
  io: ConsoleSessionIo,
  name: string,
): { done: Promise<ConsoleSessionEnd>; leave: () => void } {
  let finish!: (end: ConsoleSessionEnd) => void;
  let ended = false;
  const done = new Promise<ConsoleSessionEnd>((resolve) => {
    finish = (end) => {
      if (ended) return;
      ended = true;
      io.input.off('data', onInput);
      resolve(end);
    };
  });
  const leave = (): void => {
    if (ended) return;
    finish({ exitCode: 0 });
    ws.close(CloseCode.normal, 'the client left');
    // The closing handshake is a courtesy; do not wait long for it.
    setTimeout(() => ws.terminate(), 1000).unref();
  };
  const onInput = (chunk: Buffer): void => {
    if (ended || ws.readyState !== ws.OPEN) return;
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    const esc = io.tty ? data.indexOf(ESCAPE_BYTE) : -1;
    const send = esc >= 0 ? data.subarray(0, esc) : data;
    if (send.length) ws.send(send, { binary: true });
    if (esc >= 0) leave();
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary || ended) return;
    if (!io.output.write(data)) {
      ws.pause();
      io.output.once('drain', () => ws.resume());
    }
  });
  ws.once('close', (code: number, reasonBuf: Buffer) => {
    const reason = reasonBuf.toString('utf8');
    if (code === CloseCode.normal)
      finish({ exitCode: 0, message: reason ? `${reason}` : `the console of ${name} closed` });
    else if (code === CloseCode.goingAway)
      finish({
        exitCode: 1,
        message: `You were disconnected from the console: ${reason || 'another client connected to it'}`,
      });
    else if (code === 1006)
      finish({
        exitCode: 1,
        message:
          'You were disconnected from the console: the connection dropped (network issues, or the API server or virtkit api went away)',
      });
    else finish({ exitCode: 1, message: `The console closed (${code})${reason ? `: ${reason}` : ''}` });
  });
  ws.on('error', () => undefined);
  io.input.on('data', onInput);
  // The websocket comes paused from kube/ (nothing is lost before we listen).
  ws.resume();
  return { done, leave };
}

export function register(
  program: Command,
  dial: ConsoleDialer = dialConsole,
  probe: VmProbe = vmExists,
): void {
  const cmd = program
    .command('console')
    .description('Connect to the serial console of a running VMI (like `virtctl console`); Ctrl+] leaves')
    .argument('<name>', "the VirtualMachineInstance (a VM's VMI has the VM's name)")
    .option('--timeout <minutes>', "minutes to wait for the VMI to run (virtctl's unit)", '5')
    .option('--no-history', 'do not replay the recent serial output (the last 64 KiB) first');
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (name: string, flags: ConsoleFlags) => {
    let timeoutMinutes: number;
    try {
      timeoutMinutes = parseTimeoutMinutes(flags.timeout);
    } catch (err) {
      cmd.error(`virtkit console: ${(err as Error).message}`, { exitCode: 2, code: 'virtkit.usage' });
      return;
    }
    const connection = connectionOf(flags);
    const history = flags.history === false ? undefined : CONSOLE_HISTORY_BYTES;
    let ws: WebSocket;
    try {
      ws = await connectWithRetry(() => dial(name, { history }, connection), {
        timeoutMs: timeoutMinutes * 60_000,
        vmExists: () => probe(name, connection),
        onWait: (why) => process.stderr.write(`Waiting for ${name} to run (${why})...\n`),
      });
    } catch (err) {
      console.error(`virtkit console: ${refusalMessage(err)}`);
      process.exitCode = 1;
      return;
    }
    const stdin = process.stdin;
    const tty = Boolean(stdin.isTTY);
    process.stderr.write(
      `Successfully connected to ${name} console. The escape sequence is ^]${tty ? '' : ' (on a terminal)'}\n`,
    );
    if (tty) stdin.setRawMode(true);
    const session = runConsoleSession(ws, { input: stdin, output: process.stdout, tty }, name);
    const onSignal = (): void => session.leave();
    process.once('SIGTERM', onSignal);
    if (!tty) process.once('SIGINT', onSignal);
    stdin.resume();
    const end = await session.done;
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (tty) stdin.setRawMode(false);
    // Nothing more is read: let the process end.
    stdin.destroy();
    if (end.message) process.stderr.write(`${tty ? '\r\n' : '\n'}${end.message}\n`);
    process.exitCode = end.exitCode;
  });
}
