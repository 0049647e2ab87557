/**
 * KubeVirt's websocket stream protocol, as its clients speak it for `console`, `vnc` and
 * `portforward` (virtctl, client-go's kubecli, the OpenShift console, noVNC): the subprotocol
 * `plain.kubevirt.io`, one byte stream in each direction carried in **binary** messages, message
 * boundaries meaningless. A reader skips any other message (KubeVirt's client-go does the same),
 * so a stray text frame never reaches a guest. Shared by the three legs of a virtkit stream:
 *
 *   client ──ws──▶ API server ──▶ virtkit api ──wss──▶ node handler ──unix──▶ launcher ──▶ QEMU
 *                (the aggregator proxies   (bridgeWebSockets)   (bridgeWebSocketToStream)
 *                 the upgraded bytes)
 *
 * and by `virtkit console` / `virtkit vnc` on the client side. Both bridges apply backpressure
 * (a slow reader pauses the writer instead of buffering without bound) and carry the close code
 * and reason from one side to the other, so the close a client sees says why the stream ended.
 */
import { STATUS_CODES } from 'http';
import type { Duplex } from 'stream';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';

export const PLAIN_STREAM_PROTOCOL = 'plain.kubevirt.io';

/** Close codes used by virtkit's streams (RFC 6455 section 7.4.1). */
export const CloseCode = {
  /** The stream ended: the guest's console closed, the client left. */
  normal: 1000,
  /**
   * Another client took the stream over: KubeVirt keeps one console (and one VNC session) per
   * VMI and cuts the older one; virtctl reads 1001 as "another user connected to the console".
   */
  goingAway: 1001,
  /** Something failed on the way (the node, the launcher). */
  internalError: 1011,
} as const;

/** Websocket close reasons are at most 123 bytes of UTF-8. */
export function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/** The server's subprotocol choice: plain.kubevirt.io when offered, else none (KubeVirt accepts clients that offer none). */
export function choosePlainProtocol(offered: ReadonlySet<string>): string | false {
  return offered.has(PLAIN_STREAM_PROTOCOL) ? PLAIN_STREAM_PROTOCOL : false;
}

/**
 * The websocket server of a stream endpoint: it upgrades requests its HTTP server hands over
 * (no server of its own, no client tracking), speaks plain.kubevirt.io when offered, without
 * compression, with messages of at most 16 MiB.
 */
export function plainStreamServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (offered) => choosePlainProtocol(offered),
    maxPayload: 16 * 1024 * 1024,
  });
}

/** Codes a peer may put on the wire (1005, 1006 and 1015 only describe what happened locally). */
export function sendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** How a bridge ended. */
export interface StreamEnd {
  /** `websocket`: its peer closed (or the connection dropped); `stream`: the byte stream ended or failed; `local`: close() was called. */
  readonly by: 'websocket' | 'stream' | 'local';
  /** The websocket close code (1006 when the connection dropped without a close frame). */
  readonly code?: number;
  readonly reason?: string;
  readonly error?: Error;
}

export interface Bridge {
  /** Settles once, when the bridge ends (never rejects). */
  readonly done: Promise<StreamEnd>;
  /** Ends the bridge now: the websocket is closed with `code` and `reason`, the other side destroyed. */
  close(code: number, reason: string): void;
}

/** Above this many bytes queued on a websocket, the side feeding it is paused. */
const HIGH_WATER = 1024 * 1024;

function asBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Close `ws` with a code when the code may be sent, else without one (1005 on the other end); a dropped connection is dropped on. */
function closeLike(ws: WebSocket, code: number | undefined, reason: string): void {
  if (ws.readyState === ws.CLOSED) return;
  if (code === 1006) {
    ws.terminate();
    return;
  }
  if (ws.readyState === ws.CONNECTING) {
    ws.terminate();
    return;
  }
  if (code !== undefined && sendableCloseCode(code)) ws.close(code, closeReason(reason));
  else ws.close();
}

/**
 * How a stream's bytes ride a websocket whose messages carry more than one stream (the
 * Kubernetes channel protocols, e.g. kube/port-forward.ts): `unwrap` gives the stream's bytes of
 * one received binary message (undefined to skip it), `wrap` the message that carries a chunk.
 * Without one, a message is the bytes themselves (plain.kubevirt.io).
 */
