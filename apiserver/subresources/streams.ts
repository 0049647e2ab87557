/**
 * The api side of KubeVirt's streams (the role of virt-api's console and VNC handlers): a
 * websocket upgrade of
 *
 *   GET /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/{name}/console
 *   GET /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/{name}/vnc
 *   GET /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/{name}/portforward/{port}[/{protocol}]
 *   GET /apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachines/{name}/portforward/{port}[/{protocol}]
 *
 * reaches `virtkit api` through the API server's aggregator (which authenticated and authorized
 * the user: `get` on `virtualmachineinstances/console` or `/vnc`; the router checked the front
 * proxy's certificate). Like virt-api it first reads the VMI and checks it with KubeVirt's rules
 * and words (404 `virtualmachineinstance.kubevirt.io "NAME" not found`, 400 `VMI is not
 * running`, 400 `No serial consoles are present.` / `No graphics devices are present.`, 409
 * `VMI is in failed status`, 409 `VMI is paused` for a port forward; a VM's port forward first
 * reads the VM: 404 `virtualmachine.kubevirt.io "NAME" not found`, 409 `VMI is not started`
 * while it has no VMI), then dials the handler of the VMI's node (wss with mutual TLS,
 * ./node-client.ts) and only then accepts the client's websocket, so every refusal, the node's
 * included, is an HTTP Status the client can show. Both websockets speak `plain.kubevirt.io`;
 * messages are relayed as they are and a close on one side closes the other with its code and
 * reason. The client is pinged every 15 s and dropped after 60 s without a pong, as virt-api does.
 *
 * Query parameters passed on to the node: `preserveSession=true` (vnc, KubeVirt's: connect
 * without cutting the open VNC session) and `history=N` (console, virtkit's own: replay the
 * last N bytes, at most 64 KiB, of the serial log before the live output; KubeVirt has no such
 * parameter, so its clients get exactly KubeVirt's behaviour).
 *
 * A port forward is one TCP connection to the guest's port per websocket (virtctl port-forward
 * opens one per accepted local connection); any number may be open at once. Only tcp is served:
 * `/udp` is refused with a clear 400 until virtkit forwards datagrams.
 */
import type { IncomingMessage } from 'http';
import { isIP } from 'net';
import type { Duplex } from 'stream';
import type { ConnectionOptions } from 'tls';
import WebSocket from 'ws';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import {
  bridgeWebSockets,
  plainStreamServer,
  keepAlive,
  PLAIN_STREAM_PROTOCOL,
  refuseUpgrade,
  websocketHandshakeProblem,
} from '../../common/plain-stream';
import { failureStatus } from '../../common/kube-status';
import { nodeVmiPath } from '../../common/node-api';
import { forwardProtocolOf, tcpPortOf, UDP_FORWARD_UNSUPPORTED } from '../../common/tcp-port';
import { errorMessage, isNotFound, KubeApiError, VIRTUAL_MACHINES } from '../../kube';
import {
  fetchVmi,
  nodeConnectionForVmi,
  vmiConflict,
  vmiNotFound as vmiNotFoundAnswer,
  type NodeConnection,
} from './node-client';
import { SubresourceError } from './subresource-error';
import type { RequestUser, SubresourceAnswer, SubresourceContext, SubresourceKind } from './types';
import { vmConflict, vmNotFound } from './vm-state';

/** The VM, read with the api component's client (undefined when it does not exist). */
async function fetchVm(
  namespace: string,
  name: string,
  ctx: SubresourceContext,
): Promise<VirtualMachine | undefined> {
  return ctx.client.getIfExists<VirtualMachine>(VIRTUAL_MACHINES, namespace, name);
}

/** The streams served; the others (usbredir, vsock, sev...) still answer 501. */
export const SERVED_STREAMS = ['console', 'vnc', 'portforward'] as const;
export type ServedStream = (typeof SERVED_STREAMS)[number];

