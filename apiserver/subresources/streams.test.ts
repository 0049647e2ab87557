/**
 * The api side of the streams over real sockets: a websocket client (as virtctl, through the
 * API server's proxy) -> the subresource router -> streams.ts -> a websocket server standing in
 * for the node handler (it echoes, refuses or closes as a test asks). The VMI lookup and the
 * node's address are the test's (no API server here); the whole chain with the real handler
 * and launcher is in cli/commands/console.test.ts and the runtime end-to-end suite.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import WebSocket, { WebSocketServer } from 'ws';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { silentLogger } from '../../common/log';
import { PLAIN_STREAM_PROTOCOL } from '../../common/plain-stream';
import type { KubeClient } from '../../kube';
import {
  objectPath,
  SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES,
  SUBRESOURCE_VIRTUAL_MACHINES,
} from '../../kube/resources';
import {
  openPlainStream,
  refusalOf,
  type PlainStreamClient,
  type StreamRefused,
} from '../../test/fixtures/plain-websocket';
import { SubresourceRouter } from './router';
import { failure } from '../../common/kube-status';
import { SubresourceError } from './subresource-error';
import { MAX_HISTORY_BYTES, nodeQuery, streamProblem, vmiNotFound } from './streams';

const USER = { name: 'alice', groups: ['system:authenticated'], extra: {} };

function vmi(name: string, phase: string, devices: Record<string, unknown> = {}): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name, namespace: 'ns' },
    spec: { domain: { devices } },
    status: { phase, nodeName: 'n1' },
  } as unknown as VirtualMachineInstance;
}

let vmis: Map<string, VirtualMachineInstance>;
let vms: Map<string, VirtualMachine>;
/** What the fake node saw: paths with their query. */
let nodeSeen: string[];
let nodeSockets: WebSocket[];
let nodeUp: boolean;
let api: http.Server;
let node: http.Server;
let nodeWss: WebSocketServer;
let apiBase: string;
let nodePort: number;

beforeAll(async () => {
  nodeWss = new WebSocketServer({ noServer: true, handleProtocols: () => PLAIN_STREAM_PROTOCOL });
  node = http.createServer();
  node.on('upgrade', (req, socket, head) => {
    nodeSeen.push(req.url ?? '');
    if ((req.url ?? '').includes('/refused/')) {
      const body = JSON.stringify(failure(409, 'the node says no').body);
      socket.end(
        `HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    nodeWss.handleUpgrade(req, socket, head, (ws) => {
      nodeSockets.push(ws);
      ws.on('message', (d: Buffer, isBinary) => {
        const text = d.toString();
        if (text === 'cut me')
          ws.close(1001, 'another client connected to the console of virtualmachineinstance ns/vm');
        else ws.send(Buffer.concat([Buffer.from('echo:'), d]), { binary: isBinary });
      });
    });
  });
  await new Promise<void>((r) => node.listen(0, '127.0.0.1', () => r()));
  nodePort = (node.address() as AddressInfo).port;

  const router = new SubresourceRouter({
    authenticate: () => ({ ok: true, user: USER }),
    context: { client: {} as KubeClient, log: silentLogger() },
    streams: {
      fetchVmi: async (_ns, name) => vmis.get(name),
      fetchVm: async (_ns, name) => vms.get(name),
      nodeConnection: async (v) => {
        if (v.metadata?.name === 'nowhere')
          throw new SubresourceError(failure(503, 'the handler of node n1 publishes no endpoint'));
        return {
          url: new URL(`http://127.0.0.1:${nodeUp ? nodePort : 1}`),
          ca: Buffer.alloc(0),
          cert: Buffer.alloc(0),
          key: Buffer.alloc(0),
          servername: 'virtkit-handler',
        };
      },
      pingIntervalMs: 50,
      pongTimeoutMs: 300,
    },
  });
  api = http.createServer((req, res) => void router.handle(req, res));
  api.on('upgrade', (req, socket, head) => router.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  apiBase = `ws://127.0.0.1:${(api.address() as AddressInfo).port}`;
});

afterAll(async () => {
  api.closeAllConnections();
  node.closeAllConnections();
  await new Promise<void>((r) => api.close(() => r()));
  await new Promise<void>((r) => node.close(() => r()));
});