export interface MessageFraming {
  unwrap(message: Buffer): Buffer | undefined;
  wrap(chunk: Buffer): Buffer;
}

export interface StreamBridgeOptions {
  /** The framing of the websocket's messages. @default none: plain.kubevirt.io */
  readonly framing?: MessageFraming;
  /** The close a client gets when the byte stream ends by itself. @default 1000 "the stream ended" */
  readonly onStreamEnd?: () => { code: number; reason: string };
  /** The close a client gets when the byte stream fails. @default 1011 with the error */
  readonly onStreamError?: (err: Error) => { code: number; reason: string };
}

/**
 * Joins an open websocket to a byte stream (a unix socket to the launcher, a TCP connection from
 * a VNC viewer, stdin/stdout wrapped in a Duplex), resuming it if it was handed over paused:
 * binary messages are written to the stream,
 * what the stream reads is sent as binary messages; text messages are ignored. When one side
 * ends the other is closed: the stream's end closes the websocket (1000 unless `onStreamEnd`
 * says otherwise), the websocket's close destroys the stream.
 */
export function bridgeWebSocketToStream(
  ws: WebSocket,
  stream: Duplex,
  options: StreamBridgeOptions = {},
): Bridge {
  let finish!: (end: StreamEnd) => void;
  let ended = false;
  const done = new Promise<StreamEnd>((resolve) => {
    finish = (end) => {
      if (ended) return;
      ended = true;
      cleanup();
      resolve(end);
    };
  });

  let waitingForDrain = false;
  const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (!isBinary || stream.destroyed || stream.writableEnded) return;
    const bytes = options.framing ? options.framing.unwrap(asBuffer(data)) : asBuffer(data);
    if (!bytes?.length) return;
    if (!stream.write(bytes) && !waitingForDrain) {
      waitingForDrain = true;
      ws.pause();
      stream.once('drain', () => {
        waitingForDrain = false;
        ws.resume();
      });
    }
  };
  const onData = (chunk: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(options.framing ? options.framing.wrap(chunk) : chunk, { binary: true }, () => {
      if (stream.isPaused() && ws.bufferedAmount < HIGH_WATER / 2 && !ended) stream.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER) stream.pause();
  };
  const onWsClose = (code: number, reason: Buffer): void => {
    stream.destroy();
    finish({ by: 'websocket', code, reason: reason.toString('utf8') });
  };
  const onWsError = (err: Error): void => {
    stream.destroy();
    ws.terminate();
    finish({ by: 'websocket', code: 1006, reason: err.message, error: err });
  };
  /** Ends the bridge from this side: the websocket closed with `code` and `reason`, the stream destroyed. */
  const end = (by: 'stream' | 'local', close: { code: number; reason: string }, error?: Error): void => {
    if (ended) return;
    closeLike(ws, close.code, close.reason);
    stream.destroy();
    finish({ by, code: close.code, reason: close.reason, ...(error ? { error } : {}) });
  };
  const onStreamEnd = (): void => {
    if (ended) return;
    end('stream', options.onStreamEnd?.() ?? { code: CloseCode.normal, reason: 'the stream ended' });
  };
  const onStreamError = (err: Error): void => {
    if (ended) return;
    const close = options.onStreamError?.(err) ?? {
      code: CloseCode.internalError,
      reason: `the stream failed: ${err.message}`,
    };
    end('stream', close, err);
  };
  function cleanup(): void {
    ws.off('message', onMessage);
    ws.off('close', onWsClose);
    ws.off('error', onWsError);
    stream.off('data', onData);
    stream.off('end', onStreamEnd);
    stream.off('close', onStreamEnd);
    stream.off('error', onStreamError);
    // Late errors of either side must not become uncaught exceptions.
    ws.on('error', () => undefined);
    stream.on('error', () => undefined);
  }

  ws.on('message', onMessage);
  ws.once('close', onWsClose);
  ws.once('error', onWsError);
  stream.on('data', onData);
  stream.once('end', onStreamEnd);
  stream.once('close', onStreamEnd);
  stream.once('error', onStreamError);
  if (ws.readyState !== ws.OPEN) onWsClose(1006, Buffer.from('the websocket is not open'));
  // A websocket handed over paused (kube/stream.ts, the api's node dial) flows from here on.
  else ws.resume();

  return {
    done,
    close(code, reason) {
      end('local', { code, reason });
    },
  };
}

