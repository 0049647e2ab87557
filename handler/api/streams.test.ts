/**
 * The node side of the streams over real sockets: a websocket client (as `virtkit api` dials it)
 * -> an HTTP server that hands upgrades to handleStreamUpgrade (the node API's TLS and client
 * authentication are ./server.ts's, not tested here) -> the launcher's real control API server
 * -> stand-ins for QEMU's serial and VNC sockets (test/fixtures/fake-qemu-sockets.ts).
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';
import { silentLogger } from '../../common/log';
import { nodeVmiPath } from '../../common/node-api';
import { PLAIN_STREAM_PROTOCOL } from '../../common/plain-stream';
import { ControlServer } from '../../launcher/api/server';
import type { Domain } from '../../launcher/runtime/domain';
import { PortForwardError } from '../../launcher/runtime/port-forward';
import { FakeSerial, fakeVncServer } from '../../test/fixtures/fake-qemu-sockets';
import {
  openPlainStream,
  refusalOf,
  type PlainStreamClient,
  type StreamRefused,
} from '../../test/fixtures/plain-websocket';
import { handleStreamUpgrade, launcherStreamPath, openStreamSessions, parseGoBool } from './streams';

let dir: string;
let serial: FakeSerial;
let vnc: import('net').Server;
let control: ControlServer;
let server: http.Server;
let base: string;
/** VMIs this "node" runs: ns/name -> launcher socket. */
let launchers: Map<string, string>;

/** The guest's TCP service (an echo server), as the fake domain reaches it for port 7777. */
let guestService: import('net').Server;

