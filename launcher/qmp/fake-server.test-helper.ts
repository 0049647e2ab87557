/**
 * A scripted QMP peer for unit tests: a real unix socket pair (server in a temp dir), where
 * the test decides what "QEMU" answers to each command and when it emits events.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface ReceivedCommand {
  readonly execute: string;
  readonly arguments?: Record<string, unknown>;
  readonly id?: unknown;
}

export type Responder = (cmd: ReceivedCommand, peer: FakeQmpPeer) => void;

export class FakeQmpPeer {
  readonly received: ReceivedCommand[] = [];
  constructor(private readonly socket: net.Socket) {}
  send(obj: unknown): void {
    this.socket.write(JSON.stringify(obj) + '\n');
  }
  sendRaw(text: string): void {
    this.socket.write(text);
  }
  reply(cmd: ReceivedCommand, value: unknown = {}): void {
    this.send({ return: value, id: cmd.id });
  }
  fail(cmd: ReceivedCommand, cls: string, desc: string): void {
    this.send({ error: { class: cls, desc }, id: cmd.id });
  }
  event(name: string, data?: Record<string, unknown>): void {
    this.send({ event: name, data, timestamp: { seconds: 1, microseconds: 2 } });
  }
  hangUp(): void {
    this.socket.destroy();
  }
}

export interface FakeQmpServer {
  readonly socketPath: string;
  /** Resolves with the peer of the first connection. */
  readonly peer: Promise<FakeQmpPeer>;
  close(): Promise<void>;
}

/** Starts a fake QEMU; `respond` handles each command after qmp_capabilities. */
export async function startFakeQmp(respond: Responder): Promise<FakeQmpServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-qmp-'));
  const socketPath = path.join(dir, 'qmp.sock');
  let resolvePeer!: (p: FakeQmpPeer) => void;
  const peer = new Promise<FakeQmpPeer>((r) => (resolvePeer = r));
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    const p = new FakeQmpPeer(socket);
    resolvePeer(p);
    p.send({
      QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'fake' }, capabilities: ['oob'] },
    });
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const cmd = JSON.parse(buf.slice(0, nl)) as ReceivedCommand;
        buf = buf.slice(nl + 1);
        p.received.push(cmd);
        if (cmd.execute === 'qmp_capabilities') p.reply(cmd);
        else respond(cmd, p);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    peer,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
