/**
 * Pure helpers the unit tests of the non-core groups share: they inspect a kind's CRD
 * and group issues for assertions. No jest here, so any test can use them.
 */
import { crdFor } from '../../crd/generate';
import type { KindDefinition } from '../../kind';
import type { Issue } from '../../validation/issue';
import { record } from './support';

/** JSON paths of every CRD property (at any depth) that has no description. */
export function undocumentedProperties(def: KindDefinition): string[] {
  const version = (crdFor(def).spec.versions as Record<string, unknown>[])[0];
  const root = record(record(version.schema)?.openAPIV3Schema);
  const missing: string[] = [];
  const walk = (schema: Record<string, unknown> | undefined, path: string): void => {
    if (!schema) return;
    const props = record(schema.properties);
    for (const [name, child] of Object.entries(props ?? {})) {
      const c = record(child);
      const at = path ? `${path}.${name}` : name;
      if (name !== 'metadata' && !(typeof c?.description === 'string' && c.description.length > 0))
        missing.push(at);
      walk(c, at);
    }
    walk(record(schema.items), `${path}[]`);
    walk(record(schema.additionalProperties), `${path}{}`);
  };
  walk(root, '');
  return missing;
}

/** The CRD version entry (this project publishes one version a kind). */
export function crdVersion(def: KindDefinition): Record<string, unknown> {
  return (crdFor(def).spec.versions as Record<string, unknown>[])[0];
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

/** The CRD schema of the property at a dotted path, such as `spec.source.name`. */
export function crdProperty(def: KindDefinition, path: string): Record<string, unknown> | undefined {
  let at = record(record(crdVersion(def).schema)?.openAPIV3Schema);
  for (const name of path.split('.')) at = record(record(at?.properties)?.[name]);
  return at;
}
