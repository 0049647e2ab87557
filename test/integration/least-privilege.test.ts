/**
 * Least privilege in local mode, on the real control plane: etcd refuses a client without a
 * certificate, the API server refuses anonymous requests (except health endpoints), and the
 * controller's, handler's, api's and whereabouts' own identities may do what their code does and
 * nothing else.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { layout } from '../../cli/local/layout';
import { installRbac } from '../../cli/local/rbac';
import {
  CLUSTER_ROLES,
  CONFIG_MAPS,
  KubeApiError,
  KubeClient,
  KUBEVIRTS,
  LEASES,
  NODES,
  PODS,
  PVCS,
  SECRETS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  type ResourceType,
} from '../../kube';
import { componentKubeconfig } from '../../cli/local/layout';
import { sharedClient } from './support/api';
import { readShared } from './support/shared-controlplane';

function get(url: string, ca?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, rejectUnauthorized: ca !== undefined }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

async function forbidden(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403) return err.message;
    throw err;
  }
  throw new Error('allowed, but the role should not grant it');
}

const l = () => layout(readShared().stateDir);
const ca = () => fs.readFileSync(`${l().pkiDir}/ca.crt`);

beforeAll(async () => {
  await installRbac(await sharedClient());
});

test('etcd refuses a client without a certificate', async () => {
  const state = JSON.parse(fs.readFileSync(l().stateFile, 'utf8')) as { ports: { etcd: number } };
  await expect(get(`https://127.0.0.1:${state.ports.etcd}/v3/kv/range`, ca())).rejects.toThrow(
    /certificate|handshake|socket hang up|ECONNRESET/i,
  );
  // And plain HTTP is not served at all: etcd answers it with a TLS record, not with /health.
  const plain = await new Promise<number | string>((resolve) =>
    http
      .get(`http://127.0.0.1:${state.ports.etcd}/health`, (r) => resolve(r.statusCode ?? 0))
      .on('error', (e) => resolve(e.message)),
  );
  expect(plain).not.toBe(200);
});

test('the API server refuses anonymous requests but answers health probes', async () => {
  const server = readShared().server;
  expect((await get(`${server}/api/v1/namespaces`, ca())).status).toBe(401);
  expect((await get(`${server}/apis`, ca())).status).toBe(401);
  const ready = await get(`${server}/readyz`, ca());
  expect(ready).toEqual({ status: 200, body: 'ok' });
});

describe("each component's identity", () => {
  const as = (component: string): KubeClient =>
    KubeClient.connect({ kubeconfig: componentKubeconfig(l(), component), fieldManager: component });

  test('the controller may read what it watches, and nothing of nodes or secrets', async () => {
    const c = as('virtkit-controller');
    await c.list(VIRTUAL_MACHINES, undefined, { limit: 1 });
    await c.list(VIRTUAL_MACHINE_INSTANCES, undefined, { limit: 1 });
    await c.list(PODS, undefined, { limit: 1 });
    expect(await forbidden(c.list(SECRETS, 'default'))).toMatch(
      /Forbidden: user "virtkit-controller" .* may not list secrets in namespace "default"/,
    );
    expect(await forbidden(c.delete(NODES, undefined, 'any'))).toMatch(/may not delete nodes "any"/);
    expect(await forbidden(c.get(CLUSTER_ROLES, undefined, 'cluster-admin'))).toMatch(
      /may not get clusterroles.rbac.authorization.k8s.io/,
    );
    c.close();
  });

  test('the handler may read VMIs, its volumes and the feature gates, but not create VMs or VMIs', async () => {
    const h = as('virtkit-handler');
    await h.list(VIRTUAL_MACHINE_INSTANCES, undefined, { limit: 1 });
    await h.list(KUBEVIRTS, undefined, { limit: 1 });
    expect(await forbidden(h.delete(KUBEVIRTS, 'default', 'any'))).toMatch(
      /may not delete kubevirts.kubevirt.io/,
    );
    expect(await h.getIfExists(SECRETS, 'default', 'absent')).toBeUndefined();
    expect(await forbidden(h.list(VIRTUAL_MACHINES, undefined))).toMatch(
      /may not list virtualmachines.kubevirt.io/,
    );
    expect(
      await forbidden(
        h.create(VIRTUAL_MACHINE_INSTANCES, 'default', {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstance',
          metadata: { name: 'x' },
          spec: { domain: { devices: {} } },
        }),
      ),
    ).toMatch(/may not create virtualmachineinstances.kubevirt.io in namespace "default"/);
    expect(
      await forbidden(h.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })),
    ).toMatch(/may not create pods/);
    h.close();
  });

  test("the api may read the API server's front-proxy settings, its KubeVirt objects and Nodes, nothing else", async () => {
    const a = as('virtkit-api');
    const cm = await a.get<{ data?: Record<string, string> }>(
      CONFIG_MAPS,
      'kube-system',
      'extension-apiserver-authentication',
    );
    expect(cm.data?.['requestheader-allowed-names']).toBe('["front-proxy-client"]');
    await a.list(KUBEVIRTS, undefined, { limit: 1 });
    expect(await forbidden(a.get(CONFIG_MAPS, 'kube-system', 'other'))).toMatch(
      /may not get configmaps "other"/,
    );
    expect(await forbidden(a.list(CONFIG_MAPS, 'kube-system'))).toMatch(/may not list configmaps/);
    expect(await forbidden(a.list(VIRTUAL_MACHINES, undefined))).toMatch(/may not list virtualmachines/);
    // A Node, for the endpoint its handler published; never a write (only the handler writes it).
    expect(await a.getIfExists(NODES, undefined, 'absent')).toBeUndefined();
    expect(await forbidden(a.list(NODES, undefined))).toMatch(/may not list nodes/);
    expect(
      await forbidden(
        a.mergePatch(NODES, undefined, 'any', {
          metadata: { annotations: { 'virtkit.io/handler-endpoint': 'https://127.0.0.1:1' } },
        }),
      ),
    ).toMatch(/may not patch nodes "any"/);
    // The upload proxy: the claim a token names and its upload pod, each by name; never a list.
    expect(await a.getIfExists(PVCS, 'default', 'absent')).toBeUndefined();
    expect(await a.getIfExists(PODS, 'default', 'absent')).toBeUndefined();
    expect(await forbidden(a.list(PODS, 'default'))).toMatch(/may not list pods/);
    a.close();
  });

  test('whereabouts may keep its IPPools, reservations and lock Lease in kube-system, nothing elsewhere', async () => {
    const w = as('virtkit-whereabouts');
    const pools: ResourceType = {
      apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
      kind: 'IPPool',
      plural: 'ippools',
      namespaced: true,
    };
    await w.list(pools, 'kube-system', { limit: 1 });
    expect(await w.getIfExists(pools, 'kube-system', 'absent')).toBeUndefined();
    expect(await w.getIfExists(LEASES, 'kube-system', 'whereabouts-absent')).toBeUndefined();
    expect(await forbidden(w.list(pools, 'default'))).toMatch(
      /user "virtkit-whereabouts" .* may not list ippools.whereabouts.cni.cncf.io in namespace "default"/,
    );
    expect(await forbidden(w.delete(pools, 'kube-system', 'any'))).toMatch(/may not delete ippools/);
    expect(await forbidden(w.list(PODS, undefined))).toMatch(/may not list pods/);
    expect(await forbidden(w.get(SECRETS, 'kube-system', 'any'))).toMatch(/may not get secrets/);
    w.close();
  });
});

test('the state folder, keys and kubeconfigs are readable by their owner only', () => {
  const mode = (p: string): number => fs.statSync(p).mode & 0o777;
  expect(mode(l().stateDir)).toBe(0o700);
  expect(mode(l().pkiDir)).toBe(0o700);
  expect(mode(componentKubeconfig(l(), 'virtkit-controller'))).toBe(0o600);
  expect(mode(`${l().pkiDir}/ca.key`)).toBe(0o600);
});