export function isServedStream(subresource: string): subresource is ServedStream {
  return (SERVED_STREAMS as readonly string[]).includes(subresource);
}

/**
 * Whether a routed stream is served: console and vnc of a VMI, portforward of a VMI or a VM.
 * Pure; the router has checked the number of segments after the subresource.
 */
export function isServedStreamRoute(resource: SubresourceKind, subresource: string): boolean {
  if (!isServedStream(subresource)) return false;
  return subresource === 'portforward' || resource === 'virtualmachineinstances';
}

/** The largest console history a client may ask for (the launcher keeps no more). */
export const MAX_HISTORY_BYTES = 64 * 1024;

export interface StreamTarget {
  /** virtualmachineinstances, or virtualmachines for a VM's portforward. @default virtualmachineinstances */
  readonly resource?: SubresourceKind;
  readonly namespace: string;
  readonly name: string;
  readonly stream: ServedStream;
  /** Segments after the stream: portforward's port and protocol. */
  readonly rest?: readonly string[];
  readonly query: URLSearchParams;
  readonly user: RequestUser;
}

/** What streams need besides the request; tests pass their own. */
export interface StreamDeps {
  /** The VMI, or undefined when there is none. @default fetchVmi of ./node-client.ts (the api component's client) */
  readonly fetchVmi?: (
    namespace: string,
    name: string,
    ctx: SubresourceContext,
  ) => Promise<VirtualMachineInstance | undefined>;
  /** The VM, or undefined when there is none (a VM's portforward). @default the api component's client */
  readonly fetchVm?: (
    namespace: string,
    name: string,
    ctx: SubresourceContext,
  ) => Promise<VirtualMachine | undefined>;
  /** Where the VMI's node handler is. @default nodeConnectionForVmi (./node-client.ts) */
  readonly nodeConnection?: (vmi: VirtualMachineInstance, ctx: SubresourceContext) => Promise<NodeConnection>;
  /** @default 15000 */
  readonly pingIntervalMs?: number;
  /** @default 60000 */
  readonly pongTimeoutMs?: number;
}

/** A refusal: the HTTP status and the Status body. */
export interface StreamRefusal {
  readonly code: number;
  readonly status: Record<string, unknown>;
}

const refusal = (code: number, message: string, details?: Record<string, unknown>): StreamRefusal => ({
  code,
  status: failureStatus(code, message, details),
});

/** A refusal from a Status answer of ./node-client.ts or a SubresourceError. */
function fromAnswer(a: SubresourceAnswer): StreamRefusal {
  return { code: a.status, status: a.body as Record<string, unknown> };
}

/** KubeVirt's answer for a VMI that does not exist: 404 `virtualmachineinstance.kubevirt.io "NAME" not found`. */
export function vmiNotFound(name: string): StreamRefusal {
  return fromAnswer(vmiNotFoundAnswer(name));
}

