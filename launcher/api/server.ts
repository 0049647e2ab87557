/**
 * Serves the control API (protocol.ts) for one Domain on a unix socket. The console route
 * upgrades the connection to a raw byte stream joined to the guest's serial socket.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import type { Domain } from '../runtime/domain';
import { DomainNotRunningError } from '../runtime/domain';
import { API_VERSION, Routes, type ApiErrorBody, type ShutdownRequest, type VersionInfo } from './protocol';

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
  const status = err instanceof DomainNotRunningError ? 409 : err instanceof BadRequestError ? 400 : 500;
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

  constructor(private readonly options: ControlServerOptions) {
    this.server = http.createServer((req, res) => {
      if (!(req.url ?? '').startsWith(Routes.events)) {
        this.answering++;
        res.once('close', () => this.answering--);
      }
      this.handle(req, res).catch((e) => sendError(res, e));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => this.upgrade(req, socket));
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

  /** GET /v1/console with `Upgrade: virtkit-console`: raw bytes to and from the serial console. */
  private upgrade(req: http.IncomingMessage, socket: net.Socket): void {
    const serial = this.options.domain.plan.serialSocket;
    if ((req.url ?? '').split('?')[0] !== Routes.console || !serial) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    const upstream = net.createConnection(serial);
    upstream.once('connect', () => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nupgrade: virtkit-console\r\nconnection: Upgrade\r\n\r\n',
      );
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (e) => {
      if (!socket.destroyed)
        socket.end(`HTTP/1.1 409 Conflict\r\nconnection: close\r\n\r\nconsole unavailable: ${e.message}\n`);
    });
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
  }
}
