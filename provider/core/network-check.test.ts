/**
 * The VM network check's reading: the program's own declarations first, then one read of the
 * cluster per object, a short wait for a declaration that arrives late, and what a failed read
 * means (only a 404 is a missing network).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeApiError, NETWORK_ATTACHMENT_DEFINITIONS, objectPath } from '../../kube';
import { clusterWithNetworks } from '../testing/mocks';
import {
  checkMultusNetworks,
  lookupFailure,
  readClusterNetworks,
  useNetworkReader,
  type ClusterNetworks,
} from './network-check';
import { declareNetwork, forgetDeclaredNetworks } from './network-registry';

function vm(namespace: string | undefined, ...networkNames: string[]) {
  return {
    metadata: namespace ? { namespace } : {},
    spec: {
      template: {
        spec: {
          networks: [
            { name: 'default', pod: {} },
            ...networkNames.map((networkName, i) => ({ name: `net${i}`, multus: { networkName } })),
          ],
        },
      },
    },
  };
}

const NO_WIRES = { cluster: {}, fromResources: new Set<number>(), graceMs: 20 };

let reads: string[];
let opened: number;
let closed: number;

/** Install a stand-in cluster that has `present`, counting opens and closes. */
function cluster(present: '*' | readonly string[], defaultNamespace = 'default'): void {
  useNetworkReader(() => {
    opened += 1;
    const c = clusterWithNetworks(present, reads);
    return { ...c, defaultNamespace, close: () => (closed += 1) };
  });
}

beforeEach(() => {
  reads = [];
  opened = 0;
  closed = 0;
  forgetDeclaredNetworks();
});

afterAll(() => useNetworkReader());

describe('checkMultusNetworks', () => {
  it('opens nothing for a VM without Multus networks', async () => {
    cluster([]);
    expect(await checkMultusNetworks(vm('apps'), NO_WIRES)).toEqual([]);
    expect(opened).toBe(0);
  });

  it("reads each object once, in the network's namespace or the VM's, and reports the missing one", async () => {
    cluster(['infra/vlan100', 'apps/br1']);
    const issues = await checkMultusNetworks(
      vm('apps', 'br1', 'infra/vlan100', 'nope', 'apps/br1'),
      NO_WIRES,
    );
    expect(reads.sort()).toEqual(['apps/br1', 'apps/nope', 'infra/vlan100']);
    expect(issues.map((i) => [i.severity, i.path])).toEqual([
      ['error', 'spec.template.spec.networks[3].multus.networkName'],
    ]);
    expect(issues[0].message).toMatch(
      /^networkName "nope" names NetworkAttachmentDefinition apps\/nope, which does not exist/,
    );
    expect(closed).toBe(1);
  });

  it("takes the cluster's default namespace for a VM that names none", async () => {
    cluster([], 'team-a');
    const [issue] = await checkMultusNetworks(vm(undefined, 'br1'), NO_WIRES);
    expect(reads).toEqual(['team-a/br1']);
    expect(issue.message).toMatch(/team-a\/br1/);
  });

  it('does not read a network this program declares, whatever side leaves the namespace to the default', async () => {
    cluster([]);
    declareNetwork({ namespace: 'apps', name: 'br1' });
    declareNetwork({ name: 'br2' });
    expect(await checkMultusNetworks(vm('apps', 'br1', 'apps/br1'), NO_WIRES)).toEqual([]);
    expect(await checkMultusNetworks(vm(undefined, 'br2', 'default/br2'), NO_WIRES)).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('accepts a network declared while the cluster was read, within the grace', async () => {
    useNetworkReader((): ClusterNetworks => ({
      defaultNamespace: 'default',
      lookup: () => {
        setTimeout(() => declareNetwork({ namespace: 'apps', name: 'late' }), 5);
        return Promise.resolve({ kind: 'missing', kindServed: true });
      },
      close: () => undefined,
    }));
    expect(await checkMultusNetworks(vm('apps', 'late'), { ...NO_WIRES, graceMs: 2000 })).toEqual([]);
  });

  it('leaves networks wired from other resources alone', async () => {
    cluster([]);
    expect(
      await checkMultusNetworks(vm('apps', 'a', 'b'), { ...NO_WIRES, fromResources: new Set([1, 2]) }),
    ).toEqual([]);
    expect(await checkMultusNetworks(vm('apps', 'a'), { ...NO_WIRES, fromResources: 'all' })).toEqual([]);
    expect(reads).toEqual([]);
  });

  it('warns, without failing, of networks the cluster could not say anything about', async () => {
    useNetworkReader(() => ({
      defaultNamespace: 'default',
      lookup: () => Promise.resolve({ kind: 'unchecked', why: 'the cluster refused the read: Forbidden' }),
      close: () => undefined,
    }));
    const issues = await checkMultusNetworks(vm('apps', 'br1'), NO_WIRES);
    expect(issues).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'spec.template.spec.networks[1].multus.networkName',
        message:
          'did not check that NetworkAttachmentDefinition apps/br1 (networkName "br1") exists: the cluster refused the read: Forbidden',
      }),
    ]);
  });
});

