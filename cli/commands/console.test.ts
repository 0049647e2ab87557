/**
 * `virtkit console` and `virtkit vnc` over the whole chain, every hop a real socket and a real
 * component: the CLI's websocket (kube/'s KubeClient.openStream, credentials from a kubeconfig)
 * -> the subresource router of `virtkit api` -> its wss dial of the node (mutual TLS, openssl
 * certificates) -> the handler's real node API server -> the launcher's real control API ->
 * stand-ins for QEMU's serial and VNC sockets (test/fixtures/fake-qemu-sockets.ts). Only the API
 * server is missing (the router's authentication is stubbed and the VMI lookup is the test's);
 * test/e2e/runtime-streams.test.ts runs it all with the real API server and a real guest.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import type WebSocket from 'ws';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { SubresourceRouter } from '../../apiserver/subresources/router';
import { silentLogger } from '../../common/log';
import { NODE_API_CLIENT_NAME, NODE_API_SERVER_NAME } from '../../common/node-api';
import { startNodeApiServer, type RunningNodeApi } from '../../handler/api/server';
import { KubeApiError } from '../../kube/errors';
import { ControlServer } from '../../launcher/api/server';
import type { Domain } from '../../launcher/runtime/domain';
import { FakeSerial, fakeVncServer } from '../../test/fixtures/fake-qemu-sockets';
import {
  connectWithRetry,
  dialConsole,
  ESCAPE_BYTE,
  parseTimeoutMinutes,
  runConsoleSession,
  TIMEOUT_MESSAGE,
} from './console';
import { dialVnc, findViewer, parsePort } from './vnc';
import { WebSocketTcpProxy } from '../stream-proxy';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-console-chain-'));
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const file = (f: string): string => path.join(dir, f);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function issue(stem: string, cn: string, ext: string): void {
  fs.writeFileSync(file(`${stem}.ext`), ext);
  openssl(['req', '-new', ...EC, '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', `/CN=${cn}`]);
  openssl(
    ['x509', '-req', '-in', `${stem}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '9'].concat([
      '-days',
      '30',
      '-out',
      `${stem}.crt`,
      '-extfile',
      `${stem}.ext`,
    ]),
  );
}

let serial: FakeSerial;
let vncServer: net.Server;
let control: ControlServer;
let nodeApi: RunningNodeApi;
let api: http.Server;
let kubeconfig: string;
const vmis = new Map<string, VirtualMachineInstance>();

function runningVmi(name: string): VirtualMachineInstance {
  return {
    metadata: { name, namespace: 'ns' },
    spec: { domain: { devices: {} } },
    status: { phase: 'Running', nodeName: 'n1' },
  } as unknown as VirtualMachineInstance;
}

beforeAll(async () => {
  openssl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '30',
    '-subj',
    '/CN=node-ca',
  ]);
  issue(
    'node',
    NODE_API_SERVER_NAME,
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${NODE_API_SERVER_NAME},IP:127.0.0.1\n`,
  );
  issue(
    'client',
    NODE_API_CLIENT_NAME,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );

  serial = new FakeSerial(file('serial.sock'), file('serial.log'));
  await serial.listen();
  vncServer = await fakeVncServer(file('vnc.sock'));
  control = new ControlServer({
    socketPath: file('launcher.sock'),
    domain: {
      plan: { serialSocket: serial.socketPath, serialLog: serial.logPath, vncSocket: file('vnc.sock') },
    } as unknown as Domain,
    name: 'vm',
    namespace: 'ns',
    defaultGraceSeconds: 5,
    start: async () => undefined,
  });
  await control.listen();

  nodeApi = await startNodeApiServer({
    tls: { certFile: file('node.crt'), keyFile: file('node.key'), clientCaFile: file('ca.crt') },
    allowedClients: [NODE_API_CLIENT_NAME],
    host: '127.0.0.1',
    port: 0,
    nodeName: 'n1',
    locator: {
      locate: (ns, name) =>
        ns === 'ns' && name === 'vm'
          ? {
              kind: 'ready',
              socket: file('launcher.sock'),
              vmi: {
                apiVersion: 'kubevirt.io/v1',
                kind: 'VirtualMachineInstance',
                metadata: { name, namespace: ns },
              },
            }
          : { kind: 'absent' },
    },
    log: silentLogger(),
  });

  vmis.set('vm', runningVmi('vm'));
  const router = new SubresourceRouter({
    authenticate: () => ({ ok: true, user: { name: 'alice', groups: [], extra: {} } }),
    context: { client: {} as never, log: silentLogger() },
    streams: {
      fetchVmi: async (_ns, name) => vmis.get(name),
      nodeConnection: async () => ({
        url: new URL(`https://127.0.0.1:${nodeApi.port}`),
        ca: fs.readFileSync(file('ca.crt')),
        cert: fs.readFileSync(file('client.crt')),
        key: fs.readFileSync(file('client.key')),
        servername: NODE_API_SERVER_NAME,
      }),
    },
  });
  api = http.createServer((req, res) => void router.handle(req, res));
  api.on('upgrade', (req, socket, head) => router.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  kubeconfig = file('kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          // Plain HTTP: client-node sends a token over it only when told TLS is not checked.
          cluster: {
            server: `http://127.0.0.1:${(api.address() as net.AddressInfo).port}`,
            'insecure-skip-tls-verify': true,
          },
        },
      ],
      users: [{ name: 'u', user: { token: 'test-token' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
      'current-context': 'ctx',
    }),
  );
});

afterAll(async () => {
  api.closeAllConnections();
  await new Promise<void>((r) => api.close(() => r()));
  await nodeApi.close();
  await control.close();
  await serial.close();
  await new Promise<void>((r) => vncServer.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Session {
  ws: WebSocket;
  input: PassThrough;
  out: () => string;
  until: (re: RegExp, ms?: number) => Promise<void>;
  session: ReturnType<typeof runConsoleSession>;
}

async function openConsole(opts: { history?: number; tty?: boolean } = {}): Promise<Session> {
  const ws = await dialConsole('vm', { history: opts.history }, { kubeconfig });
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  const session = runConsoleSession(ws, { input, output, tty: opts.tty ?? false }, 'vm');
  return {
    ws,
    input,
    out: () => text,
    session,
    until: async (re, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (!re.test(text)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${re}; got ${JSON.stringify(text)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('virtkit console over the whole chain', () => {
  it('replays the serial history first, then the guest answers what is typed', async () => {
    serial.print('VIRTKIT-GUEST-BOOTED ignore_power_button=0\n');
    const c = await openConsole({ history: 64 * 1024 });
    await c.until(/VIRTKIT-GUEST-BOOTED/);
    c.input.write('echo hi\n');
    await c.until(/GOT echo hi/);
    c.session.leave();
    expect(await c.session.done).toEqual({ exitCode: 0 });
  });

  it('without history only live output comes', async () => {
    serial.print('before-the-session\n');
    const c = await openConsole();
    await serial.waitConnected();
    c.input.write('live\n');
    await c.until(/GOT live/);
    expect(c.out()).not.toMatch(/before-the-session/);
    c.session.leave();
    await c.session.done;
  });

  it('a second console cuts the first, which is told why; the console is free once both are gone', async () => {
    const first = await openConsole({ history: 0 });
    const second = await openConsole({ history: 0 });
    expect(await first.session.done).toEqual({
      exitCode: 1,
      message:
        'You were disconnected from the console: another client connected to the console of virtualmachineinstance ns/vm',
    });
    second.input.write('second\n');
    await second.until(/GOT second/);
    second.ws.terminate(); // dropped, not closed
    await second.session.done;
    const third = await openConsole({ history: 0 });
    third.input.write('third\n');
    await third.until(/GOT third/);
    third.session.leave();
    await third.session.done;
  });

  it('on a terminal Ctrl+] leaves; what was typed before it reaches the guest', async () => {
    const c = await openConsole({ history: 0, tty: true });
    c.input.write(Buffer.concat([Buffer.from('bye\n'), Buffer.from([ESCAPE_BYTE]), Buffer.from('never\n')]));
    expect(await c.session.done).toEqual({ exitCode: 0 });
    const log = async (): Promise<string> => fs.readFileSync(serial.logPath, 'utf8');
    for (let i = 0; i < 200 && !/GOT bye/.test(await log()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await log()).toMatch(/GOT bye/);
    expect(await log()).not.toMatch(/GOT never/);
  });

  it('a VMI that does not run is refused with KubeVirt words, as a KubeApiError', async () => {
    vmis.set('stopped', {
      ...runningVmi('stopped'),
      status: { phase: 'Succeeded' },
    } as VirtualMachineInstance);
    const err = await dialConsole('stopped', {}, { kubeconfig }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 400, serverMessage: 'VMI is not running' });
    const gone = await dialConsole('ghost', {}, { kubeconfig }).catch((e: unknown) => e);
    expect(gone).toMatchObject({
      status: 404,
      serverMessage: 'virtualmachineinstance.kubevirt.io "ghost" not found',
    });
  });
});

describe('virtkit vnc over the whole chain', () => {
  it('proxies a local TCP connection to the VMI VNC display (raw RFB)', async () => {
    const proxy = new WebSocketTcpProxy(
      () => dialVnc('vm', { kubeconfig }),
      (m) => {
        throw new Error(m);
      },
    );
    proxy.prime(await dialVnc('vm', { kubeconfig }));
    const port = await proxy.listen(0, '127.0.0.1');
    for (let round = 0; round < 2; round++) {
      const sock = net.createConnection(port, '127.0.0.1');
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      for (let i = 0; i < 300 && !got.startsWith('RFB 003.008\n'); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(got.startsWith('RFB 003.008\n')).toBe(true);
      sock.write('RFB 003.008\n');
      for (let i = 0; i < 300 && !got.includes('ECHO:RFB'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(got).toContain('ECHO:RFB 003.008');
      sock.destroy();
    }
    proxy.close();
  });
});

describe('pure parts', () => {
  it('--timeout is in minutes, as virtctl has it', () => {
    expect(parseTimeoutMinutes(undefined)).toBe(5);
    expect(parseTimeoutMinutes('0.5')).toBe(0.5);
    expect(() => parseTimeoutMinutes('5m')).toThrow(/not a number of minutes/);
  });

  it('--port takes 0 to 65535', () => {
    expect(parsePort(undefined)).toBe(0);
    expect(parsePort('5900')).toBe(5900);
    expect(() => parsePort('70000')).toThrow(/not a TCP port/);
  });

  it('finds remote-viewer first, then vncviewer, and points them at the port', () => {
    expect(findViewer((b) => b === 'remote-viewer')?.args('127.0.0.1', 5)).toEqual(['vnc://127.0.0.1:5']);
    expect(findViewer((b) => b === 'vncviewer')?.args('127.0.0.1', 5)).toEqual(['127.0.0.1::5']);
    expect(findViewer(() => false)).toBeUndefined();
  });

  it('connectWithRetry waits while the VMI is not running, and gives up with virtctl words', async () => {
    const notRunning = new KubeApiError('GET', '/x', 400, 'BadRequest', 'VMI is not running');
    const notFound = new KubeApiError(
      'GET',
      '/x',
      404,
      'NotFound',
      'virtualmachineinstance.kubevirt.io "vm" not found',
    );
    const ws = {} as WebSocket;
    let calls = 0;
    const waits: string[] = [];
    const got = await connectWithRetry(
      async () => {
        calls++;
        if (calls === 1) throw notFound;
        if (calls < 4) throw notRunning;
        return ws;
      },
      { timeoutMs: 5000, vmExists: async () => true, retryMs: 5, onWait: (w) => waits.push(w) },
    );
    expect(got).toBe(ws);
    expect(calls).toBe(4);
    expect(waits).toEqual(['virtualmachineinstance.kubevirt.io "vm" not found']);
    await expect(
      connectWithRetry(
        async () => {
          throw notRunning;
        },
        { timeoutMs: 50, vmExists: async () => true, retryMs: 20 },
      ),
    ).rejects.toThrow(TIMEOUT_MESSAGE);
    // No VM of that name: a typo fails at once.
    await expect(
      connectWithRetry(
        async () => {
          throw notFound;
        },
        { timeoutMs: 5000, vmExists: async () => false, retryMs: 5 },
      ),
    ).rejects.toBe(notFound);
  });
});
