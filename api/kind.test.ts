import { defineKind, type KindDefinition } from './kind';
import { Obj, Opt, Str } from './schema/dsl';

const Spec = Obj('A spec.', { name: Opt(Str('A name.')) });
const identity = {
  group: 'example.io',
  version: 'v1',
  kind: 'Example',
  plural: 'examples',
  singular: 'example',
  scope: 'Namespaced',
  description: 'An example.',
} as const;

describe('defineKind', () => {
  it('gives definitions that fit a KindDefinition list without widening the fields', () => {
    // Compiles only while KindDefinition stays covariant in its field map.
    const kinds: readonly KindDefinition[] = [
      defineKind({
        ...identity,
        fields: { spec: Spec },
        requiredFields: ['spec'],
      }),
    ];
    expect(kinds.map((k) => k.requiredFields)).toEqual([['spec']]);
  });

  it('refuses a required field that is not among the fields (checked by tsc)', () => {
    const def = defineKind({
      ...identity,
      fields: { spec: Spec },
      // @ts-expect-error 'status' is not a field of this kind
      requiredFields: ['status'],
    });
    expect(def.fields).toHaveProperty('spec');
  });
});
