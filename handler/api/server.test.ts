import * as https from 'https';
import { silentLogger } from '../../common/log';
import { nodeVmiPath } from '../../common/node-api';
import { TestPki } from '../../common/test-pki.test-helper';
import { LauncherApiError } from '../../launcher/api/client';
import type { ActionLauncher } from './actions';
import { routeNodeRequest, startNodeApiServer, type RunningNodeApi } from './server';
import type { NodeVmiLocation } from './types';

describe('routing (pure)', () => {
  it('names an action on a VMI, with its method', () => {
    expect(routeNodeRequest('PUT', nodeVmiPath('ns', 'web', 'pause'))).toEqual({
      kind: 'action',
      namespace: 'ns',
      name: 'web',
      action: 'pause',
    });
    expect(
      routeNodeRequest('GET', '/v1/namespaces/ns/virtualmachineinstances/web/guestosinfo'),
    ).toMatchObject({
      kind: 'action',
      action: 'guestosinfo',
    });
  });

  it('refuses unknown paths (404) and the wrong method (405, with Allow)', () => {
    for (const p of [
      '/v1/namespaces/ns/virtualmachineinstances/web/fly',
      '/v1/namespaces/ns/virtualmachines/web/pause',
      nodeVmiPath('ns', 'web', 'pause').replace('/v1/', '/v2/'),
      '/v1/namespaces/ns/virtualmachineinstances/web/pause/extra',
      '/healthz',
    ])
      expect(routeNodeRequest('PUT', p)).toMatchObject({ kind: 'answer', answer: { status: 404 } });
    expect(routeNodeRequest('GET', nodeVmiPath('ns', 'web', 'pause'))).toMatchObject({
      kind: 'answer',
      answer: { status: 405, body: { message: 'pause takes PUT, not GET' } },
      allow: 'PUT',
    });
  });
});

