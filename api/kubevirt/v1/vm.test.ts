import { parse, stringify } from 'yaml';
import { validateAs } from '../../validation/validate';
import { crdSchema } from '../../testing/crd-kit';
import { VirtualMachineKind, type VirtualMachine } from './vm-kind';
import { fixtureText, loadFixture } from './fixtures/load';
import { leafPaths, pruneObject } from './fixtures/prune';

describe('VirtualMachine: a rich KubeVirt manifest', () => {
  const vm = loadFixture<VirtualMachine>('vm-rich.yaml');

  it('validates with no schema issue', () => {
    expect(validateAs(VirtualMachineKind, vm, { schemaOnly: true })).toEqual([]);
  });

  it('survives parse, typing and stringify without losing or renaming a field', () => {
    const typed: VirtualMachine = parse(fixtureText('vm-rich.yaml')) as VirtualMachine;
    const again = parse(stringify(typed)) as unknown;
    expect(again).toEqual(vm);
    expect(leafPaths(again)).toEqual(leafPaths(vm));
  });

  it('keeps every field under the CRD schema (nothing would be pruned by the API server)', () => {
    const kept = pruneObject(crdSchema(VirtualMachineKind), vm as unknown as Record<string, unknown>);
    expect(leafPaths(kept)).toEqual(leafPaths(vm));
    expect(kept).toEqual(vm);
  });

  it('exposes the fields a user reads through the TypeScript type', () => {
    expect(vm.spec.runStrategy).toBe('RerunOnFailure');
    expect(vm.spec.template.spec?.networks?.[1].multus?.networkName).toBe('storage/storage-vlan');
    expect(vm.spec.template.spec?.volumes?.[2].cloudInitNoCloud?.userData).toContain('#cloud-config');
    expect(vm.status?.printableStatus).toBe('Running');
  });

  it('accepts the deprecated running field on its own, as KubeVirt does', () => {
    const legacy = { ...vm, spec: { running: true, template: vm.spec.template } };
    expect(validateAs(VirtualMachineKind, legacy, { schemaOnly: true })).toEqual([]);
  });
});