beforeEach(() => {
  vmis = new Map([
    ['vm', vmi('vm', 'Running')],
    ['refused', vmi('refused', 'Running')],
    ['nowhere', vmi('nowhere', 'Running')],
    ['pending', vmi('pending', 'Scheduled')],
    ['failed', vmi('failed', 'Failed')],
    [
      'headless',
      vmi('headless', 'Running', { autoattachGraphicsDevice: false, autoattachSerialConsole: false }),
    ],
  ]);
  vms = new Map([
    ['vm', { metadata: { name: 'vm' }, status: { created: true } } as VirtualMachine],
    ['stopped', { metadata: { name: 'stopped' }, status: { created: false } } as VirtualMachine],
  ]);
  nodeSeen = [];
  nodeSockets = [];
  nodeUp = true;
});

const path = (name: string, stream: string): string =>
  stream.startsWith('vm:')
    ? objectPath(SUBRESOURCE_VIRTUAL_MACHINES, 'ns', name, stream.slice(3))
    : objectPath(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, 'ns', name, stream);

function connect(
  name: string,
  stream: string,
  query = '',
  opts: WebSocket.ClientOptions = {},
): Promise<PlainStreamClient> {
  return openPlainStream(`${apiBase}${path(name, stream)}${query}`, opts);
}

