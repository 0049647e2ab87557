import * as https from 'https';
import type { AddressInfo } from 'net';
import type { TLSSocket } from 'tls';
import { silentLogger } from '../../common/log';
import { HANDLER_ENDPOINT_ANNOTATION } from '../../common/node-api';
import { TestPki } from '../../common/test-pki.test-helper';
import { KubeApiError, NODES, VIRTUAL_MACHINES, type KubeClient, type ResourceType } from '../../kube';
import { nodeConnectionFor, vmiNode } from './node-client';
import { SubresourceError } from './subresource-error';
import type { SubresourceContext, SubresourceRequest } from './types';
import {
  handleVmiAction,
  readVmiActionBody,
  VMI_ACTION_HANDLERS,
  vmiActionRefusal,
  type VmiActionFacts,
} from './vmi-actions';

const running = (extra: VmiActionFacts['status'] = {}, spec?: VmiActionFacts['spec']): VmiActionFacts => ({
  metadata: { name: 'web' },
  ...(spec ? { spec } : {}),
  status: { phase: 'Running', ...extra },
});
const paused = { conditions: [{ type: 'Paused', status: 'True' }] };
const agent = { conditions: [{ type: 'AgentConnected', status: 'True' }] };
const message = (a: { body?: unknown } | undefined): string | undefined =>
  (a?.body as { message?: string } | undefined)?.message;
const conflict = (why: string): string =>
  `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "web": ${why}`;

