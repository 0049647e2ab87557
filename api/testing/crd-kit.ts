/**
 * Pure helpers the unit tests of every group share to inspect a kind's CRD and to phrase
 * assertions. No jest here, so any test (and any fixture) can use them.
 */
import { crdFor } from '../crd/generate';
import type { KindDefinition } from '../kind';
import type { Issue } from '../validation/issue';
import { record } from '../validation/readers';

export type Schema = Record<string, unknown>;

/** The CRD version entry (virtkit publishes one version a kind). */
export function crdVersion(def: KindDefinition): Schema {
  return (crdFor(def).spec.versions as Schema[])[0];
}

/** The openAPIV3Schema a kind's CRD publishes. */
export function crdSchema(def: KindDefinition): Schema {
  return record(record(crdVersion(def).schema)?.openAPIV3Schema) ?? {};
}

/**
 * Every property below a schema (CRD or strict), at any depth, with its path: `a.b`,
 * `a[]` for list items, `a{}` for map values.
 */
export function schemaProperties(schema: Schema, path = ''): [string, Schema][] {
  const out: [string, Schema][] = [];
  for (const [name, child] of Object.entries(record(schema.properties) ?? {})) {
    const node = record(child) ?? {};
    const at = path ? `${path}.${name}` : name;
    out.push([at, node], ...schemaProperties(node, at));
  }
  const items = record(schema.items);
  if (items) out.push(...schemaProperties(items, `${path}[]`));
  const values = record(schema.additionalProperties);
  if (values) out.push(...schemaProperties(values, `${path}{}`));
  return out;
}

/**
 * Paths of the properties of a kind's CRD that have no description, the top-level
 * `metadata` aside (the API server owns it, as in every CRD).
 */
export function undocumentedProperties(def: KindDefinition): string[] {
  return schemaProperties(crdSchema(def))
    .filter(
      ([path, node]) => path !== 'metadata' && !(typeof node.description === 'string' && node.description),
    )
    .map(([path]) => path);
}

/** The schema at `a.b[].c` below `schema` (`[]` steps into list items), or undefined when absent. */
export function schemaAt(schema: Schema, path: string): Schema | undefined {
  let node: Schema | undefined = schema;
  for (const part of path.split('.')) {
    const isList = part.endsWith('[]');
    node = record(record(node?.properties)?.[isList ? part.slice(0, -2) : part]);
    if (isList) node = record(node?.items);
  }
  return node;
}

/** The CRD schema of the property at a path such as `spec.source.name` or `spec.volumes[].name`. */
export function crdProperty(def: KindDefinition, path: string): Schema | undefined {
  return schemaAt(crdSchema(def), path);
}

/** `path: message` lines of the errors, for readable assertion failures. */
export function errorLines(issues: readonly Issue[]): string[] {
  return issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);
}

/** A deep copy to mutate in one test without touching the shared fixture. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A small, realistic KubeVirt VirtualMachine spec (as in KubeVirt's user guide) for kinds that embed one. */
export function sampleVirtualMachineSpec(): Record<string, unknown> {
  return {
    runStrategy: 'Always',
    template: {
      metadata: { labels: { 'kubevirt.io/domain': 'web' } },
      spec: {
        domain: {
          resources: { requests: { memory: '1Gi' } },
          devices: {
            disks: [
              { name: 'root', disk: { bus: 'virtio' } },
              { name: 'cloudinit', disk: { bus: 'virtio' } },
            ],
            interfaces: [{ name: 'default', masquerade: {} }],
          },
        },
        networks: [{ name: 'default', pod: {} }],
        volumes: [
          { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
          { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\npassword: fedora\n' } },
        ],
      },
    },
  };
}
