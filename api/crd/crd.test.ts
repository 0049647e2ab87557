import { parseAllDocuments } from 'yaml';
import { allKinds, ipamPluginKinds, networkKinds, virtkitKinds } from '../registry';
import { crds, crdsYaml } from './generate';
import { structuralProblems } from './structural-check';
import { toStructural } from './structural';
import { Obj, Opt, Str, Enum, Quantity, ListMap, MapOf, Opaque, CrdOverride, Int32 } from '../schema/dsl';
import { crdSchema, undocumentedProperties } from '../testing/crd-kit';

describe('toStructural', () => {
  const sample = Obj('A sample.', {
    name: Str('Its name.'),
    bus: Opt(Enum('A bus.', ['virtio', 'sata'] as const)),
    size: Opt(Quantity('A size.')),
    count: Opt(Int32('A count.', { minimum: 1 })),
    disks: Opt(ListMap('Disks.', Obj('A disk.', { name: Str('Disk name.') }))),
    labels: Opt(MapOf('Labels.', Str('A value.'))),
    anything: Opt(Opaque('Kept whole.')),
    meta: Opt(
      CrdOverride(Obj('Strict metadata.', { name: Opt(Str('n')) }), {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      }),
    ),
  });
  const out = toStructural(sample as unknown as Record<string, unknown>) as {
    properties: Record<string, Record<string, unknown>>;
  } & Record<string, unknown>;

  it('drops additionalProperties: false and keeps required and descriptions', () => {
    expect(out.additionalProperties).toBeUndefined();
    expect(out.required).toEqual(['name']);
    expect(out.description).toBe('A sample.');
  });

  it('publishes enums as plain strings so admission answers unknown values in KubeVirt words', () => {
    expect(out.properties.bus).toEqual({ type: 'string', description: 'A bus. One of: virtio, sata.' });
  });

  it('keeps int-or-string quantities with their pattern', () => {
    expect(out.properties.size).toMatchObject({
      'x-kubernetes-int-or-string': true,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    });
    expect(out.properties.size.pattern).toBeDefined();
  });

  it('leaves numeric bounds to admission', () => {
    expect(out.properties.count).toEqual({ type: 'integer', format: 'int32', description: 'A count.' });
  });

  it('keeps list-map markers, maps and preserve-unknown-fields', () => {
    expect(out.properties.disks).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(out.properties.labels.additionalProperties).toEqual({ type: 'string', description: 'A value.' });
    expect(out.properties.anything).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: 'Kept whole.',
    });
  });

  it('applies CRD overrides', () => {
    expect(out.properties.meta).toEqual({
      description: 'Strict metadata.',
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  it('catches a broken schema offline', () => {
    expect(
      structuralProblems({
        type: 'object',
        properties: { a: { description: 'no type' }, b: { type: 'object', additionalProperties: false } },
      }),
    ).toEqual([
      '.a: no type (every field needs one, except int-or-string and preserve-unknown-fields nodes)',
      '.b: additionalProperties: false is not allowed in a CRD',
    ]);
  });
});

describe('generated CRDs', () => {
  const everyKind = [...allKinds(), ...ipamPluginKinds()];

  it.each(everyKind.map((k) => [`${k.plural}.${k.group}`, k] as const))('%s is structural', (_name, kind) => {
    expect(structuralProblems(crdSchema(kind))).toEqual([]);
  });

  it.each(everyKind.map((k) => [`${k.plural}.${k.group}`, k] as const))(
    '%s describes every field',
    (_name, kind) => {
      expect(undocumentedProperties(kind)).toEqual([]);
    },
  );

  it('names CRDs plural.group and labels them as part of virtkit', () => {
    for (const crd of crds({ withNetworkCrds: true })) {
      const spec = crd.spec as { group: string; names: { plural: string } };
      expect(crd.metadata.name).toBe(`${spec.names.plural}.${spec.group}`);
      expect(crd.metadata.labels['app.kubernetes.io/part-of']).toBe('virtkit');
    }
  });

  it('adds the network CRDs only when asked', () => {
    const base = crds().map((c) => c.metadata.name);
    const all = crds({ withNetworkCrds: true }).map((c) => c.metadata.name);
    expect(base).toHaveLength(virtkitKinds().length);
    expect(all).toHaveLength(virtkitKinds().length + networkKinds().length + ipamPluginKinds().length);
    expect(base.some((n) => /(k8s\.cni\.cncf\.io|kubeovn\.io|whereabouts\.cni\.cncf\.io)$/.test(n))).toBe(
      false,
    );
    expect(all).toEqual(
      expect.arrayContaining([
        'ippools.whereabouts.cni.cncf.io',
        'overlappingrangeipreservations.whereabouts.cni.cncf.io',
        'nodeslicepools.whereabouts.cni.cncf.io',
      ]),
    );
  });

  it('prints one YAML document per CRD', () => {
    const docs = parseAllDocuments(crdsYaml({ withNetworkCrds: true }));
    expect(docs.map((d) => (d.toJS() as { kind: string }).kind)).toEqual(
      crds({ withNetworkCrds: true }).map(() => 'CustomResourceDefinition'),
    );
  });
});
