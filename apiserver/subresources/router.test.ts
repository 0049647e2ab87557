import * as http from 'http';
import type { AddressInfo } from 'net';
import { silentLogger } from '../../common/log';
import { KubeApiError, type KubeClient } from '../../kube';
import {
  groupPath,
  groupVersionPath,
  groupVersionSubPath,
  objectPath,
  SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES,
  SUBRESOURCE_VIRTUAL_MACHINES,
  SUBRESOURCES_API_VERSION,
  SUBRESOURCES_GROUP,
} from '../../kube/resources';
import { SUBRESOURCE_CATALOG } from './catalog';
import type { SubresourceHandlers } from './handlers';
import { route, SubresourceRouter } from './router';
import type { SubresourceRequest } from './types';

const USER = { name: 'alice', groups: ['devs', 'system:authenticated'], extra: {} };
const VM = (ns: string, name: string, sub: string): string =>
  objectPath(SUBRESOURCE_VIRTUAL_MACHINES, ns, name, sub);
const VMI = (ns: string, name: string, sub: string): string =>
  objectPath(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, ns, name, sub);
const GV = groupVersionPath(SUBRESOURCES_API_VERSION);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

let server: http.Server;
let base: string;
let seen: SubresourceRequest[] = [];
let apiserverUp = true;

const handlers: SubresourceHandlers = {
  'virtualmachineinstances/vnc/screenshot': async (req) => {
    seen.push(req);
    return { status: 200, body: { got: req.subresource } };
  },
  'virtualmachines/stop': async (req) => {
    seen.push(req);
    return { status: 202 };
  },
  'expand-vm-spec': async (req) => {
    seen.push(req);
    return { status: 200, body: req.body };
  },
  'virtualmachines/restart': async () => {
    throw new KubeApiError('GET', '/x', 404, 'NotFound', 'virtualmachines.kubevirt.io "gone" not found');
  },
  'virtualmachines/migrate': async () => {
    throw new Error('boom');
  },
};