describe("KubeVirt's checks before a VMI verb reaches the node (pure)", () => {
  it('pause: running, no liveness probe, not paused, not migrating', () => {
    expect(vmiActionRefusal('pause', running())).toBeUndefined();
    expect(
      message(vmiActionRefusal('pause', { metadata: { name: 'web' }, status: { phase: 'Scheduled' } })),
    ).toBe(conflict('VM is not running'));
    const probe = vmiActionRefusal('pause', running({}, { livenessProbe: { tcpSocket: { port: 22 } } }));
    expect(probe?.status).toBe(403);
    expect(message(probe)).toBe(
      'virtualmachineinstance.kubevirt.io "web" is forbidden: Pausing VMIs with LivenessProbe is currently not supported',
    );
    expect(message(vmiActionRefusal('pause', running(paused)))).toBe(conflict('VMI is already paused'));
    expect(message(vmiActionRefusal('pause', running({ migrationState: { completed: false } })))).toBe(
      conflict("Cannot pause VM 'web' because it is currently being migrated"),
    );
    expect(vmiActionRefusal('pause', running({ migrationState: { completed: true } }))).toBeUndefined();
  });

  it('unpause: running and paused (any Paused condition, as KubeVirt looks)', () => {
    expect(vmiActionRefusal('unpause', running(paused))).toBeUndefined();
    expect(message(vmiActionRefusal('unpause', running()))).toBe(conflict('VMI is not paused'));
    expect(message(vmiActionRefusal('unpause', { metadata: { name: 'web' } }))).toBe(
      conflict('VMI is not running'),
    );
  });

  it('softreboot: running, not paused, an agent or ACPI', () => {
    expect(vmiActionRefusal('softreboot', running())).toBeUndefined();
    expect(message(vmiActionRefusal('softreboot', running(paused)))).toBe(conflict('VMI is paused'));
    const noAcpi = { domain: { features: { acpi: { enabled: false } } } };
    expect(message(vmiActionRefusal('softreboot', running({}, noAcpi)))).toBe(
      conflict('VMI neither have the agent connected nor the ACPI feature enabled'),
    );
    expect(vmiActionRefusal('softreboot', running(agent, noAcpi))).toBeUndefined();
  });

  it('guest agent verbs: running with AgentConnected; freeze and unfreeze only running; reset nothing', () => {
    for (const verb of ['guestosinfo', 'userlist', 'filesystemlist'] as const) {
      expect(vmiActionRefusal(verb, running(agent))).toBeUndefined();
      expect(message(vmiActionRefusal(verb, running()))).toBe(
        conflict('VMI does not have guest agent connected'),
      );
      expect(message(vmiActionRefusal(verb, { metadata: { name: 'web' } }))).toBe(
        conflict('VMI is not running'),
      );
    }
    expect(message(vmiActionRefusal('freeze', { metadata: { name: 'web' } }))).toBe(
      conflict('VM is not running'),
    );
    expect(message(vmiActionRefusal('unfreeze', { metadata: { name: 'web' } }))).toBe(
      conflict('VMI is not running'),
    );
    expect(vmiActionRefusal('reset', { metadata: { name: 'web' } })).toBeUndefined();
  });

  it('reads PauseOptions and the freeze timeout', () => {
    expect(readVmiActionBody('pause', undefined)).toEqual({ dryRun: false });
    expect(readVmiActionBody('unpause', { dryRun: ['All'] })).toEqual({ dryRun: true });
    expect(readVmiActionBody('pause', { dryRun: ['Some'] })).toMatchObject({ refusal: { status: 400 } });
    expect(readVmiActionBody('freeze', { unfreezeTimeout: '5m0s' })).toEqual({
      dryRun: false,
      forward: { unfreezeTimeout: '300s' },
    });
    expect(message((readVmiActionBody('freeze', undefined) as { refusal: unknown }).refusal as never)).toBe(
      'failed to retrieve unfreeze timeout',
    );
    expect(
      message(
        (readVmiActionBody('freeze', { unfreezeTimeout: 'soon' }) as { refusal: unknown }).refusal as never,
      ),
    ).toBe('failed to unmarshal unfreeze timeout');
  });

  it('finds the node of a VMI that runs or is scheduled', () => {
    expect(vmiNode({ metadata: { name: 'web' }, status: { phase: 'Scheduled', nodeName: 'n1' } })).toEqual({
      nodeName: 'n1',
    });
    expect(
      message(
        (vmiNode({ metadata: { name: 'web' }, status: { phase: 'Pending' } }) as { refusal: never }).refusal,
      ),
    ).toBe(
      conflict(
        'Unable to connect to VirtualMachineInstance because phase is Pending instead of Running or Scheduled',
      ),
    );
    expect(
      message(
        (vmiNode({ metadata: { name: 'web' }, status: { phase: 'Running' } }) as { refusal: never }).refusal,
      ),
    ).toBe(conflict('VMI is not assigned to a node yet'));
  });

  it('serves every verb of the catalog that acts on the guest', () => {
    expect(Object.keys(VMI_ACTION_HANDLERS).sort()).toEqual(
      [
        'filesystemlist',
        'freeze',
        'guestosinfo',
        'pause',
        'reset',
        'softreboot',
        'unfreeze',
        'unpause',
        'userlist',
      ].map((v) => `virtualmachineinstances/${v}`),
    );
  });
});