function refused(name: string, stream: string, query = ''): Promise<StreamRefused> {
  return refusalOf(() => connect(name, stream, query));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('the relay', () => {
  it('dials the node path with the query, speaks plain.kubevirt.io, relays binary messages both ways', async () => {
    const c = await connect('vm', 'console', '?history=65536&other=x');
    expect(c.ws.protocol).toBe(PLAIN_STREAM_PROTOCOL);
    expect(nodeSeen).toEqual(['/v1/namespaces/ns/virtualmachineinstances/vm/console?history=65536']);
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    await until(() => c.messages.length > 0, 'the echo');
    expect(c.messages[0]).toEqual(Buffer.concat([Buffer.from('echo:'), Buffer.from([0, 1, 2, 255])]));
    c.ws.close(1000, 'bye');
    await c.closed;
    await until(() => nodeSockets[0]?.readyState === WebSocket.CLOSED, 'the node side to close');
  });

  it("passes the node's close code and reason on (1001: another client took the console)", async () => {
    const c = await connect('vm', 'console');
    c.ws.send(Buffer.from('cut me'));
    expect(await c.closed).toEqual({
      code: 1001,
      reason: 'another client connected to the console of virtualmachineinstance ns/vm',
    });
  });

  it('a dropped client drops the node side', async () => {
    const c = await connect('vm', 'vnc', '?preserveSession=true');
    expect(nodeSeen).toEqual(['/v1/namespaces/ns/virtualmachineinstances/vm/vnc?preserveSession=true']);
    c.ws.terminate();
    await until(() => nodeSockets[0]?.readyState === WebSocket.CLOSED, 'the node side to close');
  });

  it('drops a client that stops answering pings', async () => {
    const c = await connect('vm', 'console', '', { autoPong: false });
    const end = await c.closed;
    expect(end.code).toBe(1006);
    await until(() => nodeSockets[0]?.readyState === WebSocket.CLOSED, 'the node side to close');
  });
});

describe('refusals, as KubeVirt words them', () => {
  it('a VMI that does not exist: 404', async () => {
    expect(await refused('ghost', 'console')).toMatchObject({
      status: 404,
      body: {
        kind: 'Status',
        reason: 'NotFound',
        message: 'virtualmachineinstance.kubevirt.io "ghost" not found',
      },
    });
  });

  it('a VMI that does not run: 400 "VMI is not running"; a failed one: 409', async () => {
    expect(await refused('pending', 'console')).toMatchObject({
      status: 400,
      body: { message: 'VMI is not running' },
    });
    expect(await refused('pending', 'vnc')).toMatchObject({
      status: 400,
      body: { message: 'VMI is not running' },
    });
    expect(await refused('failed', 'console')).toMatchObject({
      status: 409,
      body: {
        message:
          'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "failed": VMI is in failed status',
      },
    });
    expect(nodeSeen).toEqual([]);
  });

  it('no serial console / no graphics: 400', async () => {
    expect(await refused('headless', 'console')).toMatchObject({
      status: 400,
      body: { message: 'No serial consoles are present.' },
    });
    expect(await refused('headless', 'vnc')).toMatchObject({
      status: 400,
      body: { message: 'No graphics devices are present.' },
    });
  });

  it("the node's refusal passes through with its Status; an unreachable node is a 500", async () => {
    expect(await refused('refused', 'console')).toMatchObject({
      status: 409,
      body: { message: 'the node says no' },
    });
    expect(await refused('nowhere', 'console')).toMatchObject({
      status: 503,
      body: { message: 'the handler of node n1 publishes no endpoint' },
    });
    nodeUp = false;
    const down = await refused('vm', 'console');
    expect(down.status).toBe(500);
    expect(down.body.message).toMatch(/^cannot reach the handler of the VMI's node at 127\.0\.0\.1:1: /);
  });

  it('a bad history: 400 before anything is dialed', async () => {
    const bad = await refused('vm', 'console', `?history=${MAX_HISTORY_BYTES + 1}`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^history must be a number of bytes from 0 to 65536/);
    expect(nodeSeen).toEqual([]);
  });
});

describe('portforward', () => {
  it("a VMI's and a VM's portforward reach the node's portforward/{port}/{protocol}; many at once", async () => {
    const a = await connect('vm', 'portforward/22');
    const b = await connect('vm', 'vm:portforward/8080/TCP');
    a.ws.send(Buffer.from('ssh'), { binary: true });
    b.ws.send(Buffer.from('http'), { binary: true });
    await until(() => a.messages.length > 0 && b.messages.length > 0, 'echoes');
    expect(a.messages.map(String)).toEqual(['echo:ssh']);
    expect(b.messages.map(String)).toEqual(['echo:http']);
    expect(nodeSeen).toEqual([
      '/v1/namespaces/ns/virtualmachineinstances/vm/portforward/22/tcp',
      '/v1/namespaces/ns/virtualmachineinstances/vm/portforward/8080/tcp',
    ]);
    a.ws.close();
    b.ws.close();
  });

  it('refusals: a paused VMI (409), a VM that does not exist (404) or has no VMI (409), udp, a bad port', async () => {
    const paused = vmi('vm', 'Running');
    paused.status = { ...paused.status, conditions: [{ type: 'Paused', status: 'True' }] };
    vmis.set('vm', paused);
    expect(await refused('vm', 'portforward/22')).toMatchObject({
      status: 409,
      body: {
        message: 'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm": VMI is paused',
      },
    });
    expect(await refused('ghost', 'vm:portforward/22')).toMatchObject({
      status: 404,
      body: { message: 'virtualmachine.kubevirt.io "ghost" not found' },
    });
    expect(await refused('stopped', 'vm:portforward/22')).toMatchObject({
      status: 409,
      body: {
        message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "stopped": VMI is not started',
      },
    });
    expect(await refused('vm', 'portforward/53/udp')).toMatchObject({
      status: 400,
      body: { message: 'port-forward over udp is not supported by virtkit yet; forward a tcp port' },
    });
    expect((await refused('vm', 'portforward/0')).status).toBe(400);
    expect(nodeSeen).toEqual([]);
  });
});

describe('pure parts', () => {
  it('streamProblem follows validateVMIForConsole and validateVMIForVNC', () => {
    expect(streamProblem(vmi('a', 'Running'), 'console')).toBeUndefined();
    expect(streamProblem(vmi('a', 'Running'), 'vnc')).toBeUndefined();
    expect(streamProblem(vmi('a', 'Succeeded'), 'console')?.code).toBe(400);
    expect(streamProblem(vmi('a', 'Failed'), 'vnc')?.code).toBe(400);
    expect(streamProblem(vmi('a', 'Running', { autoattachSerialConsole: false }), 'vnc')).toBeUndefined();
  });

  it('nodeQuery passes on history (console) and preserveSession (vnc) only', () => {
    expect(String(nodeQuery('console', new URLSearchParams('history=010&preserveSession=true')))).toBe(
      'history=10',
    );
    expect(String(nodeQuery('vnc', new URLSearchParams('history=10&preserveSession=true')))).toBe(
      'preserveSession=true',
    );
    expect(nodeQuery('console', new URLSearchParams('history=1e3'))).toHaveProperty('code', 400);
  });

  it('vmiNotFound says what KubeVirt says', () => {
    expect(vmiNotFound('x').status).toMatchObject({
      code: 404,
      reason: 'NotFound',
      details: { name: 'x', group: 'kubevirt.io', kind: 'virtualmachineinstance' },
    });
  });
});