beforeAll(async () => {
  const client = {
    getPath: async () => {
      if (!apiserverUp) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      return { gitVersion: 'v1.35.4' };
    },
  } as unknown as KubeClient;
  const router = new SubresourceRouter({
    // Stands in for request-header authentication (request-header.test.ts): a test header says who.
    authenticate: (req) =>
      req.headers['x-test-user'] ? { ok: true, user: USER } : { ok: false, reason: 'no client certificate' },
    context: { client, log: silentLogger() },
    handlers,
    version: () => ({
      gitVersion: 'v0.1.0',
      gitCommit: '',
      gitTreeState: '',
      buildDate: '',
      goVersion: 'node20',
      compiler: 'node',
      platform: 'linux/amd64',
    }),
    maxBodyBytes: 1024,
    // No VMI exists: a stream upgrade that gets past the router is answered by streams.ts.
    streams: { fetchVmi: async () => undefined, fetchVm: async () => undefined },
  });
  server = http.createServer((req, res) => void router.handle(req, res));
  server.on('upgrade', (req, socket, head) => router.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen = [];
  apiserverUp = true;
});

function call(
  method: string,
  path: string,
  opts: { body?: string; user?: boolean; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        headers: { ...(opts.user === false ? {} : { 'x-test-user': 'yes' }), ...(opts.headers ?? {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('discovery', () => {
  test('the group list, the group and its version, like kube-apiserver documents', async () => {
    const list = await call('GET', '/apis');
    // The same server also answers CDI's upload.cdi.kubevirt.io (apiserver/upload/token-api.ts).
    expect(list.body).toMatchObject({
      kind: 'APIGroupList',
      groups: [{ name: 'subresources.kubevirt.io' }, { name: 'upload.cdi.kubevirt.io' }],
    });
    const group = await call('GET', groupPath(SUBRESOURCES_GROUP));
    expect(group.status).toBe(200);
    expect(group.body).toEqual({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: 'subresources.kubevirt.io',
      versions: [{ groupVersion: 'subresources.kubevirt.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'subresources.kubevirt.io/v1', version: 'v1' },
    });
  });

  test("the resource list is KubeVirt's, each with the verb its route takes", async () => {
    const r = await call('GET', GV);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'subresources.kubevirt.io/v1' });
    const resources = r.body.resources as {
      name: string;
      verbs: string[];
      namespaced: boolean;
      kind: string;
    }[];
    const byName = new Map(resources.map((x) => [x.name, x]));
    expect(resources).toHaveLength(SUBRESOURCE_CATALOG.length);
    for (const name of [
      'virtualmachines/start',
      'virtualmachines/stop',
      'virtualmachines/restart',
      'virtualmachines/migrate',
      'virtualmachineinstances/pause',
      'virtualmachineinstances/softreboot',
      'virtualmachineinstances/reset',
      'expand-vm-spec',
    ])
      expect(byName.get(name)?.verbs).toEqual(['update']);
    for (const name of [
      'virtualmachineinstances/console',
      'virtualmachineinstances/vnc',
      'virtualmachineinstances/vnc/screenshot',
      'virtualmachineinstances/portforward',
      'virtualmachineinstances/guestosinfo',
      'virtualmachines/expand-spec',
      'virtualmachines/portforward',
    ])
      expect(byName.get(name)?.verbs).toEqual(['get']);
    expect(byName.get('virtualmachines/start')).toMatchObject({ namespaced: true, kind: 'VirtualMachine' });
    expect(byName.get('virtualmachineinstances/pause')).toMatchObject({ kind: 'VirtualMachineInstance' });
  });

  test('version and healthz', async () => {
    const v = await call('GET', groupVersionSubPath(SUBRESOURCES_API_VERSION, 'version'));
    expect(v.body).toMatchObject({ gitVersion: 'v0.1.0', platform: 'linux/amd64', compiler: 'node' });
    const h = await call('GET', groupVersionSubPath(SUBRESOURCES_API_VERSION, 'healthz'));
    expect(h).toMatchObject({
      status: 200,
      body: { apiserver: { connectivity: 'ok', version: { gitVersion: 'v1.35.4' } } },
    });
    apiserverUp = false;
    const down = await call('GET', groupVersionSubPath(SUBRESOURCES_API_VERSION, 'healthz'));
    expect(down).toMatchObject({
      status: 500,
      body: { apiserver: { connectivity: 'failed', error: 'connect ECONNREFUSED 127.0.0.1:6443' } },
    });
  });
});

describe('authentication comes first', () => {
  test('every path under /apis answers 401 without it, as a Status', async () => {
    for (const p of ['/apis', GV, VM('default', 'web', 'start'), groupPath('nonsense')])
      expect(await call('PUT', p, { user: false })).toMatchObject({
        status: 401,
        body: { kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 },
      });
    const r = await call('GET', GV, { user: false });
    expect(r.body.message).toBe('Unauthorized: no client certificate');
  });
});

describe('paths and methods', () => {
  test('a verb without a handler answers 501 "not supported by virtkit yet"', async () => {
    const r = await call('PUT', VM('default', 'web', 'start'), { body: '{}' });
    expect(r.status).toBe(501);
    expect(r.body).toMatchObject({
      kind: 'Status',
      reason: 'NotImplemented',
      message: 'virtualmachines/start is not supported by virtkit yet',
    });
  });

  test('unknown paths answer 404, wrong methods 405 with Allow', async () => {
    for (const p of [
      VM('default', 'web', 'bogus'),
      VMI('default', 'web', 'vnc/bogus'),
      VMI('default', 'web', 'portforward'),
      VMI('default', 'web', 'portforward/22/tcp/more'),
      VM('default', 'web', ''),
      groupPath('other.kubevirt.io'),
      groupVersionPath('subresources.kubevirt.io/v2'),
      groupVersionSubPath(SUBRESOURCES_API_VERSION, 'namespaces/default/pods/x/exec'),
      groupVersionSubPath(SUBRESOURCES_API_VERSION, 'namespaces//virtualmachines/web/start'),
    ]) {
      const r = await call('GET', p);
      expect([p, r.status, r.body.reason]).toEqual([p, 404, 'NotFound']);
    }
    const wrong = await call('GET', VM('default', 'web', 'start'));
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('PUT');
    expect(wrong.body.message).toMatch(
      /^GET is not allowed on .*\/virtualmachines\/web\/start; it takes PUT$/,
    );
    expect((await call('POST', GV)).status).toBe(405);
    expect((await call('PUT', VMI('default', 'web', 'guestosinfo'))).headers.allow).toBe('GET');
  });

  test('names that cannot be Kubernetes names answer 400 naming the rule', async () => {
    const ns = await call('PUT', VM('Bad_NS', 'web', 'stop'));
    expect(ns.status).toBe(400);
    expect(ns.body.message).toMatch(/^namespace "Bad_NS" is not valid: must be a lowercase RFC 1123 label/);
    const name = await call('PUT', VM('default', 'Web!', 'stop'));
    expect(name.status).toBe(400);
    expect(name.body.message).toMatch(
      /^virtualmachines name "Web!" is not valid: must be a lowercase RFC 1123 subdomain/,
    );
    expect(seen).toEqual([]);
  });

  test('the pure route: portforward takes a port and an optional protocol', () => {
    const r = route('GET', VMI('ns', 'vmi', 'portforward/22/tcp'));
    expect(r).toMatchObject({ kind: 'subresource', subresource: 'portforward', rest: ['22', 'tcp'] });
    expect(route('GET', VM('ns', 'vm', 'portforward/8080'))).toMatchObject({
      resource: 'virtualmachines',
      rest: ['8080'],
    });
  });
});

describe('dispatch', () => {
  test('the handler gets the names, the subresource, the query, the user and the JSON body', async () => {
    const r = await call('PUT', `${VM('team-a', 'web', 'stop')}?dryRun=All`, {
      body: JSON.stringify({ gracePeriod: 0 }),
    });
    expect(r.status).toBe(202);
    expect(seen).toHaveLength(1);
    const req = seen[0];
    expect(req).toMatchObject({
      method: 'PUT',
      namespace: 'team-a',
      resource: 'virtualmachines',
      name: 'web',
      subresource: 'stop',
      rest: [],
      body: { gracePeriod: 0 },
      user: USER,
    });
    expect(req.query.get('dryRun')).toBe('All');
  });

  test('an empty body is undefined; a two-segment subresource is one', async () => {
    const r = await call('GET', VMI('ns', 'vmi', 'vnc/screenshot'));
    expect(r.body).toEqual({ got: 'vnc/screenshot' });
    expect(seen[0].body).toBeUndefined();
  });

  test('namespaces/{ns}/expand-vm-spec takes the VM in the body', async () => {
    const vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'x' } };
    const r = await call(
      'PUT',
      groupVersionSubPath(SUBRESOURCES_API_VERSION, 'namespaces/ns/expand-vm-spec'),
      {
        body: JSON.stringify(vm),
      },
    );
    expect(r.body).toEqual(vm);
    expect(seen[0]).toMatchObject({ namespace: 'ns', name: '', subresource: 'expand-vm-spec' });
  });

  test('bad JSON answers 400, a body over the limit 413, and the handler never runs', async () => {
    const bad = await call('PUT', VM('ns', 'web', 'stop'), { body: '{"gracePeriod":' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^the request body is not JSON: /);
    const big = await call('PUT', VM('ns', 'web', 'stop'), { body: JSON.stringify({ x: 'y'.repeat(2000) }) });
    expect(big).toMatchObject({ status: 413, body: { reason: 'RequestEntityTooLarge' } });
    expect(seen).toEqual([]);
  });

  test("a handler's failure: the API server's 4xx pass through, anything else is a 500", async () => {
    const gone = await call('PUT', VM('ns', 'gone', 'restart'));
    expect(gone).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'virtualmachines.kubevirt.io "gone" not found' },
    });
    const boom = await call('PUT', VM('ns', 'web', 'migrate'));
    expect(boom).toMatchObject({
      status: 500,
      body: { reason: 'InternalError', message: 'internal error: boom' },
    });
  });

  test('streams: console, vnc and portforward take only websocket upgrades, the other streams answer 501', async () => {
    const plain = await call('GET', VMI('ns', 'vmi', 'console'));
    expect(plain).toMatchObject({ status: 400, body: { reason: 'BadRequest' } });
    expect(plain.body.message).toMatch(/is a websocket stream/);
    expect((await call('GET', VMI('ns', 'vmi', 'portforward/22'))).body.message).toMatch(
      /is a websocket stream/,
    );
    expect((await call('GET', VMI('ns', 'vmi', 'usbredir'))).status).toBe(501);
    const upgrade = (path: string, user: boolean): Promise<Reply> =>
      new Promise((resolve, reject) => {
        const req = http.request(`${base}${path}`, {
          headers: {
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Protocol': 'plain.kubevirt.io',
            ...(user ? { 'x-test-user': 'yes' } : {}),
          },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
          );
        });
        req.on('upgrade', () => reject(new Error('upgraded')));
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade(VMI('ns', 'vmi', 'console'), false)).toMatchObject({ status: 401 });
    expect(await upgrade(VMI('ns', 'vmi', 'console'), true)).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'virtualmachineinstance.kubevirt.io "vmi" not found' },
    });
    expect((await upgrade(VMI('ns', 'vmi', 'vnc'), true)).status).toBe(404);
    expect(await upgrade(VMI('ns', 'vmi', 'portforward/22'), true)).toMatchObject({
      status: 404,
      body: { message: 'virtualmachineinstance.kubevirt.io "vmi" not found' },
    });
    expect(await upgrade(VM('ns', 'vm', 'portforward/22/tcp'), true)).toMatchObject({
      status: 404,
      body: { message: 'virtualmachine.kubevirt.io "vm" not found' },
    });
    expect(await upgrade(VMI('ns', 'vmi', 'portforward/70000'), true)).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/port as a number from 1 to 65535.*"70000"/) },
    });
    expect(await upgrade(VMI('ns', 'vmi', 'portforward/53/udp'), true)).toMatchObject({
      status: 400,
      body: { message: 'port-forward over udp is not supported by virtkit yet; forward a tcp port' },
    });
    expect((await upgrade(VMI('ns', 'vmi', 'usbredir'), true)).status).toBe(501);
  });
});
