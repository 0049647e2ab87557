import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import { describeReference, resolveReference } from './references';
import { vmWith } from './fixtures';

function withMatchers(instancetype?: object, preference?: object): VirtualMachine {
  const vm = vmWith({}, {});
  if (instancetype) vm.spec.instancetype = instancetype;
  if (preference) vm.spec.preference = preference;
  return vm;
}

describe('which object a matcher names', () => {
  test.each([
    [undefined, 'VirtualMachineClusterInstancetype', undefined],
    ['VirtualMachineClusterInstancetype', 'VirtualMachineClusterInstancetype', undefined],
    ['virtualmachineclusterinstancetypes', 'VirtualMachineClusterInstancetype', undefined],
    ['VirtualMachineInstancetype', 'VirtualMachineInstancetype', 'ns'],
    ['virtualmachineinstancetypes', 'VirtualMachineInstancetype', 'ns'],
    ['VIRTUALMACHINEINSTANCETYPE', 'VirtualMachineInstancetype', 'ns'],
  ])('instancetype kind %p is a %s', (kind, resolved, namespace) => {
    const { ref } = resolveReference(withMatchers({ name: 'u1.small', kind }), 'instancetype');
    expect(ref?.definition.kind).toBe(resolved);
    expect(ref?.namespace).toBe(namespace);
    expect(ref?.name).toBe('u1.small');
  });

  test.each([
    [undefined, 'VirtualMachineClusterPreference'],
    ['VirtualMachinePreference', 'VirtualMachinePreference'],
    ['virtualmachineclusterpreferences', 'VirtualMachineClusterPreference'],
  ])('preference kind %p is a %s', (kind, resolved) => {
    expect(
      resolveReference(withMatchers(undefined, { name: 'linux', kind }), 'preference').ref?.definition.kind,
    ).toBe(resolved);
  });

  test('an unknown kind is refused in KubeVirt’s words, with the fix', () => {
    expect(resolveReference(withMatchers({ name: 'x', kind: 'Flavor' }), 'instancetype').error).toBe(
      'got unexpected kind in InstancetypeMatcher: Flavor; set spec.instancetype.kind to VirtualMachineClusterInstancetype (the default) or VirtualMachineInstancetype',
    );
    expect(
      resolveReference(
        withMatchers(undefined, { name: 'x', kind: 'VirtualMachineInstancetype' }),
        'preference',
      ).error,
    ).toMatch(/^got unexpected kind in PreferenceMatcher: VirtualMachineInstancetype;/);
  });

  test('a matcher without a name is refused, saying that inference is not done', () => {
    expect(resolveReference(withMatchers({ inferFromVolume: 'root' }), 'instancetype').error).toBe(
      'spec.instancetype.name is empty (virtkit does not infer it from volume "root" yet); set spec.instancetype.name to the VirtualMachineClusterInstancetype to use',
    );
  });

  test('no matcher, no reference', () => {
    expect(resolveReference(withMatchers(), 'instancetype')).toEqual({});
  });

  test('a namespaced kind needs a namespace: the VM’s, or the one given', () => {
    const vm = withMatchers({ name: 'x', kind: 'VirtualMachineInstancetype' });
    delete vm.metadata?.namespace;
    expect(resolveReference(vm, 'instancetype').error).toMatch(/has no namespace; set metadata.namespace$/);
    expect(resolveReference(vm, 'instancetype', 'other').ref?.namespace).toBe('other');
  });

  test('described for messages', () => {
    const { ref } = resolveReference(
      withMatchers({ name: 'mine', kind: 'VirtualMachineInstancetype' }),
      'instancetype',
    );
    expect(describeReference(ref!)).toBe('VirtualMachineInstancetype "mine" in namespace ns');
  });
});
