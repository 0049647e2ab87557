import { checkAgainst } from '../../validation/schema-check';
import { toStructural } from '../../crd/structural';
import { CPU, Memory, ResourceRequirements } from './cpu-memory';

type Node = Record<string, unknown>;

describe('CPU', () => {
  it('reports negative counts, which KubeVirt cannot decode into unsigned fields', () => {
    const issues = checkAgainst(CPU, { cores: -1, sockets: 1 }, 'cpu');
    expect(issues.map((i) => i.path)).toEqual(['cpu.cores']);
  });

  it('accepts any CPU model name, since libvirt knows more than the listed ones', () => {
    expect(checkAgainst(CPU, { model: 'Cascadelake-Server' })).toEqual([]);
  });

  it('requires a name on each CPU feature', () => {
    const issues = checkAgainst(CPU, { features: [{ policy: 'disable' }] }, 'cpu');
    expect(issues.map((i) => i.path)).toEqual(['cpu.features[0].name']);
  });

  it('publishes counts as int32, as KubeVirt does', () => {
    const crd = toStructural(CPU as unknown as Node) as { properties: Record<string, Node> };
    expect(crd.properties.cores).toMatchObject({ type: 'integer', format: 'int32' });
  });
});

describe('Memory', () => {
  it('reports a hugepage size that is not a quantity', () => {
    const issues = checkAgainst(Memory, { hugepages: { pageSize: '2MM' } }, 'memory');
    expect(issues).toEqual([
      expect.objectContaining({ path: 'memory.hugepages.pageSize', rule: 'schema.quantity' }),
    ]);
  });

  it('publishes pageSize as the plain string KubeVirt has, and guest as an int-or-string quantity', () => {
    const crd = toStructural(Memory as unknown as Node) as {
      properties: Record<string, Node & { properties: Record<string, Node> }>;
    };
    expect(crd.properties.hugepages.properties.pageSize).toEqual({
      description: expect.any(String),
      type: 'string',
    });
    expect(crd.properties.guest['x-kubernetes-int-or-string']).toBe(true);
  });

  it('accepts integer and string quantities', () => {
    expect(checkAgainst(Memory, { guest: 1073741824, maxGuest: '4Gi' })).toEqual([]);
  });
});

describe('ResourceRequirements', () => {
  it('takes a boolean overcommitGuestOverhead and no claims (unlike a container)', () => {
    const issues = checkAgainst(
      ResourceRequirements,
      { overcommitGuestOverhead: 'yes', claims: [] },
      'resources',
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'resources.claims',
      'resources.overcommitGuestOverhead',
    ]);
  });
});