describe('through a node handler (a fake one, with mutual TLS)', () => {
  const pki = new TestPki();
  let handler: https.Server;
  let port = 0;
  const seen: { method: string; path: string; body: string; client?: string }[] = [];
  let answer: { status: number; body?: unknown } = { status: 202 };

  beforeAll(async () => {
    pki.ca('ca');
    pki.leaf('handler', 'virtkit-handler', 'ca', {
      sans: ['DNS:virtkit-handler', 'DNS:localhost', 'IP:127.0.0.1'],
    });
    // Another certificate of the same CA, valid for 127.0.0.1 (like the API server's).
    pki.leaf('apiserver', 'kube-apiserver', 'ca', { sans: ['IP:127.0.0.1'] });
    pki.leaf('api', 'virtkit-api-node-client', 'ca');
    handler = https.createServer(
      {
        cert: pki.read('handler', 'crt'),
        key: pki.read('handler', 'key'),
        ca: pki.read('ca', 'crt'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          seen.push({
            method: req.method ?? '',
            path: req.url ?? '',
            body,
            client: String(peer.subject?.CN),
          });
          const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
          res.writeHead(answer.status, text ? { 'content-type': 'application/json' } : {});
          res.end(text);
        });
      },
    );
    await new Promise<void>((r) => handler.listen(0, '127.0.0.1', () => r()));
    port = (handler.address() as AddressInfo).port;
  });

  afterAll(async () => {
    handler.closeAllConnections();
    await new Promise<void>((r) => handler.close(() => r()));
    pki.remove();
  });

  const vmi = (status: Record<string, unknown>) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'ns', uid: 'u1' },
    spec: { domain: { devices: {} } },
    status,
  });

  function context(
    objects: { vmi?: unknown; vm?: unknown; node?: unknown },
    creds = true,
  ): SubresourceContext {
    const get = (rt: ResourceType, _ns: string | undefined, name: string) => {
      const obj = rt === NODES ? objects.node : rt === VIRTUAL_MACHINES ? objects.vm : objects.vmi;
      return obj
        ? Promise.resolve(structuredClone(obj))
        : Promise.reject(
            new KubeApiError('GET', `/x/${name}`, 404, 'NotFound', `${rt.plural} "${name}" not found`),
          );
    };
    return {
      client: { get } as unknown as KubeClient,
      log: silentLogger(),
      ...(creds
        ? { node: { ca: pki.read('ca', 'crt'), cert: pki.read('api', 'crt'), key: pki.read('api', 'key') } }
        : {}),
    };
  }

  const node = (endpoint?: string) => ({
    metadata: {
      name: 'n1',
      ...(endpoint ? { annotations: { [HANDLER_ENDPOINT_ANNOTATION]: endpoint } } : {}),
    },
  });

  function request(subresource: string, body?: unknown, method = 'PUT'): SubresourceRequest {
    return {
      method,
      namespace: 'ns',
      resource: 'virtualmachineinstances',
      name: 'web',
      subresource,
      rest: [],
      query: new URLSearchParams(),
      body,
      user: { name: 'alice', groups: [], extra: {} },
    };
  }

  async function failure(p: Promise<unknown>): Promise<{ status: number; message?: string }> {
    try {
      const a = (await p) as { status: number; body?: unknown };
      return { status: a.status, message: message(a) };
    } catch (err) {
      if (err instanceof SubresourceError) return { status: err.answer.status, message: message(err.answer) };
      throw err;
    }
  }

  it("pause goes to the handler of the VMI's node with the api's certificate; the answer is 200 with no body", async () => {
    answer = { status: 202 };
    seen.length = 0;
    const ctx = context({
      vmi: vmi({ phase: 'Running', nodeName: 'n1' }),
      node: node(`https://127.0.0.1:${port}`),
    });
    expect(await handleVmiAction('pause', request('pause'), ctx)).toEqual({ status: 200 });
    expect(seen).toEqual([
      {
        method: 'PUT',
        path: '/v1/namespaces/ns/virtualmachineinstances/web/pause',
        body: '',
        client: 'virtkit-api-node-client',
      },
    ]);
    // A dry run stops after the checks.
    expect(await handleVmiAction('pause', request('pause', { dryRun: ['All'] }), ctx)).toEqual({
      status: 200,
    });
    expect(seen).toHaveLength(1);
    // freeze sends the timeout on as a duration.
    await handleVmiAction('freeze', request('freeze', { unfreezeTimeout: '1m' }), ctx);
    expect(seen[1]).toMatchObject({
      path: '/v1/namespaces/ns/virtualmachineinstances/web/freeze',
      body: '{"unfreezeTimeout":"60s"}',
    });
  });

  it("guestosinfo answers the handler's body", async () => {
    answer = { status: 200, body: { hostname: 'guest', os: { id: 'testos' } } };
    const ctx = context({
      vmi: vmi({
        phase: 'Running',
        nodeName: 'n1',
        conditions: [{ type: 'AgentConnected', status: 'True' }],
      }),
      node: node(`https://127.0.0.1:${port}`),
    });
    expect(await handleVmiAction('guestosinfo', request('guestosinfo', undefined, 'GET'), ctx)).toEqual({
      status: 200,
      body: { hostname: 'guest', os: { id: 'testos' } },
    });
  });

  it("a handler's refusal is virt-api's 500; reset rewords it for a VMI that is not running", async () => {
    answer = { status: 409, body: { kind: 'Status', code: 409, message: 'the domain is Shutoff' } };
    const ctx = context({
      vmi: vmi({ phase: 'Running', nodeName: 'n1' }),
      node: node(`https://127.0.0.1:${port}`),
    });
    expect(await failure(handleVmiAction('softreboot', request('softreboot'), ctx))).toEqual({
      status: 500,
      message: 'Internal error occurred: the domain is Shutoff',
    });
    const scheduled = context({
      vmi: vmi({ phase: 'Scheduled', nodeName: 'n1' }),
      node: node(`https://127.0.0.1:${port}`),
    });
    expect(await failure(handleVmiAction('reset', request('reset'), scheduled))).toEqual({
      status: 500,
      message:
        'Internal error occurred: Failed to reset non-running VMI with phase Scheduled: the domain is Shutoff',
    });
    const pending = context({ vmi: vmi({ phase: 'Pending' }) });
    expect(await failure(handleVmiAction('reset', request('reset'), pending))).toEqual({
      status: 409,
      message: `Failed to reset non-running VMI with phase Pending: ${conflict(
        'Unable to connect to VirtualMachineInstance because phase is Pending instead of Running or Scheduled',
      )}`,
    });
  });

  it('unpause is refused while its VM has a snapshot in progress', async () => {
    const ctx = context({
      vmi: vmi({ phase: 'Running', nodeName: 'n1', conditions: [{ type: 'Paused', status: 'True' }] }),
      vm: { metadata: { name: 'web' }, status: { snapshotInProgress: 'snap-1' } },
      node: node(`https://127.0.0.1:${port}`),
    });
    expect(await failure(handleVmiAction('unpause', request('unpause'), ctx))).toEqual({
      status: 409,
      message:
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM snapshot is in progress',
    });
  });

  it('answers 404 for a missing VMI and 503 when the node cannot be reached', async () => {
    expect(await failure(handleVmiAction('pause', request('pause'), context({})))).toEqual({
      status: 404,
      message: 'virtualmachineinstance.kubevirt.io "web" not found',
    });
    const running = vmi({ phase: 'Running', nodeName: 'n1' });
    expect(
      await failure(nodeConnectionFor('ns', 'web', context({ vmi: running, node: node() }))),
    ).toMatchObject({
      status: 503,
      message: expect.stringContaining('publishes no endpoint (annotation virtkit.io/handler-endpoint)'),
    });
    expect(await failure(nodeConnectionFor('ns', 'web', context({ vmi: running })))).toMatchObject({
      status: 503,
      message: 'the node n1 of virtualmachineinstance "web" does not exist',
    });
    expect(
      await failure(
        nodeConnectionFor('ns', 'web', context({ vmi: running, node: node('http://127.0.0.1:1') })),
      ),
    ).toMatchObject({ status: 503, message: expect.stringContaining('is not an https URL') });
    expect(
      await failure(
        nodeConnectionFor(
          'ns',
          'web',
          context({ vmi: running, node: node(`https://127.0.0.1:${port}`) }, false),
        ),
      ),
    ).toMatchObject({ status: 503, message: expect.stringContaining('--node-client-cert-file') });
  });

  it('does not take another certificate of the same CA for a handler', async () => {
    const other = https.createServer(
      { cert: pki.read('apiserver', 'crt'), key: pki.read('apiserver', 'key') },
      (_q, r) => r.end('{}'),
    );
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    try {
      const otherPort = (other.address() as AddressInfo).port;
      const ctx = context({
        vmi: vmi({ phase: 'Running', nodeName: 'n1' }),
        node: node(`https://127.0.0.1:${otherPort}`),
      });
      expect(await failure(handleVmiAction('pause', request('pause'), ctx))).toMatchObject({
        status: 503,
        message: expect.stringMatching(
          /cannot reach the node handler at 127\.0\.0\.1:\d+: .*virtkit-handler/,
        ),
      });
    } finally {
      other.closeAllConnections();
      await new Promise<void>((r) => other.close(() => r()));
    }
  });
});