/** KubeVirt's checks before a stream (validateVMIForConsole, validateVMIForVNC). Pure. */
export function streamProblem(vmi: VirtualMachineInstance, stream: ServedStream): StreamRefusal | undefined {
  const devices = vmi.spec?.domain?.devices;
  if (stream === 'portforward') {
    if (vmi.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True'))
      return fromAnswer(vmiConflict(vmi.metadata?.name ?? '', 'VMI is paused'));
  } else if (stream === 'console') {
    if (devices?.autoattachSerialConsole === false) return refusal(400, 'No serial consoles are present.');
    if (vmi.status?.phase === 'Failed')
      return fromAnswer(vmiConflict(vmi.metadata?.name ?? '', 'VMI is in failed status'));
  } else if (devices?.autoattachGraphicsDevice === false)
    return refusal(400, 'No graphics devices are present.');
  if (vmi.status?.phase !== 'Running') return refusal(400, 'VMI is not running');
  return undefined;
}

/** portforward's `{port}[/{protocol}]`, checked: the node path's segments, or the 400. Pure. */
export function portForwardSegments(rest: readonly string[]): string[] | StreamRefusal {
  const [portText, protocolText = 'tcp'] = rest;
  const port = tcpPortOf(portText);
  if (port === undefined)
    return refusal(
      400,
      `portforward takes the guest's port as a number from 1 to 65535 (portforward/{port}[/{protocol}]), got ${JSON.stringify(portText ?? '')}`,
    );
  const protocol = forwardProtocolOf(protocolText);
  if (protocol === 'udp') return refusal(400, UDP_FORWARD_UNSUPPORTED);
  if (protocol !== 'tcp')
    return refusal(400, `portforward takes the protocol tcp (or udp), got ${JSON.stringify(protocolText)}`);
  return [String(port), protocol];
}

/** The query passed on to the node, or the 400 that refuses it. Pure. */
export function nodeQuery(stream: ServedStream, query: URLSearchParams): URLSearchParams | StreamRefusal {
  const out = new URLSearchParams();
  if (stream === 'portforward') return out;
  if (stream === 'console') {
    const history = query.get('history');
    if (history !== null) {
      if (!/^\d{1,7}$/.test(history) || Number(history) > MAX_HISTORY_BYTES)
        return refusal(
          400,
          `history must be a number of bytes from 0 to ${MAX_HISTORY_BYTES} (virtkit replays at most the last 64 KiB of the serial console), got ${JSON.stringify(history)}`,
        );
      out.set('history', String(Number(history)));
    }
  } else {
    const preserve = query.get('preserveSession');
    if (preserve !== null) out.set('preserveSession', preserve);
  }
  return out;
}

const wss = plainStreamServer();

/** Reads a refused handshake's answer: the Status the node sent, or its text. */
function readRefusal(res: IncomingMessage): Promise<StreamRefusal> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (text.length < 64 * 1024) text += c;
    });
    res.on('error', () => undefined);
    res.on('end', () => {
      const code = res.statusCode && res.statusCode >= 400 ? res.statusCode : 502;
      try {
        const body = JSON.parse(text) as Record<string, unknown>;
        if (body.kind === 'Status' && typeof body.message === 'string')
          return resolve({ code, status: body });
      } catch {
        // not a Status
      }
      resolve(
        refusal(
          code,
          `the node handler refused the stream (${res.statusCode}): ${text.trim().slice(0, 300)}`,
        ),
      );
    });
  });
}

/**
 * Dials the node's stream; resolves with the open websocket (paused: the caller resumes it once
 * it listens) or the refusal to answer.
 */
export function dialNode(
  conn: NodeConnection,
  path: string,
  query: URLSearchParams,
  onAbort: (abort: () => void) => void,
): Promise<WebSocket | StreamRefusal> {
  const url = new URL(conn.url.toString());
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
  url.pathname = url.pathname.replace(/\/$/, '') + path;
  url.search = query.toString();
  return new Promise((resolve) => {
    // ws hands the TLS options (servername included, which its types leave out) to tls.connect.
    const tlsOptions: ConnectionOptions = {
      ca: conn.ca,
      cert: conn.cert,
      key: conn.key,
      // SNI only for names (an address is checked against the certificate's IP names).
      servername: isIP(conn.servername) ? '' : conn.servername,
    };
    const ws = new WebSocket(url, [PLAIN_STREAM_PROTOCOL], {
      ...tlsOptions,
      perMessageDeflate: false,
      handshakeTimeout: 30_000, // the launcher may try a guest port three times before it answers
      maxPayload: 16 * 1024 * 1024,
    } as WebSocket.ClientOptions);
    onAbort(() => ws.terminate());
    // Paused until bridged: what the node sends with its 101 (the console's history) waits.
    ws.once('open', () => {
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      void readRefusal(res).then(resolve);
    });
    ws.once('error', (err) =>
      resolve(refusal(500, `cannot reach the handler of the VMI's node at ${conn.url.host}: ${err.message}`)),
    );
  });
}

