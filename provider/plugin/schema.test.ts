import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { EvictionStrategy, RunStrategy, VIRTUAL_MACHINE_SPEC_PROP_NAMES } from '../../api';
import * as components from '../index';
import { AwaitedComponent } from '../core/awaited-component';
import { VirtkitComponent } from '../core/component';
import { ObjectComponent } from '../core/object-component';
import { SERVED_COMPONENTS, VirtkitProvider } from './construct';
import {
  packageSchema,
  SCHEMA_COMPONENTS,
  VM_TYPED_INPUT_NAMES,
  type PackageSchema,
  type PropertySpec,
} from './package-schema';

const SCHEMA_FILE = path.join(__dirname, 'schema.json');
const REGENERATE = 'npm run pulumi:schema (npx ts-node --transpile-only provider/plugin/write-schema.ts)';
const schema = packageSchema();

/** The first path at which two JSON values differ, for a message a person can act on. */
function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        at ? `${at}.${k}` : k,
      );
      if (d) return d;
    }
  }
  return at || '(the whole document)';
}

/** Every property of every resource (inputs and outputs) and every object type, with its place. */
function everyProperty(s: PackageSchema): [string, PropertySpec][] {
  const out: [string, PropertySpec][] = [];
  for (const [token, r] of Object.entries(s.resources)) {
    for (const [k, p] of Object.entries(r.inputProperties)) out.push([`${token} input ${k}`, p]);
    for (const [k, p] of Object.entries(r.properties)) out.push([`${token} output ${k}`, p]);
  }
  for (const [token, t] of Object.entries(s.types))
    for (const [k, p] of Object.entries(t.properties ?? {})) out.push([`${token}.${k}`, p]);
  return out;
}

describe('the component provider schema', () => {
  it('is what provider/plugin/schema.json holds', () => {
    const committed = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as unknown;
    const difference = firstDifference(committed, schema);
    if (difference)
      throw new Error(
        `provider/plugin/schema.json is out of date (first difference at ${difference}); regenerate it with ${REGENERATE} and commit it`,
      );
  });

  it('is the schema the plugin serves, at package.json version', () => {
    const served = new VirtkitProvider();
    expect(JSON.parse(served.schema)).toEqual(schema);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(served.version).toBe(pkg.version);
    expect(schema.version).toBe(pkg.version);
    expect(schema.name).toBe('virtkit');
  });

  it('has every component provider/index.ts exports, and the dispatcher serves each of them', () => {
    const bases: unknown[] = [VirtkitComponent, ObjectComponent, AwaitedComponent];
    const exported = Object.entries(components)
      .filter(
        ([, value]) =>
          typeof value === 'function' &&
          !bases.includes(value) &&
          (value as { prototype?: unknown }).prototype instanceof VirtkitComponent,
      )
      .map(([name]) => `virtkit:index:${name}`)
      .sort();
    expect(exported).toContain('virtkit:index:VirtualMachine');
    expect(Object.keys(schema.resources).sort()).toEqual(exported);
    expect([...SERVED_COMPONENTS].sort()).toEqual([...SCHEMA_COMPONENTS].sort());
    for (const r of Object.values(schema.resources)) expect(r.isComponent).toBe(true);
  });

  it('declares every required input and output it lists', () => {
    for (const [token, r] of Object.entries(schema.resources)) {
      for (const key of r.requiredInputs)
        expect([token, key, key in r.inputProperties]).toEqual([token, key, true]);
      for (const key of r.required) expect([token, key, key in r.properties]).toEqual([token, key, true]);
    }
  });

  it('describes every property and resolves every type reference', () => {
    const refs = new Set([...Object.keys(schema.types).map((t) => `#/types/${t}`), 'pulumi.json#/Any']);
    for (const [where, p] of everyProperty(schema)) {
      expect([where, p.description.trim().length > 0]).toEqual([where, true]);
      for (const ref of [p.$ref, p.items?.$ref, p.additionalProperties?.$ref])
        if (ref !== undefined) expect([where, ref, refs.has(ref)]).toEqual([where, ref, true]);
    }
    for (const [token, t] of Object.entries(schema.types))
      expect([token, t.description.length > 0]).toEqual([token, true]);
  });

  it('exposes the await options as an object type on the awaited components', () => {
    expect(schema.types['virtkit:index:AwaitOptions'].properties).toEqual({
      timeoutSeconds: expect.objectContaining({ type: 'integer' }),
      skipAwait: expect.objectContaining({ type: 'boolean' }),
    });
    for (const c of [
      'VirtualMachine',
      'KubeOvnSubnet',
      'VirtualMachineSnapshot',
      'VirtualMachineRestore',
      'DataVolume',
    ])
      expect(schema.resources[`virtkit:index:${c}`].inputProperties.await?.$ref).toBe(
        '#/types/virtkit:index:AwaitOptions',
      );
    expect(schema.resources['virtkit:index:Instancetype'].inputProperties.await).toBeUndefined();
  });

  it('exposes only VirtualMachine typed props that exist, and none built from value classes', () => {
    for (const key of VM_TYPED_INPUT_NAMES) expect(VIRTUAL_MACHINE_SPEC_PROP_NAMES).toContain(key);
    const vmInputs = schema.resources['virtkit:index:VirtualMachine'].inputProperties;
    for (const classBacked of [
      'disks',
      'interfaces',
      'networks',
      'firmware',
      'instancetype',
      'preference',
      'livenessProbe',
      'readinessProbe',
    ])
      expect(vmInputs[classBacked]).toBeUndefined();
    // The enums are the api's own, value for value.
    expect(schema.types['virtkit:index:RunStrategy'].enum?.map((e) => e.value)).toEqual(
      Object.values(RunStrategy),
    );
    expect(schema.types['virtkit:index:EvictionStrategy'].enum?.map((e) => e.value)).toEqual(
      Object.values(EvictionStrategy),
    );
  });

  it('offers no namespace for the cluster-scoped Kube-OVN Subnet', () => {
    expect(schema.resources['virtkit:index:KubeOvnSubnet'].inputProperties.namespace).toBeUndefined();
  });
});