describe('lookupFailure', () => {
  const apiError = (status: number, reason: string, message: string) =>
    new KubeApiError('GET', objectPath(NETWORK_ATTACHMENT_DEFINITIONS, 'apps', 'x'), status, reason, message);

  it('a 404 naming the object is a missing network; one for the kind is a cluster without the CRD', () => {
    expect(
      lookupFailure(
        apiError(404, 'NotFound', 'network-attachment-definitions.k8s.cni.cncf.io "x" not found'),
      ),
    ).toEqual({ kind: 'missing', kindServed: true });
    expect(
      lookupFailure(apiError(404, 'NotFound', 'the server could not find the requested resource')),
    ).toEqual({
      kind: 'missing',
      kindServed: false,
    });
  });

  it('anything else leaves the network unchecked: RBAC, an unreachable server, a server error', () => {
    expect(lookupFailure(apiError(403, 'Forbidden', 'no'))).toEqual({
      kind: 'unchecked',
      why: expect.stringMatching(/^the cluster refused the read: /),
    });
    expect(lookupFailure(apiError(0, 'ConnectionFailed', 'ECONNREFUSED'))).toEqual({
      kind: 'unchecked',
      why: expect.stringMatching(/^cannot read it from the cluster: .*ECONNREFUSED/),
    });
    expect(lookupFailure(apiError(500, 'InternalError', 'etcd')).kind).toBe('unchecked');
  });
});

describe('readClusterNetworks', () => {
  it('without any cluster configuration, checks nothing and says why', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-no-kube-'));
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    delete process.env.KUBECONFIG;
    process.env.HOME = home;
    try {
      const c = readClusterNetworks({ namespace: 'team-a' });
      expect(c.defaultNamespace).toBe('team-a');
      expect(await c.lookup({ namespace: 'apps', name: 'br1' })).toEqual({
        kind: 'unchecked',
        why: expect.stringMatching(/^no cluster configuration: /),
      });
      c.close();
    } finally {
      Object.assign(process.env, saved);
      if (saved.KUBECONFIG === undefined) delete process.env.KUBECONFIG;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('with a server that does not answer, checks nothing and says why', async () => {
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {}}]',
      'contexts: [{name: x, context: {cluster: c, user: u, namespace: ctx-ns}}]',
      'current-context: x',
      '',
    ].join('\n');
    const c = readClusterNetworks({ kubeconfig });
    try {
      expect(c.defaultNamespace).toBe('ctx-ns');
      expect(await c.lookup({ namespace: 'apps', name: 'br1' })).toEqual({
        kind: 'unchecked',
        why: expect.stringMatching(/^cannot read it from the cluster: .*cannot reach the API server/),
      });
    } finally {
      c.close();
    }
  });
});
