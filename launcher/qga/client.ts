/**
 * Client of the QEMU guest agent over the chardev socket of the `org.qemu.guest_agent.0`
 * channel (`<workdir>/qga.sock`). The protocol is one JSON object per line, one command at a
 * time. The channel keeps whatever earlier clients left in it, so the client resynchronises
 * with `guest-sync-delimited` (a 0xFF byte, then a random id the agent echoes after its own
 * 0xFF) on first use and after any timeout or garbled answer. Every wait has a timeout:
 * a guest without an agent simply never answers.
 */
import { randomInt } from 'crypto';
import * as net from 'net';
import {
  QgaCommandError,
  QgaDisconnectedError,
  QgaProtocolError,
  QgaTimeoutError,
  QgaUnavailableError,
} from './errors';
import type { QgaReply } from './protocol';

/** The agent's stream delimiter: it flushes parser state on both sides. */
const SENTINEL = 0xff;
export const DEFAULT_QGA_TIMEOUT_MS = 3000;

interface Waiter {
  readonly command: string;
  onLine(line: string): void;
  fail(e: Error): void;
}

export class QgaClient {
  private pending = Buffer.alloc(0);
  private waiter: Waiter | undefined;
  private needsSync = true;
  private queue: Promise<unknown> = Promise.resolve();
  private isClosed = false;

  private constructor(
    readonly socketPath: string,
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    const gone = (): void => {
      this.isClosed = true;
      const w = this.waiter;
      this.waiter = undefined;
      w?.fail(new QgaDisconnectedError(socketPath, w.command));
    };
    socket.on('close', gone);
    socket.on('error', gone);
  }

  /** Opens the agent socket; QgaUnavailableError when nothing listens there. */
  static connect(socketPath: string, timeoutMs = DEFAULT_QGA_TIMEOUT_MS): Promise<QgaClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new QgaUnavailableError(socketPath, new Error(`no connection within ${timeoutMs} ms`)));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new QgaUnavailableError(socketPath, e));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new QgaClient(socketPath, socket, timeoutMs));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  close(): void {
    this.isClosed = true;
    this.socket.destroy();
  }

  /** Resynchronises the stream now (also done automatically before the first command). */
  sync(timeoutMs = this.timeoutMs): Promise<void> {
    return this.exclusive(() => this.syncNow(timeoutMs));
  }

  /** Runs one command and answers its `return` value. */
  execute<T>(command: string, args?: Record<string, unknown>, timeoutMs = this.timeoutMs): Promise<T> {
    return this.exclusive(async () => {
      if (this.needsSync) await this.syncNow(timeoutMs);
      return this.request<T>(command, args, timeoutMs);
    });
  }

  /**
   * For commands that answer nothing on success (guest-shutdown): sends it, then waits
   * `errorWaitMs` for an error answer, which rejects; silence means it was accepted.
   */
  executeNoReply(command: string, args?: Record<string, unknown>, errorWaitMs = 500): Promise<void> {
    return this.exclusive(async () => {
      if (this.needsSync) await this.syncNow(this.timeoutMs);
      try {
        await this.request(command, args, errorWaitMs);
      } catch (e) {
        if (e instanceof QgaTimeoutError) return; // silence: accepted
        throw e;
      } finally {
        this.needsSync = true; // a late answer must not be taken for the next command's
      }
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private syncNow(timeoutMs: number): Promise<void> {
    const id = randomInt(1, 2 ** 47);
    const command = 'guest-sync-delimited';
    return new Promise<void>((resolve, reject) => {
      this.await(command, timeoutMs, reject, (line) => {
        // Lines other than our echo are leftovers of earlier clients: skip them.
        let reply: QgaReply;
        try {
          reply = JSON.parse(line) as QgaReply;
        } catch {
          return false;
        }
        if (reply.return !== id) return false;
        this.needsSync = false;
        resolve();
        return true;
      });
      // Sending 0xFF first makes the agent drop any half-read request of an earlier client.
      this.write(Buffer.concat([Buffer.from([SENTINEL]), this.line(command, { id })]), reject);
    });
  }

  private request<T>(
    command: string,
    args: Record<string, unknown> | undefined,
    timeoutMs: number,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.await(command, timeoutMs, reject, (line) => {
        let reply: QgaReply;
        try {
          reply = JSON.parse(line) as QgaReply;
        } catch {
          reply = {};
        }
        if (reply.error) {
          reject(
            new QgaCommandError(
              this.socketPath,
              command,
              reply.error.class ?? 'GenericError',
              reply.error.desc ?? '',
              line,
            ),
          );
        } else if (reply && typeof reply === 'object' && 'return' in reply) {
          resolve(reply.return as T);
        } else {
          this.needsSync = true;
          reject(new QgaProtocolError(this.socketPath, command, line));
        }
        return true;
      });
      this.write(this.line(command, args), reject);
    });
  }

  /** Installs the one waiter; `take` answers true once the line settled it. */
  private await(
    command: string,
    timeoutMs: number,
    reject: (e: Error) => void,
    take: (line: string) => boolean,
  ): void {
    if (this.isClosed) {
      reject(new QgaDisconnectedError(this.socketPath, command));
      return;
    }
    const timer = setTimeout(() => {
      if (this.waiter !== waiter) return;
      this.waiter = undefined;
      this.needsSync = true;
      reject(new QgaTimeoutError(this.socketPath, command, timeoutMs));
    }, timeoutMs);
    const waiter: Waiter = {
      command,
      onLine: (line) => {
        if (!take(line)) return;
        clearTimeout(timer);
        this.waiter = undefined;
      },
      fail: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    };
    this.waiter = waiter;
  }

  private line(command: string, args?: Record<string, unknown>): Buffer {
    return Buffer.from(
      JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n',
    );
  }

  private write(data: Buffer, reject: (e: Error) => void): void {
    this.socket.write(data, (err) => {
      if (err) reject(new QgaDisconnectedError(this.socketPath, this.waiter?.command));
    });
  }

  private onData(chunk: Buffer): void {
    let data = Buffer.concat([this.pending, chunk]);
    // A 0xFF means "start afresh": whatever came before it is stale or half a line.
    const s = data.lastIndexOf(SENTINEL);
    if (s >= 0) data = data.subarray(s + 1);
    let nl: number;
    while ((nl = data.indexOf(0x0a)) >= 0) {
      const line = data.subarray(0, nl).toString('utf8').trim();
      data = data.subarray(nl + 1);
      if (line) this.waiter?.onLine(line);
    }
    this.pending = Buffer.from(data);
  }
}
