/**
 * Serves the control API (protocol.ts) for one Domain on a unix socket. The console and VNC
 * routes upgrade the connection to a raw byte stream joined to the guest's serial socket (one
 * session at a time, the newest wins) or to QEMU's VNC socket; the port-forward route to a TCP
 * connection to a port of the guest (../runtime/port-forward.ts).
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import { followFile, type FileFollower } from '../../common/follow-file';
import type { Domain } from '../runtime/domain';
import { DomainNotRunningError, GuestAgentNotConnectedError } from '../runtime/domain';
import { parseGuestPort, parseProtocol, PortForwardError } from '../runtime/port-forward';
import { HotplugConflictError, HotplugRequestError } from '../runtime/hotplug';
import { MigrationConflictError, MigrationRequestError } from '../plan/migration-request';
import {
  API_VERSION,
  MAX_CONSOLE_HISTORY_BYTES,
  Routes,
  StreamUpgrade,
  type ApiErrorBody,
  type AttachDiskRequest,
  type DetachDiskRequest,
  type FreezeRequest,
  type ShutdownRequest,
  type VersionInfo,
} from './protocol';

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly domain: Domain;
  readonly name: string;
  readonly namespace: string;
  readonly defaultGraceSeconds: number;
  /** Starts the domain (sync); the launcher decides what starting involves. */
  readonly start: () => Promise<void>;
  /** Called after a shutdown or kill request finished (the launcher exits then). */
  readonly onStopRequested?: () => void;
}

class BadRequestError extends Error {}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: unknown): void {
  const e = err as Error;
  const status =
    err instanceof DomainNotRunningError ||
    err instanceof GuestAgentNotConnectedError ||
    err instanceof HotplugConflictError ||
    err instanceof MigrationConflictError
      ? 409
      : err instanceof BadRequestError ||
          err instanceof HotplugRequestError ||
          err instanceof MigrationRequestError
        ? 400
        : 500;
  const body: ApiErrorBody = { error: { type: e.name || 'Error', message: e.message || String(err) } };
  send(res, status, body);
}

async function readJson<T>(req: http.IncomingMessage): Promise<T | undefined> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new BadRequestError(`the request body is not JSON: ${text.slice(0, 80)}`);
  }
}

export class ControlServer {
  private readonly server: http.Server;
  /** Requests being answered (not the event stream): close() lets them finish first. */
  private answering = 0;
  /** Upgraded connections (console and VNC sessions): the HTTP server no longer tracks them. */
  private readonly streams = new Set<net.Socket>();
  /** The console session open now; a new one cuts it. */
  private consoleClient: net.Socket | undefined;

  constructor(private readonly options: ControlServerOptions) {
    this.server = http.createServer((req, res) => {
      if (!(req.url ?? '').startsWith(Routes.events)) {
        this.answering++;
        res.once('close', () => this.answering--);
      }
      this.handle(req, res).catch((e) => sendError(res, e));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      // Bytes the caller sent right after its request belong to the stream.
      if (head.length) socket.unshift(head);
      this.upgrade(req, socket);
    });
  }