/**
 * Serves one stream upgrade (the router authenticated it and matched the path). Never throws:
 * a refusal is an HTTP Status, a stream that ends closes both websockets.
 */
export async function handleStream(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: StreamTarget,
  ctx: SubresourceContext,
  deps: StreamDeps = {},
): Promise<void> {
  const { namespace, name, stream } = target;
  const log = ctx.log.child({ namespace, name, stream, user: target.user.name });
  const refuse = (r: StreamRefusal): void => {
    log.debug({ code: r.code, message: r.status.message }, 'stream refused');
    refuseUpgrade(socket, r.code, r.status);
  };
  const problem = websocketHandshakeProblem(req);
  if (problem) return refuse(refusal(400, `${stream} takes a websocket: ${problem}`));
  const query = nodeQuery(stream, target.query);
  if (!(query instanceof URLSearchParams)) return refuse(query);

  let closed = false;
  let abort: (() => void) | undefined;
  socket.once('close', () => {
    closed = true;
    abort?.();
  });
  socket.on('error', () => socket.destroy());

  let node: WebSocket | StreamRefusal;
  let segments: string[] = [];
  if (stream === 'portforward') {
    const checked = portForwardSegments(target.rest ?? []);
    if (!Array.isArray(checked)) return refuse(checked);
    segments = checked;
  }
  try {
    if (target.resource === 'virtualmachines') {
      // virt-api's FetchVirtualMachineInstanceForVM: the VM first, then its VMI.
      const vm = await (deps.fetchVm ?? fetchVm)(namespace, name, ctx);
      if (!vm) return refuse(fromAnswer(vmNotFound(name)));
      if (!vm.status?.created) return refuse(fromAnswer(vmConflict(name, 'VMI is not started')));
    }
    const vmi = await (deps.fetchVmi ?? fetchVmi)(namespace, name, ctx);
    if (!vmi) return refuse(vmiNotFound(name));
    const bad = streamProblem(vmi, stream);
    if (bad) return refuse(bad);
    if (closed) return;
    const conn = await (deps.nodeConnection ?? nodeConnectionForVmi)(vmi, ctx);
    if (closed) return;
    node = await dialNode(conn, nodeVmiPath(namespace, name, stream, ...segments), query, (a) => (abort = a));
    // From here on the bridge carries every close.
    abort = undefined;
  } catch (err) {
    if (err instanceof SubresourceError) return refuse(fromAnswer(err.answer));
    if (err instanceof KubeApiError && err.status >= 400 && err.status < 500 && !isNotFound(err))
      return refuse(refusal(err.status, err.serverMessage || err.message));
    if (isNotFound(err)) return refuse(vmiNotFound(name));
    log.error({ err: errorMessage(err) }, 'stream failed before it opened');
    return refuse(refusal(500, `Internal error occurred: ${errorMessage(err)}`));
  }
  if (!(node instanceof WebSocket)) return refuse(node);
  const nodeWs = node;
  if (closed || socket.destroyed) {
    nodeWs.terminate();
    return;
  }
  wss.handleUpgrade(req, socket, head, (client) => {
    log.info('stream opened');
    const stopPings = keepAlive(client, deps.pingIntervalMs, deps.pongTimeoutMs);
    const bridge = bridgeWebSockets(client, nodeWs);
    void bridge.done.then((end) => {
      stopPings();
      log.info(
        {
          by: end.by === 'websocket' ? 'client' : end.by === 'stream' ? 'node' : 'api',
          code: end.code,
          reason: end.reason,
        },
        'stream closed',
      );
    });
  });
  // ws destroys a socket that closed before it could be upgraded; the node side goes too.
  if (socket.destroyed && nodeWs.readyState === nodeWs.OPEN) nodeWs.terminate();
}
