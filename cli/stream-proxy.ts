/**
 * A local TCP port joined to websockets (`virtkit vnc` and `virtkit port-forward` to the
 * subresource API, speaking `plain.kubevirt.io` as virtctl's proxies do; `virtkit vmexport
 * download --port-forward` to `pods/portforward`, through a channel framing): each connection a
 * local client makes gets a websocket of its own.
 */
import * as net from 'net';
import type WebSocket from 'ws';
import { bridgeWebSocketToStream, type MessageFraming } from '../common/plain-stream';
import { refusalMessage } from './commands/vm-state';

/**
 * The local proxy: every connection gets a websocket of its own (the first one may take a
 * websocket opened beforehand, to fail fast); the two are joined until either ends.
 */
export class WebSocketTcpProxy {
  private readonly server: net.Server;
  private ready: { ws: WebSocket; early: Buffer[] } | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly websockets = new Set<WebSocket>();

  constructor(
    private readonly dial: () => Promise<WebSocket>,
    private readonly onProblem: (message: string) => void,
    /** How problems name a session: "the VNC session", "the forward of port 22". */
    private readonly what = 'the session',
    /** A framing per connection (with what its error channel said, if it has one). @default none */
    private readonly framing?: () => MessageFraming & { problem?(): string | undefined },
  ) {
    this.server = net.createServer((socket) => void this.serve(socket));
  }

  /** Keeps a websocket already open for the first viewer (what the server sends meanwhile is kept). */
  prime(ws: WebSocket): void {
    const early: Buffer[] = [];
    ws.on('message', (d: Buffer, isBinary: boolean) => {
      if (this.ready?.ws === ws && isBinary) early.push(d);
    });
    ws.once('close', () => {
      if (this.ready?.ws === ws) this.ready = undefined;
    });
    ws.on('error', () => undefined);
    this.ready = { ws, early };
    // It comes paused from kube/: from here on what it receives is kept for the viewer.
    ws.resume();
  }

  listen(port: number, address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  private async serve(socket: net.Socket): Promise<void> {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let ws: WebSocket;
    let early: Buffer[] = [];
    if (this.ready && this.ready.ws.readyState === this.ready.ws.OPEN) {
      ({ ws, early } = this.ready);
      this.ready = undefined;
      ws.removeAllListeners('message');
      ws.pause();
    } else {
      try {
        ws = await this.dial();
      } catch (err) {
        this.onProblem(refusalMessage(err));
        socket.destroy();
        return;
      }
    }
    if (socket.destroyed) {
      ws.close();
      return;
    }
    const framing = this.framing?.();
    for (const d of early) {
      const bytes = framing ? framing.unwrap(d) : d;
      if (bytes?.length) socket.write(bytes);
    }
    this.websockets.add(ws);
    ws.once('close', () => this.websockets.delete(ws));
    const bridge = bridgeWebSocketToStream(ws, socket, framing ? { framing } : {});
    void bridge.done.then((end) => {
      const problem = framing?.problem?.();
      if (problem) this.onProblem(`${this.what}: ${problem}`);
      else if (end.by === 'websocket' && end.code !== 1000 && end.code !== 1005)
        this.onProblem(`${this.what} ended (${end.code}${end.reason ? `: ${end.reason}` : ''})`);
    });
  }

  /** Stops listening and ends every session (a websocket that does not finish its close within 1 s is dropped). */
  close(): void {
    const open = [...this.websockets, ...(this.ready ? [this.ready.ws] : [])];
    this.ready = undefined;
    for (const ws of open) ws.close(1000, 'the local proxy stopped');
    for (const s of this.sockets) s.destroy();
    this.server.close();
    setTimeout(() => {
      for (const ws of open) ws.terminate();
    }, 1000).unref();
  }
}