  async listen(): Promise<void> {
    fs.rmSync(this.options.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.socketPath, () => resolve());
    });
    // Only the launcher's user (the handler runs as it) may drive the VM.
    fs.chmodSync(this.options.socketPath, 0o600);
  }

  /**
   * Stop serving: no new connections, answers in flight (a shutdown that just completed) are
   * delivered for up to 2 s, then event streams and console sessions are cut.
   */
  async close(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    for (let waited = 0; this.answering > 0 && waited < 2000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
    }
    this.server.closeAllConnections();
    for (const s of this.streams) s.destroy();
    await closed;
    fs.rmSync(this.options.socketPath, { force: true });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { domain } = this.options;
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    switch (route) {
      case `GET ${Routes.version}`: {
        const v: VersionInfo = {
          apiVersion: API_VERSION,
          launcherPid: process.pid,
          vmi: { name: this.options.name, namespace: this.options.namespace },
        };
        return send(res, 200, v);
      }
      case `GET ${Routes.status}`:
        return send(res, 200, await domain.status());
      case `GET ${Routes.stats}`:
        return send(res, 200, await domain.stats());
      case `POST ${Routes.sync}`:
        await this.options.start();
        return send(res, 200, await domain.status());
      case `POST ${Routes.shutdown}`: {
        const body = await readJson<ShutdownRequest>(req);
        const grace = body?.gracePeriodSeconds ?? this.options.defaultGraceSeconds;
        if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < 0) {
          throw new BadRequestError(
            `gracePeriodSeconds must be a number of seconds >= 0, got ${JSON.stringify(grace)}`,
          );
        }
        const result = await domain.shutdown(grace);
        send(res, 200, result);
        this.options.onStopRequested?.();
        return;
      }
      case `POST ${Routes.kill}`: {
        const result = await domain.kill();
        send(res, 200, result);
        this.options.onStopRequested?.();
        return;
      }
      case `POST ${Routes.pause}`:
        await domain.pause();
        return send(res, 200, { ok: true });
      case `POST ${Routes.unpause}`:
        await domain.unpause();
        return send(res, 200, { ok: true });
      case `POST ${Routes.reset}`:
        await domain.reset();
        return send(res, 200, { ok: true });
      case `POST ${Routes.softReboot}`:
        await domain.softReboot();
        return send(res, 200, { ok: true });
      case `GET ${Routes.guestInfo}`:
        return send(res, 200, domain.guestInfo());
      case `GET ${Routes.guestAgentInfo}`:
        return send(res, 200, await domain.guestAgentInfo());
      case `POST ${Routes.guestPing}`: {
        const raw = new URL(req.url ?? '/', 'http://launcher').searchParams.get('timeoutMs') ?? '1000';
        const timeoutMs = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
        if (!(timeoutMs >= 1))
          throw new BadRequestError(
            `timeoutMs must be a whole number of milliseconds from 1 to 999999, got ${JSON.stringify(raw)}`,
          );
        await domain.guestPing(timeoutMs);
        return send(res, 200, { ok: true });
      }
      case `GET ${Routes.guestUsers}`:
        return send(res, 200, await domain.guestUsers());
      case `GET ${Routes.guestFilesystems}`:
        return send(res, 200, await domain.guestFilesystems());
      case `POST ${Routes.freeze}`: {
        const body = await readJson<FreezeRequest>(req);
        const seconds = body?.unfreezeTimeoutSeconds;
        if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0)
          throw new BadRequestError(
            `unfreezeTimeoutSeconds must be a whole number of seconds >= 0, got ${JSON.stringify(seconds)}`,
          );
        await domain.freeze(seconds);
        return send(res, 200, { ok: true });
      }
      case `POST ${Routes.unfreeze}`:
        await domain.unfreeze();
        return send(res, 200, { ok: true });
      case `GET ${Routes.hotplug}`:
        return send(res, 200, domain.hotplugDisks());
      case `POST ${Routes.hotplugAttach}`: {
        const body = await readJson<AttachDiskRequest>(req);
        if (!body || typeof body !== 'object')
          throw new BadRequestError('the body must be an AttachDiskRequest {name, path, ...}');
        return send(res, 200, await domain.attachDisk(body));
      }
      case `POST ${Routes.hotplugDetach}`: {
        const body = await readJson<DetachDiskRequest>(req);
        if (!body || typeof body.name !== 'string')
          throw new BadRequestError('the body must be a DetachDiskRequest {name}');
        await domain.detachDisk(body.name);
        return send(res, 200, { ok: true });
      }
      case `GET ${Routes.migration}`:
        return send(res, 200, domain.readMigrationStatus());
      case `POST ${Routes.migrationIncoming}`:
        return send(res, 200, await domain.migrationIncoming(await readJson<unknown>(req)));
      case `POST ${Routes.migrationStart}`:
        return send(res, 200, await domain.migrationStart(await readJson<unknown>(req)));
      case `POST ${Routes.migrationCancel}`:
        return send(res, 200, await domain.migrationCancel());
      case `POST ${Routes.migrationFinish}`:
        await domain.migrationFinish();
        return send(res, 200, await domain.status());
      case `GET ${Routes.events}`:
        return this.streamEvents(req, res);
      default:
        send(res, 404, {
          error: {
            type: 'NotFound',
            message: `no route ${route}; see docs/launcher-api.md (API ${API_VERSION})`,
          },
        } satisfies ApiErrorBody);
    }
  }

  /** Newline-delimited JSON: the recent history first, then live events until the client leaves. */
  private streamEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const e of this.options.domain.events()) res.write(JSON.stringify(e) + '\n');
    const off = this.options.domain.onEvent((e) => res.write(JSON.stringify(e) + '\n'));
    req.on('close', off);
    res.on('close', off);
  }

  /** A stream route's refusal, as an HTTP answer with the API's error body (before any upgrade). */
  private refuse(socket: net.Socket, status: number, type: string, message: string): void {
    const body = JSON.stringify({ error: { type, message } } satisfies ApiErrorBody);
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\n` +
        'content-type: application/json\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        'connection: close\r\n\r\n' +
        body,
    );
  }

  /**
   * The stream routes: `GET /v1/console` with `Upgrade: virtkit-console` (the serial console)
   * and `GET /v1/vnc` with `Upgrade: virtkit-vnc` (QEMU's VNC server, raw RFB). After the 101
   * the connection carries raw bytes both ways until either side closes it.
   */
  private upgrade(req: http.IncomingMessage, socket: net.Socket): void {
    const url = new URL(req.url ?? '/', 'http://launcher');
    const token = String(req.headers.upgrade ?? '').toLowerCase();
    const want =
      url.pathname === Routes.console
        ? StreamUpgrade.console
        : url.pathname === Routes.vnc
          ? StreamUpgrade.vnc
          : url.pathname === Routes.portForward
            ? StreamUpgrade.portForward
            : undefined;
    if (req.method !== 'GET' || !want) {
      this.refuse(
        socket,
        404,
        'NotFound',
        `no stream route ${req.method} ${url.pathname}; see docs/launcher-api.md (API ${API_VERSION})`,
      );
      return;
    }
    if (token !== want) {
      this.refuse(
        socket,
        400,
        'BadUpgrade',
        `${url.pathname} upgrades to ${want}, not ${JSON.stringify(token)}`,
      );
      return;
    }
    this.streams.add(socket);
    socket.once('close', () => this.streams.delete(socket));
    socket.on('error', () => socket.destroy());
    if (want === StreamUpgrade.console) this.upgradeConsole(url, socket);
    else if (want === StreamUpgrade.vnc) this.upgradeVnc(socket);
    else this.upgradePortForward(url, socket);
  }

  /**
   * The serial console. QEMU serves one client at a time on its serial socket, and KubeVirt keeps
   * one console per VMI: a new session cuts the one open now (the newest wins, as in KubeVirt).
   * With `history=N` the output comes from QEMU's serial log instead of the socket (it holds
   * every byte the guest wrote, connected or not): its last N bytes, then what is appended, so
   * the replay and the live output meet with nothing lost or repeated. Input always goes to the
   * socket; what QEMU sends on it is then read and dropped.
   */
  private upgradeConsole(url: URL, socket: net.Socket): void {
    const { serialSocket, serialLog } = this.options.domain.plan;
    if (!serialSocket) {
      this.refuse(
        socket,
        404,
        'NoConsole',
        'this VM has no serial console (spec.domain.devices.autoattachSerialConsole is false)',
      );
      return;
    }
    const h = url.searchParams.get('history');
    let history: number | undefined;
    if (h !== null) {
      if (!/^\d{1,7}$/.test(h) || Number(h) > MAX_CONSOLE_HISTORY_BYTES) {
        this.refuse(
          socket,
          400,
          'BadRequest',
          `history must be a number of bytes from 0 to ${MAX_CONSOLE_HISTORY_BYTES}, got ${JSON.stringify(h)}`,
        );
        return;
      }
      history = Number(h);
    }
    // Live output starts now: what the guest prints from here on is the session's.
    let logSize: number | undefined;
    if (history !== undefined && serialLog) {
      try {
        logSize = fs.statSync(serialLog).size;
      } catch {
        logSize = undefined;
      }
    }
    const previous = this.consoleClient;
    this.consoleClient = socket;
    previous?.destroy();

    const upstream = net.createConnection(serialSocket);
    /** The log follower, once started (undefined: output comes from the socket). */
    let follower: Promise<FileFollower | undefined> | undefined;
    let upgraded = false;
    const release = (): void => {
      upstream.destroy();
      void follower?.then((f) => f?.stop());
      if (this.consoleClient === socket) this.consoleClient = undefined;
    };
    socket.once('close', release);
    upstream.once('connect', () => {
      if (socket.destroyed) return release();
      upgraded = true;
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${StreamUpgrade.console}\r\nconnection: Upgrade\r\n\r\n`,
      );
      socket.pipe(upstream);
      if (history === undefined || !serialLog || logSize === undefined) {
        upstream.pipe(socket);
        return;
      }
      upstream.on('data', () => undefined); // the log carries the output
      follower = followFile({
        path: serialLog,
        historyBytes: history,
        fromOffset: logSize,
        onData: (chunk) => writeWithBackpressure(socket, chunk),
        onError: () => socket.destroy(),
      }).then(
        (f) => {
          if (socket.destroyed) f.stop();
          return f;
        },
        () => {
          // No log to read (it should exist while QEMU runs): live output from the socket.
          if (!socket.destroyed) upstream.pipe(socket);
          return undefined;
        },
      );
    });
    upstream.once('close', () => {
      if (!upgraded) return;
      // The guest's console went away (QEMU exited, or a newer session took it): deliver what
      // the log still holds, then end.
      void (follower ?? Promise.resolve(undefined))
        .then(async (f) => {
          await f?.catchUp();
          f?.stop();
        })
        .catch(() => undefined)
        .then(() => socket.end());
    });
    upstream.on('error', (e) => {
      if (!upgraded && !socket.destroyed) {
        this.streams.delete(socket);
        this.refuse(socket, 409, 'ConsoleUnavailable', `the serial console is not available: ${e.message}`);
      }
    });
  }

  /** QEMU's VNC server: raw RFB. QEMU takes several clients; who may connect is the caller's rule. */
  private upgradeVnc(socket: net.Socket): void {
    const { vncSocket } = this.options.domain.plan;
    if (!vncSocket) {
      this.refuse(
        socket,
        404,
        'NoGraphics',
        'this VM has no graphics device (spec.domain.devices.autoattachGraphicsDevice is false)',
      );
      return;
    }
    const upstream = net.createConnection(vncSocket);
    let upgraded = false;
    upstream.once('connect', () => {
      if (socket.destroyed) return upstream.destroy();
      upgraded = true;
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${StreamUpgrade.vnc}\r\nconnection: Upgrade\r\n\r\n`,
      );
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (e) => {
      if (!upgraded && !socket.destroyed) {
        this.streams.delete(socket);
        this.refuse(socket, 409, 'VncUnavailable', `the VNC server is not available: ${e.message}`);
      }
    });
    upstream.once('close', () => {
      if (upgraded) socket.end();
    });
    socket.once('close', () => upstream.destroy());
  }

  /**
   * A TCP connection to a port of the guest (`?port=N[&protocol=tcp]`), opened before the 101 so
   * a guest that cannot be reached is an HTTP error. Several may be open at once.
   */
  private upgradePortForward(url: URL, socket: net.Socket): void {
    const port = parseGuestPort(url.searchParams.get('port'));
    const protocol = parseProtocol(url.searchParams.get('protocol'));
    for (const bad of [port, protocol])
      if (bad instanceof PortForwardError) {
        this.streams.delete(socket);
        this.refuse(socket, 400, bad.type, bad.message);
        return;
      }
    this.options.domain.connectGuestPort(port as number).then(
      (upstream) => {
        if (socket.destroyed) return upstream.destroy();
        if (upstream.destroyed || upstream.readableEnded) {
          this.streams.delete(socket);
          this.refuse(
            socket,
            409,
            'PortForwardUnavailable',
            `the guest closed port ${String(port)} without sending anything (does anything listen on it?)`,
          );
          return;
        }
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nupgrade: ${StreamUpgrade.portForward}\r\nconnection: Upgrade\r\n\r\n`,
        );
        socket.pipe(upstream);
        upstream.pipe(socket);
        // A reset ends the client's stream too (pipe only forwards a clean end).
        upstream.on('error', () => socket.destroy());
        upstream.once('close', () => socket.end());
        socket.once('close', () => upstream.destroy());
      },
      (e: Error) => {
        if (socket.destroyed) return;
        this.streams.delete(socket);
        const notRunning = e instanceof DomainNotRunningError;
        this.refuse(
          socket,
          e instanceof PortForwardError && e.type === 'BadRequest' ? 400 : 409,
          notRunning ? 'NotRunning' : 'PortForwardUnavailable',
          e.message,
        );
      },
    );
  }
}

/** Writes `chunk`; resolves when the socket can take more (or is gone). */
function writeWithBackpressure(socket: net.Socket, chunk: Buffer): Promise<void> | void {
  if (socket.destroyed) return;
  if (socket.write(chunk)) return;
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
