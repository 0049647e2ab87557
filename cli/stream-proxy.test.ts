/**
 * The local TCP proxy with the channel framing of pods/portforward, against a websocket server
 * on loopback that speaks the kubelet's v4.channel.k8s.io port-forward protocol: the port on each
 * channel first, then channel-0 data. A client's bytes reach the server unframed and the answer
 * comes back unframed, a large answer whole (backpressure), the server's close ends the local
 * connection, and what the error channel says is reported.
 */
import { createHash, randomBytes } from 'crypto';
import * as net from 'net';
import WebSocket, { WebSocketServer } from 'ws';
import { PORT_FORWARD_PROTOCOL, PortForwardFraming } from '../kube/port-forward';
import { WebSocketTcpProxy } from './stream-proxy';

const PORT = 8443;
const port = Buffer.from([PORT & 0xff, PORT >> 8]);
const frame = (channel: number, data: Buffer): Buffer => Buffer.concat([Buffer.from([channel]), data]);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let server: WebSocketServer;
let url: string;
/** What the fake kubelet does with each connection's data. */
let behaviour: (ws: WebSocket, data: Buffer) => void;

beforeAll(async () => {
  server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (offered) => (offered.has(PORT_FORWARD_PROTOCOL) ? PORT_FORWARD_PROTOCOL : false),
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  url = `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
  server.on('connection', (ws) => {
    ws.send(frame(0, port));
    ws.send(frame(1, port));
    ws.on('message', (d: Buffer) => {
      if (d[0] !== 0) throw new Error(`the client wrote on channel ${d[0]}`);
      behaviour(ws, d.subarray(1));
    });
  });
});

afterAll(async () => {
  for (const c of server.clients) c.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function proxy(problems: string[]): Promise<{ proxy: WebSocketTcpProxy; port: number }> {
  const p = new WebSocketTcpProxy(
    async () => {
      // Paused in its open handler, as kube/stream.ts hands streams over: nothing is missed.
      const ws = new WebSocket(url, [PORT_FORWARD_PROTOCOL]);
      await new Promise((resolve, reject) => {
        ws.once('open', () => (ws.pause(), resolve(undefined)));
        ws.once('error', reject);
      });
      return ws;
    },
    (m) => problems.push(m),
    'the forward',
    () => new PortForwardFraming(PORT),
  );
  return { proxy: p, port: await p.listen(0, '127.0.0.1') };
}

function exchange(localPort: number, send: Buffer, until: (got: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(localPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      if (until(Buffer.concat(chunks))) sock.end();
    });
    sock.on('close', () => resolve(Buffer.concat(chunks)));
    sock.on('error', reject);
    sock.write(send);
  });
}

test('bytes go through unframed both ways; a 16 MiB answer arrives whole; the server closing ends the connection', async () => {
  const big = randomBytes(16 << 20);
  behaviour = (ws, data) => {
    if (data.toString() === 'ping') ws.send(frame(0, Buffer.from('pong')));
    if (data.toString() === 'big') {
      for (let i = 0; i < big.length; i += 1 << 20) ws.send(frame(0, big.subarray(i, i + (1 << 20))));
      ws.close(1000);
    }
  };
  const problems: string[] = [];
  const { proxy: p, port: local } = await proxy(problems);
  try {
    expect((await exchange(local, Buffer.from('ping'), (g) => g.length >= 4)).toString()).toBe('pong');
    const got = await exchange(local, Buffer.from('big'), () => false);
    expect([got.length, sha(got)]).toEqual([big.length, sha(big)]);
    expect(problems).toEqual([]);
  } finally {
    p.close();
  }
});

test('what the error channel says is reported, and the connection ends', async () => {
  behaviour = (ws) => {
    ws.send(frame(1, Buffer.from('error forwarding port 8443 to pod p: connection refused')));
    ws.close(1000);
  };
  const problems: string[] = [];
  const { proxy: p, port: local } = await proxy(problems);
  try {
    expect((await exchange(local, Buffer.from('hello'), () => false)).length).toBe(0);
    for (let i = 0; i < 100 && !problems.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(problems).toEqual([
      'the forward: port 8443: error forwarding port 8443 to pod p: connection refused',
    ]);
  } finally {
    p.close();
  }
});