/**
 * Relays two open websockets to each other, message by message (binary and text alike, as
 * KubeVirt's virt-api relays the frames): what one receives the other sends, with backpressure.
 * A close on one side closes the other with the same code and reason (a connection that dropped
 * is dropped on, so the far end sees 1006 as well). In the StreamEnd, `websocket` means the
 * client side ended it and `stream` the server side.
 */
export function bridgeWebSockets(client: WebSocket, server: WebSocket): Bridge {
  let finish!: (end: StreamEnd) => void;
  let ended = false;
  const done = new Promise<StreamEnd>((resolve) => {
    finish = (end) => {
      if (ended) return;
      ended = true;
      for (const ws of [client, server]) {
        ws.removeAllListeners('message');
        ws.on('error', () => undefined);
      }
      resolve(end);
    };
  });

  const relay = (from: WebSocket, to: WebSocket): void => {
    from.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (to.readyState !== to.OPEN) return;
      to.send(asBuffer(data), { binary: isBinary }, () => {
        if (from.isPaused && to.bufferedAmount < HIGH_WATER / 2 && !ended) from.resume();
      });
      if (to.bufferedAmount >= HIGH_WATER) from.pause();
    });
    from.once('close', (code: number, reason: Buffer) => {
      const text = reason.toString('utf8');
      closeLike(to, code, text);
      finish({ by: from === client ? 'websocket' : 'stream', code, reason: text });
    });
    from.once('error', (err: Error) => {
      from.terminate();
      to.terminate();
      finish({ by: from === client ? 'websocket' : 'stream', code: 1006, reason: err.message, error: err });
    });
  };
  relay(client, server);
  relay(server, client);
  // Websockets handed over paused flow from here on.
  client.resume();
  server.resume();

  return {
    done,
    close(code, reason) {
      if (ended) return;
      closeLike(client, code, reason);
      closeLike(server, code, reason);
      finish({ by: 'local', code, reason });
    },
  };
}

/**
 * Pings `ws` every `intervalMs` and drops it when no pong came for `timeoutMs` (KubeVirt's
 * virt-api pings its stream clients the same way, so a vanished client does not hold the
 * console). Returns a function that stops it; it stops by itself when the websocket closes.
 */
export function keepAlive(ws: WebSocket, intervalMs = 15_000, timeoutMs = 60_000): () => void {
  let last = Date.now();
  const onPong = (): void => {
    last = Date.now();
  };
  ws.on('pong', onPong);
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return stop();
    if (Date.now() - last > timeoutMs) {
      ws.terminate();
      return stop();
    }
    ws.ping();
  }, intervalMs);
  timer.unref();
  function stop(): void {
    clearInterval(timer);
    ws.off('pong', onPong);
  }
  ws.once('close', stop);
  return stop;
}

/**
 * Answers an upgrade request that will not be upgraded: an HTTP response with `body` as JSON
 * (a Status), then the connection is closed. Nothing is written to a socket already gone.
 */
export function refuseUpgrade(socket: Duplex, code: number, body: unknown): void {
  if (socket.destroyed) return;
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${code} ${httpStatusText(code)}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}

function httpStatusText(code: number): string {
  return STATUS_CODES[code] ?? 'Error';
}

/**
 * Whether a request is a websocket handshake worth answering (RFC 6455 section 4.2.1): a GET
 * with `Upgrade: websocket`, a `Sec-WebSocket-Key` and version 13. Checked before a stream
 * endpoint does anything, so a malformed request never cuts an open session.
 */
export function websocketHandshakeProblem(req: {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}): string | undefined {
  if (req.method !== 'GET') return `a websocket handshake is a GET, not ${req.method}`;
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade !== 'websocket') return `expected "Upgrade: websocket", got ${JSON.stringify(upgrade)}`;
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[+/0-9A-Za-z]{22}==$/.test(key))
    return 'missing or malformed Sec-WebSocket-Key';
  if (req.headers['sec-websocket-version'] !== '13') return 'only websocket version 13 is spoken';
  return undefined;
}
