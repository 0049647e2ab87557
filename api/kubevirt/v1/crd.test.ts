import { crdFor } from '../../crd/generate';
import { crdSchema, crdVersion, schemaAt, undocumentedProperties, type Schema } from '../../testing/crd-kit';
import { kinds } from './index';
import { VirtualMachineKind } from './vm-kind';
import { VirtualMachineInstanceKind } from './vmi-kind';
import { VirtualMachineInstanceReplicaSetKind } from './replicaset';

/** Follow `a.b[].c` through a CRD schema; a missing step fails the test that asked. */
function at(schema: Schema, path: string): Schema {
  const node = schemaAt(schema, path);
  if (!node) throw new Error(`no property at ${path}`);
  return node;
}

describe('kubevirt.io/v1 CRDs', () => {
  it('lists the six kinds in order', () => {
    expect(kinds.map((k) => k.kind)).toEqual([
      'VirtualMachine',
      'VirtualMachineInstance',
      'VirtualMachineInstanceMigration',
      'VirtualMachineInstanceReplicaSet',
      'VirtualMachineInstancePreset',
      'KubeVirt',
    ]);
  });

  it.each(kinds.map((k) => [k.kind, k] as const))('%s: every property has a description', (_name, def) => {
    expect(undocumentedProperties(def)).toEqual([]);
  });

  it("uses KubeVirt's names, short names, categories and scope", () => {
    const names = kinds.map((k) => {
      const spec = crdFor(k).spec as { names: Schema; scope: string };
      return [crdFor(k).metadata.name, spec.names.shortNames, spec.names.categories, spec.scope];
    });
    expect(names).toEqual([
      ['virtualmachines.kubevirt.io', ['vm', 'vms'], ['all'], 'Namespaced'],
      ['virtualmachineinstances.kubevirt.io', ['vmi', 'vmis'], ['all'], 'Namespaced'],
      ['virtualmachineinstancemigrations.kubevirt.io', ['vmim', 'vmims'], ['all'], 'Namespaced'],
      ['virtualmachineinstancereplicasets.kubevirt.io', ['vmirs', 'vmirss'], ['all'], 'Namespaced'],
      ['virtualmachineinstancepresets.kubevirt.io', ['vmipreset', 'vmipresets'], ['all'], 'Namespaced'],
      ['kubevirts.kubevirt.io', ['kv', 'kvs'], ['all'], 'Namespaced'],
    ]);
  });

  it('gives the VM its printer columns and status subresource', () => {
    const v = crdVersion(VirtualMachineKind);
    const columns = v.additionalPrinterColumns as Schema[];
    expect(columns.map((c) => [c.name, c.type, c.jsonPath])).toEqual([
      ['Age', 'date', '.metadata.creationTimestamp'],
      ['Status', 'string', '.status.printableStatus'],
      ['Ready', 'string', ".status.conditions[?(@.type=='Ready')].status"],
    ]);
    expect(v.subresources).toEqual({ status: {} });
  });

  it('marks disks, interfaces, networks and volumes of the VM template as list-maps keyed by name', () => {
    const spec = crdSchema(VirtualMachineKind);
    for (const path of [
      'spec.template.spec.domain.devices.disks',
      'spec.template.spec.domain.devices.interfaces',
      'spec.template.spec.networks',
      'spec.template.spec.volumes',
    ]) {
      const list = at(spec, path);
      expect([path, list['x-kubernetes-list-type'], list['x-kubernetes-list-map-keys']]).toEqual([
        path,
        'map',
        ['name'],
      ]);
      expect([path, (list.items as Schema).required]).toEqual([path, expect.arrayContaining(['name'])]);
    }
  });

  it('publishes cheap CEL rules the schema cannot say by itself, outside status', () => {
    const vm = crdSchema(VirtualMachineKind);
    expect(at(vm, 'spec')['x-kubernetes-validations']).toEqual([
      {
        rule: '!has(self.running) || !has(self.runStrategy)',
        message: expect.stringMatching(/^Running and RunStrategy are mutually exclusive/),
        fieldPath: '.running',
      },
    ]);
    expect(at(vm, 'spec.template.spec.domain.firmware.bootloader')['x-kubernetes-validations']).toEqual([
      expect.objectContaining({ rule: '!has(self.bios) || !has(self.efi)' }),
    ]);
    const vmi = crdSchema(VirtualMachineInstanceKind);
    expect(at(vmi, 'spec.domain.firmware.bootloader')['x-kubernetes-validations']).toHaveLength(1);
    // Every rule in every kubevirt.io CRD sits in a user-written part, never under status.
    const found: string[] = [];
    const walk = (node: Schema, path: string): void => {
      if (node['x-kubernetes-validations']) found.push(path);
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Schema>))
        walk(v, `${path}.${k}`);
      if (node.items) walk(node.items as Schema, `${path}[]`);
    };
    for (const def of kinds) walk(crdSchema(def), def.kind);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((p) => p.includes('.status'))).toEqual([]);
  });

  it('publishes template metadata as an opaque nullable object, as KubeVirt does', () => {
    for (const path of ['spec.template.metadata', 'spec.dataVolumeTemplates[].metadata']) {
      const meta = at(crdSchema(VirtualMachineKind), path);
      expect(meta).toMatchObject({
        type: 'object',
        nullable: true,
        'x-kubernetes-preserve-unknown-fields': true,
      });
      expect(meta.properties).toBeUndefined();
    }
  });

  it('gives the VMI its columns, with Live-Migratable and Paused at priority 1', () => {
    const columns = crdVersion(VirtualMachineInstanceKind).additionalPrinterColumns as Schema[];
    expect(columns.map((c) => [c.name, c.jsonPath, c.priority ?? 0])).toEqual([
      ['Age', '.metadata.creationTimestamp', 0],
      ['Phase', '.status.phase', 0],
      ['IP', '.status.interfaces[0].ipAddress', 0],
      ['NodeName', '.status.nodeName', 0],
      ['Ready', ".status.conditions[?(@.type=='Ready')].status", 0],
      ['Live-Migratable', ".status.conditions[?(@.type=='LiveMigratable')].status", 1],
      ['Paused', ".status.conditions[?(@.type=='Paused')].status", 1],
    ]);
  });

  it('lets the replica set scale like a ReplicaSet', () => {
    expect(crdVersion(VirtualMachineInstanceReplicaSetKind).subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.labelSelector',
      },
    });
  });

  it('marks the preset deprecated', () => {
    const preset = crdVersion(kinds[4]);
    expect(preset.deprecated).toBe(true);
    expect(String(preset.deprecationWarning)).toContain('deprecated');
  });

  it('keeps quantities int-or-string and requires spec', () => {
    const schema = crdSchema(VirtualMachineKind);
    expect(schema.required).toEqual(['spec']);
    expect(at(schema, 'spec.template.spec.volumes[].emptyDisk.capacity')).toMatchObject({
      'x-kubernetes-int-or-string': true,
    });
  });
});
