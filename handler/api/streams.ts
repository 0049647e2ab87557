/**
 * The node side of KubeVirt's streams (the role of virt-handler's console handler): websocket
 * upgrades of
 *
 *   GET /v1/namespaces/{ns}/virtualmachineinstances/{name}/console[?history=N]
 *   GET /v1/namespaces/{ns}/virtualmachineinstances/{name}/vnc[?preserveSession=true]
 *   GET /v1/namespaces/{ns}/virtualmachineinstances/{name}/portforward/{port}[/{protocol}]
 *
 * on the handler's node API (./server.ts: mutual TLS, only `virtkit api` may call), joined to the
 * VMI's launcher: its control API's `GET /v1/console` (the serial console), `GET /v1/vnc`
 * (QEMU's VNC server) or `GET /v1/portforward?port=N` (a TCP connection to the guest's port;
 * any number at once). The websocket speaks `plain.kubevirt.io` (binary messages carry the raw
 * bytes; common/plain-stream.ts).
 *
 * One console per VMI, as in KubeVirt: a new console session cuts the open one, whose websocket
 * is closed with 1001 (Going Away) and the reason "another client connected to the console of
 * virtualmachineinstance NS/NAME" (virtctl prints "another user connected to the console"). VNC
 * does the same unless the new session asks `preserveSession=true` (KubeVirt's parameter, used
 * for screenshots): it then connects beside the open one. The launcher is dialed before the
 * websocket is accepted, so a VMI without a console, a launcher that is gone or a bad parameter
 * is an HTTP error with a Kubernetes Status the api component passes on; once joined, the end of
 * either side closes the other (the guest's console closing is a normal close, 1000, that says so).
 */
import * as http from 'http';
import type * as net from 'net';
import type { Duplex } from 'stream';
import type { WebSocket } from 'ws';
import {
  bridgeWebSocketToStream,
  plainStreamServer,
  CloseCode,
  refuseUpgrade,
  websocketHandshakeProblem,
} from '../../common/plain-stream';
import { failureStatus } from '../../common/kube-status';
import { parseNodeVmiPath } from '../../common/node-api';
import { forwardProtocolOf, tcpPortOf } from '../../common/tcp-port';
import {
  MAX_CONSOLE_HISTORY_BYTES,
  Routes,
  StreamUpgrade,
  type ApiErrorBody,
} from '../../launcher/api/protocol';
import type { NodeStreamContext } from './types';

export type NodeStreamKind = 'console' | 'vnc' | 'portforward';

const NODE_STREAMS: readonly string[] = ['console', 'vnc', 'portforward'];

/** How messages name the stream: "the console of ...", "port 22 of ...". */
function streamWhat(kind: NodeStreamKind, rest: readonly string[]): string {
  if (kind === 'portforward') return `port ${rest[0]}${rest[1] ? `/${rest[1]}` : ''}`;
  return kind === 'console' ? 'console' : 'VNC display';
}

/** A session open (or being opened) on this node. */
interface Session {
  /** Cut it: close the websocket (or refuse the pending upgrade) and drop the launcher stream. */
  supersede(reason: string): void;
}

/** The open console and VNC sessions of this node, by stream kind and launcher socket (one per VMI pod). */
const sessions = new Map<string, Session>();

const wss = plainStreamServer();

/** Go's strconv.ParseBool, as KubeVirt reads preserveSession (anything else is false). */
export function parseGoBool(value: string | null): boolean {
  return value !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

/** The launcher route and query of a request, or the 400 message that refuses it. */
export function launcherStreamPath(
  kind: NodeStreamKind,
  query: URLSearchParams,
  rest: readonly string[] = [],
): { path: string; upgrade: string } | { problem: string } {
  if (kind === 'vnc') return { path: Routes.vnc, upgrade: StreamUpgrade.vnc };
  if (kind === 'portforward') {
    const [portText, protocolText = 'tcp'] = rest;
    const port = tcpPortOf(portText);
    if (port === undefined)
      return {
        problem: `portforward takes a port number from 1 to 65535, got ${JSON.stringify(portText ?? '')}`,
      };
    const protocol = forwardProtocolOf(protocolText);
    if (!protocol)
      return { problem: `portforward takes the protocol tcp or udp, got ${JSON.stringify(protocolText)}` };
    const q = new URLSearchParams({ port: String(port), protocol });
    return { path: `${Routes.portForward}?${q.toString()}`, upgrade: StreamUpgrade.portForward };
  }
  const history = query.get('history');
  if (history === null) return { path: Routes.console, upgrade: StreamUpgrade.console };
  if (!/^\d{1,7}$/.test(history) || Number(history) > MAX_CONSOLE_HISTORY_BYTES)
    return {
      problem: `history must be a number of bytes from 0 to ${MAX_CONSOLE_HISTORY_BYTES}, got ${JSON.stringify(history)}`,
    };
  return { path: `${Routes.console}?history=${Number(history)}`, upgrade: StreamUpgrade.console };
}

/** The launcher's refusal, as the Status the caller gets (its status code, its message). */
function launcherRefusal(
  res: http.IncomingMessage,
  body: string,
  vmi: string,
): { code: number; status: unknown } {
  let message = body.trim();
  try {
    const parsed = JSON.parse(body) as ApiErrorBody;
    if (parsed.error?.message) message = parsed.error.message;
  } catch {
    // not the API's error body: keep the text
  }
  const code = res.statusCode && res.statusCode >= 400 ? res.statusCode : 500;
  return {
    code,
    status: failureStatus(code, `virtualmachineinstance ${vmi}: ${message || `launcher answered ${code}`}`),
  };
}

/** Dials the launcher's stream route; resolves with the raw stream after its 101. */
function dialLauncher(
  socketPath: string,
  path: string,
  upgrade: string,
): { stream: Promise<net.Socket>; abort(): void } {
  const req = http.request({
    socketPath,
    method: 'GET',
    path,
    headers: { connection: 'Upgrade', upgrade },
  });
  const stream = new Promise<net.Socket>((resolve, reject) => {
    req.once('upgrade', (_res, socket: net.Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => reject(Object.assign(new Error(text), { response: res, body: text })));
      res.on('error', reject);
    });
    req.once('error', reject);
  });
  req.end();
  return { stream, abort: () => req.destroy() };
}

