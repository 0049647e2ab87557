import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import { NetworkAttachmentDefinitionKind, type NetworkAttachmentDefinition } from './index';

const bridge: NetworkAttachmentDefinition = {
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: {
    name: 'lan',
    namespace: 'vms',
    annotations: { 'k8s.v1.cni.cncf.io/resourceName': 'bridge.network.kubevirt.io/br1' },
  },
  spec: {
    config: JSON.stringify({
      cniVersion: '0.3.1',
      name: 'lan',
      type: 'bridge',
      bridge: 'br1',
      ipam: { type: 'host-local', subnet: '192.168.50.0/24' },
    }),
  },
};

const list = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'tuned',
  plugins: [
    { type: 'macvlan', master: 'eth1', mode: 'bridge' },
    { type: 'tuning', mtu: 9000 },
  ],
});

describe('NetworkAttachmentDefinition', () => {
  it('accepts a single plugin config and a plugin list', () => {
    expect(validateAs(NetworkAttachmentDefinitionKind, bridge)).toEqual([]);
    expect(validateAs(NetworkAttachmentDefinitionKind, { ...bridge, spec: { config: list } })).toEqual([]);
  });

  it('catches an unknown field', () => {
    const n = clone(bridge) as unknown as { spec: Record<string, unknown> };
    n.spec.configs = '{}';
    expect(validateAs(NetworkAttachmentDefinitionKind, n)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'spec.configs', rule: 'schema.unknown-field' }),
      ]),
    );
  });

  it('refuses config that is not JSON, lacks cniVersion, or names no plugin', () => {
    const check = (config: string) =>
      errorLines(validateAs(NetworkAttachmentDefinitionKind, { ...bridge, spec: { config } }));
    expect(check('{"cniVersion": "1.0.0", "type": "bridge",}')[0]).toMatch(
      /^spec\.config: spec\.config is not valid JSON \(.+\); write the CNI configuration as a JSON object/,
    );
    expect(check('{"type": "bridge"}')).toEqual([
      'spec.config: the CNI config has no "cniVersion"; add one such as "cniVersion": "1.0.0"',
    ]);
    expect(check('{"cniVersion": "1.0.0", "bridge": "br1"}')[0]).toMatch(
      /^spec\.config: the CNI config names no plugin; add "type"/,
    );
    expect(check('{"cniVersion": "1.0.0", "plugins": [{"type": "bridge"}, {"mtu": 1400}]}')).toEqual([
      'spec.config: plugins[1] has no "type"; each plugin of the list names its CNI binary, for example {"type": "tuning"}',
    ]);
    expect(check('["bridge"]')).toEqual(['spec.config: spec.config must be a JSON object, got ["bridge"]']);
  });

  it('warns when the config is left to a file on the node', () => {
    expect(validateAs(NetworkAttachmentDefinitionKind, { ...bridge, spec: {} })).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'spec.config' }),
    ]);
  });

  it('publishes Multus names', () => {
    const crd = crdFor(NetworkAttachmentDefinitionKind);
    expect(crd.metadata.name).toBe('network-attachment-definitions.k8s.cni.cncf.io');
    expect(crd.spec.names).toEqual({
      kind: 'NetworkAttachmentDefinition',
      listKind: 'NetworkAttachmentDefinitionList',
      plural: 'network-attachment-definitions',
      singular: 'network-attachment-definition',
      shortNames: ['net-attach-def'],
    });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crdVersion(NetworkAttachmentDefinitionKind).subresources).toBeUndefined();
    expect(undocumentedProperties(NetworkAttachmentDefinitionKind)).toEqual([]);
  });
});
