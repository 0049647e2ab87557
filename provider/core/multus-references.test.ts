/**
 * The pure half of the VM network check: which networks a spec names, which the program wires
 * from other resources' outputs, the object each names, and what is said about them.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { recordRegistrations } from '../testing/mocks';
import {
  multusReferences,
  networkIssues,
  networkOf,
  networksFromResources,
  type MultusReference,
} from './multus-references';

recordRegistrations();

/** A VM spec with these networks. */
function withNetworks(networks: unknown): Record<string, unknown> {
  return { runStrategy: 'Always', template: { spec: { networks } } };
}

const POD = { name: 'default', pod: {} };
const multus = (name: string, networkName: unknown) => ({ name, multus: { networkName } });

describe('multusReferences', () => {
  it('lists each Multus network with its field path and value, in spec order; pod networks are not', () => {
    expect(
      multusReferences(withNetworks([POD, multus('storage', 'nope'), multus('vlan', 'infra/vlan100')])),
    ).toEqual([
      { index: 1, path: 'spec.template.spec.networks[1].multus.networkName', networkName: 'nope' },
      { index: 2, path: 'spec.template.spec.networks[2].multus.networkName', networkName: 'infra/vlan100' },
    ]);
  });

  it('finds nothing in a spec without networks, and skips a name that is not a non-empty string', () => {
    expect(multusReferences(undefined)).toEqual([]);
    expect(multusReferences({ template: {} })).toEqual([]);
    expect(multusReferences(withNetworks('not a list'))).toEqual([]);
    expect(
      multusReferences(withNetworks([multus('a', ''), multus('b', 7), { name: 'c', multus: null }])),
    ).toEqual([]);
  });
});

describe('networkOf', () => {
  const ref = (networkName: string): MultusReference => ({ index: 0, path: 'p', networkName });

  it("takes namespace/name as written, else the VM's namespace, else the default one", () => {
    expect(networkOf(ref('infra/vlan100'), 'apps', 'default')).toEqual({
      namespace: 'infra',
      name: 'vlan100',
    });
    expect(networkOf(ref('br1'), 'apps', 'default')).toEqual({ namespace: 'apps', name: 'br1' });
    expect(networkOf(ref('br1'), undefined, 'team-a')).toEqual({ namespace: 'team-a', name: 'br1' });
  });
});

describe('networksFromResources', () => {
  const nad = new k8s.apiextensions.CustomResource('nad', {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: 'br1' },
  });
  const fromNad = nad.metadata.name;

  it('marks the networks whose name (or the entry around it) is another resource output', () => {
    expect(
      networksFromResources(
        withNetworks([
          POD,
          multus('a', 'literal'),
          multus('b', fromNad),
          { name: 'c', multus: nad.metadata.apply((m) => ({ networkName: m.name })) },
        ]),
      ),
    ).toEqual(new Set([2, 3]));
  });

  it('marks every network when the networks, the template or the spec is such an output', () => {
    expect(networksFromResources(withNetworks(fromNad.apply((n) => [multus('a', n)])))).toBe('all');
    expect(networksFromResources({ template: fromNad.apply(() => ({})) })).toBe('all');
    expect(networksFromResources(fromNad.apply(() => withNetworks([])))).toBe('all');
  });

  it('leaves plain values and outputs of no resource to the check', () => {
    expect(networksFromResources(withNetworks([multus('a', pulumi.output('br1'))]))).toEqual(new Set());
    expect(networksFromResources(pulumi.output(withNetworks([multus('a', 'br1')])))).toEqual(new Set());
    expect(networksFromResources(undefined)).toEqual(new Set());
  });
});

describe('networkIssues', () => {
  const ref: MultusReference = {
    index: 1,
    path: 'spec.template.spec.networks[1].multus.networkName',
    networkName: 'nope',
  };
  const network = { namespace: 'apps', name: 'nope' };

  it('reports a missing network as an error naming the field, the value, the object and the fix', () => {
    expect(networkIssues([{ ref, network, lookup: { kind: 'missing', kindServed: true } }])).toEqual([
      {
        path: 'spec.template.spec.networks[1].multus.networkName',
        severity: 'error',
        rule: 'network-exists',
        message:
          'networkName "nope" names NetworkAttachmentDefinition apps/nope, which does not exist; create it first ' +
          '(kubectl get network-attachment-definitions -n apps lists those that do), or declare it in this program: ' +
          'a virtkit MultusNetwork component with name nope and namespace apps, or a NetworkAttachmentDefinition ' +
          'resource whose name this field takes from its output',
      },
    ]);
  });

  it('says so when the cluster serves no NetworkAttachmentDefinition at all', () => {
    const [issue] = networkIssues([{ ref, network, lookup: { kind: 'missing', kindServed: false } }]);
    expect(issue.severity).toBe('error');
    expect(issue.message).toMatch(/the cluster serves no k8s\.cni\.cncf\.io\/v1 NetworkAttachmentDefinition/);
    expect(issue.message).toMatch(/withNetworkCrds/);
  });

  it('warns of a network that could not be checked, saying why; says nothing of one that exists', () => {
    expect(
      networkIssues([
        { ref, network, lookup: { kind: 'unchecked', why: 'cannot read it from the cluster: ECONNREFUSED' } },
        { ref, network, lookup: { kind: 'exists' } },
        { ref, network, lookup: { kind: 'declared' } },
      ]),
    ).toEqual([
      {
        path: 'spec.template.spec.networks[1].multus.networkName',
        severity: 'warning',
        rule: 'network-exists',
        message:
          'did not check that NetworkAttachmentDefinition apps/nope (networkName "nope") exists: cannot read it from the cluster: ECONNREFUSED',
      },
    ]);
  });
});