async function connectGuestPort(port: number): Promise<import('net').Socket> {
  const { createConnection } = await import('net');
  if (port !== 7777)
    throw new PortForwardError(`cannot open a connection to guest port ${port}: refused`, 'Unavailable');
  const s = createConnection((guestService.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  return s;
}

async function startControl(
  socketPath: string,
  plan: Record<string, string | undefined>,
): Promise<ControlServer> {
  const c = new ControlServer({
    socketPath,
    domain: { plan, connectGuestPort } as unknown as Domain,
    name: 'vm',
    namespace: 'ns',
    defaultGraceSeconds: 5,
    start: async () => undefined,
  });
  await c.listen();
  return c;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-node-streams-'));
  serial = new FakeSerial(path.join(dir, 'serial.sock'), path.join(dir, 'serial.log'));
  await serial.listen();
  vnc = await fakeVncServer(path.join(dir, 'vnc.sock'));
  const launcherSocket = path.join(dir, 'launcher.sock');
  control = await startControl(launcherSocket, {
    serialSocket: serial.socketPath,
    serialLog: serial.logPath,
    vncSocket: path.join(dir, 'vnc.sock'),
  });
  launchers = new Map([['ns/vm', launcherSocket]]);
  guestService = (await import('net')).createServer((c) => c.pipe(c));
  await new Promise<void>((r) => guestService.listen(0, '127.0.0.1', () => r()));
  server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) =>
    handleStreamUpgrade(req, socket, head, {
      launcherSocket: (ns, name) => launchers.get(`${ns}/${name}`),
      log: silentLogger(),
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await control.close();
  await serial.close();
  await new Promise<void>((r) => vnc.close(() => r()));
  guestService.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens a stream as virtkit api does; rejects with the HTTP status and Status body of a refusal. */
function connect(stream: string, query = '', name = 'vm'): Promise<PlainStreamClient> {
  const [action, ...rest] = stream.split('/');
  return openPlainStream(`${base}${nodeVmiPath('ns', name, action, ...rest)}${query}`);
}

function refusal(stream: string, query = '', name = 'vm'): Promise<StreamRefused> {
  return refusalOf(() => connect(stream, query, name));
}

async function settled(): Promise<void> {
  for (let i = 0; i < 200 && openStreamSessions() > 0; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('console', () => {
  it('speaks plain.kubevirt.io: binary messages to the guest, its output back as binary messages', async () => {
    const c = await connect('console');
    expect(c.ws.protocol).toBe(PLAIN_STREAM_PROTOCOL);
    let binary = true;
    c.ws.on('message', (_d, isBinary) => (binary &&= isBinary));
    c.ws.send(Buffer.from('hello\n'), { binary: true });
    await c.until(/GOT hello/);
    // A text message is not part of the stream (KubeVirt's reader skips it too).
    c.ws.send('ignored\n');
    c.ws.send(Buffer.from('after\n'), { binary: true });
    await c.until(/GOT after/);
    expect(c.text()).not.toMatch(/ignored/);
    expect(binary).toBe(true);
    c.ws.close();
    await c.closed;
    await settled();
    expect(openStreamSessions()).toBe(0);
  });

  it('history=N replays the serial log before the live output', async () => {
    serial.print('VIRTKIT-GUEST-BOOTED\n');
    const c = await connect('console', '?history=65536');
    await c.until(/VIRTKIT-GUEST-BOOTED\n/);
    c.ws.send(Buffer.from('x\n'));
    await c.until(/GOT x/);
    c.ws.close();
  });

  it('one console per VMI: a second cuts the first with 1001 and a reason; the second works', async () => {
    const first = await connect('console');
    await serial.waitConnected();
    const second = await connect('console', '?history=0');
    const cut = await first.closed;
    expect(cut).toEqual({
      code: 1001,
      reason: 'another client connected to the console of virtualmachineinstance ns/vm',
    });
    second.ws.send(Buffer.from('second\n'));
    await second.until(/GOT second/);
    second.ws.close();
    await second.closed;
    await settled();
    // The console is free again.
    const third = await connect('console');
    third.ws.send(Buffer.from('third\n'));
    await third.until(/GOT third/);
    third.ws.terminate();
  });

  it('a dropped websocket frees the console', async () => {
    const c = await connect('console');
    await serial.waitConnected();
    c.ws.terminate();
    await c.closed;
    await settled();
    expect(openStreamSessions()).toBe(0);
    for (let i = 0; i < 200 && serial.connected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(serial.connected).toBe(false);
    const again = await connect('console');
    again.ws.send(Buffer.from('again\n'));
    await again.until(/GOT again/);
    again.ws.close();
  });

  it('the guest console going away closes the websocket normally, saying so', async () => {
    const c = await connect('console', '?history=0');
    await serial.waitConnected();
    serial.print('bye\n');
    await serial.close();
    expect(await c.closed).toEqual({
      code: 1000,
      reason: 'the console of virtualmachineinstance ns/vm closed',
    });
    expect(c.text()).toMatch(/bye/);
  });

  it('refusals are HTTP errors with a Status', async () => {
    expect(await refusal('console', '', 'other')).toMatchObject({
      status: 404,
      body: {
        kind: 'Status',
        message: 'virtualmachineinstance ns/other has no running launcher on this node',
      },
    });
    expect(await refusal('console', '?history=-1')).toMatchObject({ status: 400 });
    expect(await refusal('serial')).toMatchObject({ status: 404 });
    await serial.close();
    const gone = await refusal('console');
    expect(gone.status).toBe(409);
    expect(gone.body.message).toMatch(/^virtualmachineinstance ns\/vm: the serial console is not available/);
    await control.close();
    const noLauncher = await refusal('console');
    expect(noLauncher.status).toBe(500);
    expect(noLauncher.body.message).toMatch(/^cannot reach the launcher of virtualmachineinstance ns\/vm/);
    control = await startControl(path.join(dir, 'launcher.sock'), {});
    expect(await refusal('console')).toMatchObject({
      status: 404,
      body: { message: expect.stringMatching(/no serial console/) },
    });
  });

  it('a request that is no websocket handshake is refused before anything is cut', async () => {
    const open = await connect('console');
    const res = await new Promise<number>((resolve) => {
      const req = http.request(`${base.replace('ws:', 'http:')}${nodeVmiPath('ns', 'vm', 'console')}`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket' },
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.end();
    });
    expect(res).toBe(400);
    open.ws.send(Buffer.from('still here\n'));
    await open.until(/GOT still here/);
    open.ws.close();
  });
});

describe('vnc', () => {
  it('joins the websocket to the VNC server; a second session cuts the first', async () => {
    const a = await connect('vnc');
    await a.until(/^RFB 003\.008\n/);
    const b = await connect('vnc');
    expect((await a.closed).code).toBe(1001);
    expect((await a.closed).reason).toBe(
      'another client connected to the VNC display of virtualmachineinstance ns/vm',
    );
    await b.until(/^RFB 003\.008\n/);
    b.ws.close();
  });

  it('preserveSession=true connects beside the open session (KubeVirt uses it for screenshots)', async () => {
    const a = await connect('vnc');
    const b = await connect('vnc', '?preserveSession=true');
    await b.until(/RFB/);
    b.ws.close();
    await b.closed;
    a.ws.send(Buffer.from('still'));
    await a.until(/ECHO:still/);
    a.ws.close();
  });
});

describe('portforward', () => {
  it('joins each websocket to its own connection to the guest port; several stay open at once', async () => {
    const a = await connect('portforward/7777');
    const b = await connect('portforward/7777/tcp');
    a.ws.send(Buffer.from('one'), { binary: true });
    b.ws.send(Buffer.from('two'), { binary: true });
    await a.until(/^one$/);
    await b.until(/^two$/);
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
    a.ws.close();
    b.ws.close();
    await settled();
  });

  it("the launcher's refusal and a bad port are HTTP errors with a Status", async () => {
    expect(await refusal('portforward/9')).toMatchObject({
      status: 409,
      body: { message: 'virtualmachineinstance ns/vm: cannot open a connection to guest port 9: refused' },
    });
    expect(await refusal('portforward/99999')).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/port number from 1 to 65535, got "99999"/) },
    });
    expect((await refusal('portforward/22/sctp')).status).toBe(400);
    expect((await refusal('portforward')).status).toBe(404);
  });
});

describe('pure parts', () => {
  it('reads preserveSession as Go does', () => {
    expect(['1', 't', 'T', 'true', 'TRUE', 'True'].map(parseGoBool)).toEqual(Array(6).fill(true));
    expect(['0', 'false', 'yes', '', null].map(parseGoBool)).toEqual(Array(5).fill(false));
  });

  it('maps the query to the launcher route', () => {
    expect(launcherStreamPath('console', new URLSearchParams())).toEqual({
      path: '/v1/console',
      upgrade: 'virtkit-console',
    });
    expect(launcherStreamPath('console', new URLSearchParams('history=0100'))).toEqual({
      path: '/v1/console?history=100',
      upgrade: 'virtkit-console',
    });
    expect(launcherStreamPath('console', new URLSearchParams('history=65537'))).toHaveProperty('problem');
    expect(launcherStreamPath('portforward', new URLSearchParams(), ['0022', 'TCP'])).toEqual({
      path: '/v1/portforward?port=22&protocol=tcp',
      upgrade: 'virtkit-portforward',
    });
    expect(launcherStreamPath('vnc', new URLSearchParams('history=5'))).toEqual({
      path: '/v1/vnc',
      upgrade: 'virtkit-vnc',
    });
  });
});