describe('the node API over mutual TLS', () => {
  const pki = new TestPki();
  let server: RunningNodeApi;
  const calls: string[] = [];
  const events: string[] = [];
  const locations: Record<string, NodeVmiLocation> = {};

  const fakeLauncher = (socket: string): ActionLauncher => ({
    pause: async () => {
      calls.push(`pause ${socket}`);
      return { ok: true };
    },
    unpause: async () => {
      throw new LauncherApiError(
        socket,
        '/v1/unpause',
        409,
        'DomainNotRunningError',
        'the domain is Shutoff',
      );
    },
    softReboot: async () => {
      calls.push(`softReboot ${socket}`);
      return { ok: true };
    },
    reset: async () => ({ ok: true }),
    freeze: async (seconds: number) => {
      calls.push(`freeze ${seconds}`);
      return { ok: true };
    },
    unfreeze: async () => ({ ok: true }),
    guestAgentInfo: async () => ({ hostname: 'guest', fsFreezeStatus: 'thawed' }),
    guestUsers: async () => [{ userName: 'root' }],
    guestFilesystems: async () => [],
  });

  beforeAll(async () => {
    pki.ca('ca').ca('other-ca');
    pki.leaf('serving', 'virtkit-handler', 'ca', { sans: ['DNS:virtkit-handler', 'IP:127.0.0.1'] });
    pki.leaf('api', 'virtkit-api-node-client', 'ca');
    pki.leaf('admin', 'virtkit-admin', 'ca');
    pki.leaf('impostor', 'virtkit-api-node-client', 'other-ca');
    locations['ns/web'] = {
      kind: 'ready',
      socket: '/run/web.sock',
      vmi: {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: { name: 'web', namespace: 'ns' },
      },
    };
    locations['ns/booting'] = { kind: 'not-ready', why: 'its launcher is still starting' };
    server = await startNodeApiServer({
      tls: {
        certFile: pki.file('serving', 'crt'),
        keyFile: pki.file('serving', 'key'),
        clientCaFile: pki.file('ca', 'crt'),
      },
      allowedClients: ['virtkit-api-node-client'],
      host: '127.0.0.1',
      port: 0,
      nodeName: 'node-1',
      locator: { locate: (ns, name) => locations[`${ns}/${name}`] ?? { kind: 'absent' } },
      log: silentLogger(),
      recorder: {
        record: async (target, ev) => {
          events.push(`${target.metadata?.name} ${ev.reason}: ${ev.message}`);
        },
      },
      launcher: fakeLauncher,
    });
  });

  afterAll(async () => {
    await server?.close();
    pki.remove();
  });

  function call(
    method: string,
    path: string,
    o: { as?: string; body?: unknown; upgrade?: boolean } = {},
  ): Promise<{ status: number; body: unknown }> {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method,
          path,
          ca: pki.read('ca', 'crt'),
          servername: 'virtkit-handler',
          agent: false,
          ...(o.as ? { cert: pki.read(o.as, 'crt'), key: pki.read(o.as, 'key') } : {}),
          headers: {
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
            ...(o.upgrade ? { connection: 'Upgrade', upgrade: 'websocket' } : {}),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
          );
        },
      );
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body: undefined });
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  it('performs an action for the api, through the launcher of the VMI on this node', async () => {
    expect(await call('PUT', nodeVmiPath('ns', 'web', 'pause'), { as: 'api' })).toEqual({
      status: 202,
      body: undefined,
    });
    expect(calls).toContain('pause /run/web.sock');
    expect(await call('GET', nodeVmiPath('ns', 'web', 'userlist'), { as: 'api' })).toEqual({
      status: 200,
      body: { metadata: {}, items: [{ userName: 'root' }] },
    });
    expect(
      await call('PUT', nodeVmiPath('ns', 'web', 'freeze'), {
        as: 'api',
        body: { unfreezeTimeout: '1m30s' },
      }),
    ).toMatchObject({ status: 202 });
    expect(calls).toContain('freeze 90');
  });

  it("records KubeVirt's Event for a soft reboot", async () => {
    await call('PUT', nodeVmiPath('ns', 'web', 'softreboot'), { as: 'api' });
    expect(events).toContain('web SoftRebooted: VirtualMachineInstance soft rebooted');
  });

  it('refuses callers without the api certificate before anything else (401, 403)', async () => {
    const n = calls.length;
    const none = await call('PUT', nodeVmiPath('ns', 'web', 'pause'));
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({
      kind: 'Status',
      code: 401,
      message: expect.stringContaining('no client certificate'),
    });
    expect((await call('PUT', nodeVmiPath('ns', 'web', 'pause'), { as: 'impostor' })).status).toBe(401);
    const admin = await call('PUT', nodeVmiPath('ns', 'web', 'pause'), { as: 'admin' });
    expect(admin).toMatchObject({ status: 403, body: { reason: 'Forbidden' } });
    // Unknown paths are not even told apart from known ones.
    expect((await call('GET', '/nothing')).status).toBe(401);
    // Websocket upgrades are checked the same way.
    expect((await call('GET', nodeVmiPath('ns', 'web', 'console'), { upgrade: true })).status).toBe(401);
    expect(calls.length).toBe(n);
  });

  it('answers for VMIs that are not here or not ready, bad bodies and launcher refusals', async () => {
    expect(await call('PUT', nodeVmiPath('ns', 'elsewhere', 'pause'), { as: 'api' })).toMatchObject({
      status: 404,
      body: { message: 'virtualmachineinstance ns/elsewhere does not run on node node-1' },
    });
    expect(await call('PUT', nodeVmiPath('ns', 'booting', 'pause'), { as: 'api' })).toMatchObject({
      status: 409,
      body: { message: 'virtualmachineinstance ns/booting: its launcher is still starting' },
    });
    expect(await call('PUT', nodeVmiPath('ns', 'web', 'freeze'), { as: 'api', body: {} })).toMatchObject({
      status: 400,
      body: { message: 'Unfreeze timeout in freeze request is not set' },
    });
    expect(await call('PUT', nodeVmiPath('ns', 'web', 'unpause'), { as: 'api' })).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining('the domain is Shutoff') },
    });
    expect(await call('POST', nodeVmiPath('ns', 'web', 'pause'), { as: 'api' })).toMatchObject({
      status: 405,
    });
  });
});
