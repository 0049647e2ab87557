/**
 * QMP client (DESIGN habit 5): a single reader splits the stream into lines and routes each
 * reply to its caller by id; events go to subscribers; every pending call fails with a typed
 * error when the connection drops. Operations that QEMU completes later (powerdown, device
 * removal, migration) are "execute, then await the event", with the event subscription set up
 * before the command is sent so a fast event is never missed.
 */
import * as net from 'net';
import type { Duplex } from 'stream';
import { QmpCommandError, QmpDisconnectedError, QmpProtocolError, QmpTimeoutError } from './errors';
import { classify, type QmpEvent, type QmpGreeting } from './protocol';

export interface QmpClientOptions {
  /** Default time allowed for a reply; 30 s. */
  readonly commandTimeoutMs?: number;
}

interface Pending {
  readonly command: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

type EventListener = (event: QmpEvent) => void;
type CloseListener = (err: QmpDisconnectedError) => void;

export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<EventListener>();
  private readonly closeListeners = new Set<CloseListener>();
  private closedWith: QmpDisconnectedError | undefined;
  private greetingWaiter: { resolve(g: QmpGreeting): void; reject(e: Error): void } | undefined;
  private greeting: QmpGreeting | undefined;
  private readonly commandTimeoutMs: number;

  private constructor(
    private readonly stream: Duplex,
    /** Names the connection in errors (the socket path). */
    readonly label: string,
    options: QmpClientOptions,
  ) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 30_000;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.onData(chunk));
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('close', () => this.fail(undefined));
  }

  /**
   * Wraps an already-connected stream, waits for the greeting and negotiates capabilities.
   * Used by connect() and by tests with a scripted peer.
   */
  static async open(stream: Duplex, label: string, options: QmpClientOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(stream, label, options);
    await client.handshake();
    return client;
  }

  /** Connects to a QMP unix socket, waits for the greeting and enables commands. */
  static async connect(socketPath: string, options: QmpClientOptions = {}): Promise<QmpClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(socketPath);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    try {
      return await QmpClient.open(socket, socketPath, options);
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }

  /** Retries connect() until it works or the deadline passes; `alive` stops early when QEMU exited. */
  static async connectWithRetry(
    socketPath: string,
    deadlineMs: number,
    alive: () => boolean,
    options: QmpClientOptions = {},
  ): Promise<QmpClient> {
    const until = Date.now() + deadlineMs;
    let last: Error | undefined;
    while (Date.now() < until && alive()) {
      try {
        return await QmpClient.connect(socketPath, options);
      } catch (e) {
        last = e as Error;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (!alive()) throw new QmpDisconnectedError(socketPath, undefined, last);
    throw new QmpTimeoutError(
      socketPath,
      `QMP greeting (last error: ${last?.message ?? 'none'})`,
      deadlineMs,
    );
  }

  /** QEMU's version string from the greeting, e.g. "7.2.22". */
  get qemuVersion(): string {
    const v = this.greeting?.QMP.version.qemu;
    return v ? `${v.major}.${v.minor}.${v.micro}` : 'unknown';
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  private async handshake(): Promise<void> {
    this.greeting = await new Promise<QmpGreeting>((resolve, reject) => {
      if (this.closedWith) return reject(this.closedWith);
      this.greetingWaiter = { resolve, reject };
    });
    await this.execute('qmp_capabilities');
  }

  /** Sends a command and resolves with its `return` value; rejects with a typed error. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (this.closedWith)
      return Promise.reject(new QmpDisconnectedError(this.label, command, this.closedWith));
    const id = `virtkit-${this.nextId++}`;
    const limit = timeoutMs ?? this.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        command,
        resolve: (v) => resolve(v as T),
        reject,
        timer: undefined,
      };
      if (limit > 0) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new QmpTimeoutError(this.label, `reply to ${command}`, limit));
        }, limit);
      }
      this.pending.set(id, entry);
      const line = JSON.stringify(
        args ? { execute: command, arguments: args, id } : { execute: command, id },
      );
      this.stream.write(line + '\n');
    });
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Called once when the connection ends (or at once if it already has). */
  onClose(listener: CloseListener): () => void {
    if (this.closedWith) {
      listener(this.closedWith);
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Resolves with the first matching event; rejects on timeout or disconnect. */
  waitForEvent(
    name: string,
    timeoutMs: number,
    match: (e: QmpEvent) => boolean = () => true,
  ): Promise<QmpEvent> {
    return this.eventWaiter(name, timeoutMs, match).promise;
  }

  /**
   * Runs a command whose effect QEMU reports later as an event (e.g. system_powerdown then
   * SHUTDOWN, device_del then DEVICE_DELETED). Resolves with the event.
   */
  async executeAndAwaitEvent(
    command: string,
    args: Record<string, unknown> | undefined,
    event: string,
    timeoutMs: number,
    match: (e: QmpEvent) => boolean = () => true,
  ): Promise<QmpEvent> {
    const waiter = this.eventWaiter(event, timeoutMs, match);
    try {
      await this.execute(command, args);
    } catch (e) {
      waiter.cancel();
      throw e;
    }
    return waiter.promise;
  }

  /** Closes the connection; pending calls fail with QmpDisconnectedError. */
  close(): void {
    this.stream.destroy();
    this.fail(undefined);
  }

  private eventWaiter(
    name: string,
    timeoutMs: number,
    match: (e: QmpEvent) => boolean,
  ): { promise: Promise<QmpEvent>; cancel(): void } {
    let cancel = (): void => undefined;
    const promise = new Promise<QmpEvent>((resolve, reject) => {
      if (this.closedWith)
        return reject(new QmpDisconnectedError(this.label, `event ${name}`, this.closedWith));
      const cleanup = (): void => {
        clearTimeout(timer);
        offEvent();
        offClose();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new QmpTimeoutError(this.label, `event ${name}`, timeoutMs));
      }, timeoutMs);
      const offEvent = this.onEvent((e) => {
        if (e.event === name && match(e)) {
          cleanup();
          resolve(e);
        }
      });
      const offClose = this.onClose((err: QmpDisconnectedError) => {
        cleanup();
        reject(new QmpDisconnectedError(this.label, `event ${name}`, err));
      });
      cancel = (): void => {
        cleanup();
        promise.catch(() => undefined);
      };
    });
    return { promise, cancel: () => cancel() };
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.route(line);
    }
  }

  private route(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.protocolError('the line is not JSON', line);
      return;
    }
    const msg = classify(parsed);
    if (!msg) {
      this.protocolError('the line is no greeting, event or reply', line);
      return;
    }
    switch (msg.kind) {
      case 'greeting':
        this.greetingWaiter?.resolve(msg.msg);
        this.greetingWaiter = undefined;
        return;
      case 'event':
        for (const l of [...this.eventListeners]) l(msg.msg);
        return;
      case 'success':
      case 'failure': {
        const id = typeof msg.msg.id === 'string' ? msg.msg.id : undefined;
        const entry = id ? this.pending.get(id) : undefined;
        if (!id || !entry) {
          this.protocolError('a reply with an unknown id', line);
          return;
        }
        this.pending.delete(id);
        if (entry.timer) clearTimeout(entry.timer);
        if (msg.kind === 'success') entry.resolve(msg.msg.return);
        else entry.reject(new QmpCommandError(entry.command, msg.msg.error.class, msg.msg.error.desc, line));
        return;
      }
    }
  }

  /** A peer that speaks something else is not QEMU: drop the connection and fail everything. */
  private protocolError(detail: string, line: string): void {
    const err = new QmpProtocolError(this.label, detail, line);
    this.greetingWaiter?.reject(err);
    this.greetingWaiter = undefined;
    this.stream.destroy();
    this.fail(err);
  }

  private fail(cause: Error | undefined): void {
    if (this.closedWith) return;
    const err = new QmpDisconnectedError(this.label, undefined, cause);
    this.closedWith = err;
    this.greetingWaiter?.reject(err);
    this.greetingWaiter = undefined;
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new QmpDisconnectedError(this.label, p.command, cause));
    }
    this.pending.clear();
    for (const l of [...this.closeListeners]) l(err);
    this.closeListeners.clear();
  }
}