/**
 * Serves one upgrade request of the node API (called by ./server.ts for every `Upgrade`
 * request, after it authenticated the caller). Never throws: every failure is an HTTP answer
 * (a Status) or a websocket close.
 */
export function handleStreamUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  ctx: NodeStreamContext,
): void {
  const url = new URL(req.url ?? '/', 'https://node');
  const target = parseNodeVmiPath(url.pathname);
  const restAllowed = target?.action === 'portforward' ? [1, 2] : [0];
  if (!target || !NODE_STREAMS.includes(target.action) || !restAllowed.includes(target.rest.length)) {
    refuseUpgrade(socket, 404, failureStatus(404, `no stream at ${url.pathname}`));
    return;
  }
  const kind = target.action as NodeStreamKind;
  const what = streamWhat(kind, target.rest);
  const vmi = `${target.namespace}/${target.name}`;
  const problem = websocketHandshakeProblem(req);
  if (problem) {
    refuseUpgrade(socket, 400, failureStatus(400, `${kind} of virtualmachineinstance ${vmi}: ${problem}`));
    return;
  }
  const route = launcherStreamPath(kind, url.searchParams, target.rest);
  if ('problem' in route) {
    refuseUpgrade(socket, 400, failureStatus(400, route.problem));
    return;
  }
  const launcherSocket = ctx.launcherSocket(target.namespace, target.name);
  if (!launcherSocket) {
    refuseUpgrade(
      socket,
      404,
      failureStatus(404, `virtualmachineinstance ${vmi} has no running launcher on this node`),
    );
    return;
  }
  const log = ctx.log.child({ namespace: target.namespace, name: target.name, stream: kind });
  // One console and one VNC session per VMI (unless preserveSession); port forwards are many.
  const exclusive =
    kind === 'console' || (kind === 'vnc' && !parseGoBool(url.searchParams.get('preserveSession')));
  const key = `${kind}\0${launcherSocket}`;

  let state: 'dialing' | 'open' | 'done' = 'dialing';
  let cut: ((reason: string) => void) | undefined;
  const dial = dialLauncher(launcherSocket, route.path, route.upgrade);
  const session: Session = {
    supersede(reason) {
      if (state === 'dialing') {
        state = 'done';
        dial.abort();
        refuseUpgrade(socket, 409, failureStatus(409, reason));
      } else cut?.(reason);
    },
  };
  if (exclusive) {
    const previous = sessions.get(key);
    sessions.set(key, session);
    previous?.supersede(`another client connected to the ${what} of virtualmachineinstance ${vmi}`);
  }
  const forget = (): void => {
    if (sessions.get(key) === session) sessions.delete(key);
  };
  const onEarlyClose = (): void => {
    if (state !== 'dialing') return;
    state = 'done';
    dial.abort();
    forget();
  };
  socket.once('close', onEarlyClose);
  socket.on('error', () => socket.destroy());

  dial.stream.then(
    (launcher) => {
      socket.off('close', onEarlyClose);
      if (state !== 'dialing') {
        launcher.destroy();
        return;
      }
      state = 'open';
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        log.info('stream opened');
        const bridge = bridgeWebSocketToStream(ws, launcher, {
          onStreamEnd: () => ({
            code: CloseCode.normal,
            reason:
              kind === 'portforward'
                ? `${what} of virtualmachineinstance ${vmi} closed the connection`
                : `the ${what} of virtualmachineinstance ${vmi} closed`,
          }),
        });
        cut = (reason) => bridge.close(CloseCode.goingAway, reason);
        void bridge.done.then((end) => {
          state = 'done';
          forget();
          log.info({ by: end.by, code: end.code, reason: end.reason }, 'stream closed');
        });
      });
      // ws destroys a socket it cannot upgrade (closed meanwhile): release the launcher then.
      if (socket.destroyed && !cut) {
        launcher.destroy();
        state = 'done';
        forget();
      }
    },
    (err: Error & { response?: http.IncomingMessage; body?: string }) => {
      socket.off('close', onEarlyClose);
      forget();
      if (state !== 'dialing') return;
      state = 'done';
      if (err.response) {
        const { code, status } = launcherRefusal(err.response, err.body ?? '', vmi);
        log.info({ code }, 'the launcher refused the stream');
        refuseUpgrade(socket, code, status);
        return;
      }
      log.warn({ err: err.message }, 'cannot reach the launcher');
      refuseUpgrade(
        socket,
        500,
        failureStatus(500, `cannot reach the launcher of virtualmachineinstance ${vmi}: ${err.message}`),
      );
    },
  );
}

/** Sessions open on this node (for tests and diagnostics). */
export function openStreamSessions(): number {
  return sessions.size;
}
