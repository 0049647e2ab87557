/**
 * A scripted guest agent for unit tests: a real unix socket (server in a temp dir) standing in
 * for QEMU's qga chardev, where the test decides how "the agent" answers each request.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface AgentRequest {
  readonly execute: string;
  readonly arguments?: Record<string, unknown>;
}

export class FakeAgentPeer {
  readonly received: AgentRequest[] = [];
  /** How many 0xFF bytes the client sent. */
  sentinels = 0;
  constructor(readonly socket: net.Socket) {}
  sendRaw(data: string | Buffer): void {
    this.socket.write(data);
  }
  reply(value: unknown = {}): void {
    this.socket.write(JSON.stringify({ return: value }) + '\n');
  }
  fail(cls: string, desc: string): void {
    this.socket.write(JSON.stringify({ error: { class: cls, desc } }) + '\n');
  }
  /** Answers guest-sync-delimited the way the agent does: 0xFF, then the echo. */
  syncReply(req: AgentRequest): void {
    this.socket.write(
      Buffer.concat([Buffer.from([0xff]), Buffer.from(JSON.stringify({ return: req.arguments?.id }) + '\n')]),
    );
  }
  hangUp(): void {
    this.socket.destroy();
  }
}

export type AgentScript = (req: AgentRequest, peer: FakeAgentPeer) => void;

export interface FakeAgent {
  readonly socketPath: string;
  /** Every connection so far, oldest first. */
  readonly peers: FakeAgentPeer[];
  script: AgentScript;
  close(): Promise<void>;
}

/** A well-behaved agent of a small Linux guest. */
export const politeAgent: AgentScript = (req, peer) => {
  switch (req.execute) {
    case 'guest-sync-delimited':
      return peer.syncReply(req);
    case 'guest-ping':
      return peer.reply({});
    case 'guest-get-osinfo':
      return peer.reply({
        id: 'testos',
        name: 'Test OS',
        'pretty-name': 'Test OS 1.2',
        version: '1.2 (Tiny)',
        'version-id': '1.2',
        'kernel-release': '6.1.0-test',
        'kernel-version': '#1 SMP',
        machine: 'x86_64',
      });
    case 'guest-get-host-name':
      return peer.reply({ 'host-name': 'vm-1' });
    case 'guest-get-timezone':
      return peer.reply({ zone: 'UTC', offset: 0 });
    case 'guest-network-get-interfaces':
      return peer.reply([
        {
          name: 'lo',
          'hardware-address': '00:00:00:00:00:00',
          'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }],
        },
        {
          name: 'eth0',
          'hardware-address': '02:AB:CD:00:00:01',
          'ip-addresses': [
            { 'ip-address-type': 'ipv4', 'ip-address': '10.0.2.2', prefix: 24 },
            { 'ip-address-type': 'ipv6', 'ip-address': 'fe80::ab:cdff:fe00:1', prefix: 64 },
          ],
          statistics: { 'rx-bytes': 100, 'tx-bytes': 50 },
        },
      ]);
    default:
      return peer.fail('CommandNotFound', `The command ${req.execute} has not been found`);
  }
};

export async function startFakeAgent(script: AgentScript = politeAgent): Promise<FakeAgent> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-qga-'));
  const socketPath = path.join(dir, 'qga.sock');
  const peers: FakeAgentPeer[] = [];
  const agent: FakeAgent = {
    socketPath,
    peers,
    script,
    close: async () => {
      for (const p of peers) p.socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const server = net.createServer((socket) => {
    const peer = new FakeAgentPeer(socket);
    peers.push(peer);
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let ff: number;
      while ((ff = buf.indexOf(0xff)) >= 0) {
        peer.sentinels++;
        buf = Buffer.concat([buf.subarray(0, ff), buf.subarray(ff + 1)]);
      }
      let nl: number;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        const line = buf.subarray(0, nl).toString();
        buf = buf.subarray(nl + 1);
        const req = JSON.parse(line) as AgentRequest;
        peer.received.push(req);
        agent.script(req, peer);
      }
    });
  });
  await new Promise<void>((r) => server.listen(socketPath, () => r()));
  return agent;
}
