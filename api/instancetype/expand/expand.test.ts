import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { expandVirtualMachine, expansionProblems, type ExpansionResult } from './expand';
import { instancetype, vmWith } from './fixtures';

const expandedVm = (r: ExpansionResult): VirtualMachine => {
  if (!r.ok) throw new Error(r.message);
  return r.vm;
};

describe('a VM without instancetype or preference', () => {
  test('comes back as it is (a copy), whatever specs are passed', () => {
    const vm = vmWith({ domain: { devices: {}, cpu: { sockets: 4 } } }, {});
    const result = expandVirtualMachine(vm, {
      instancetype: instancetype(),
      preference: { preferredSubdomain: 'x' },
    });
    expect(result).toEqual({ ok: true, vm });
    expect(expandedVm(result)).not.toBe(vm);
    expect(expansionProblems(vm, {})).toEqual([]);
  });
});

describe('the expanded VM, as KubeVirt’s expand-spec returns it', () => {
  const preference: VirtualMachinePreferenceSpec = {
    cpu: { preferredCPUTopology: 'cores' },
    devices: { preferredDiskBus: 'virtio', preferredInterfaceModel: 'virtio' },
    preferredTerminationGracePeriodSeconds: 60,
  };

  test('the instancetype’s sizes, the preference’s topology and defaults, the matchers removed', () => {
    const vm = vmWith({
      domain: { devices: { disks: [{ name: 'root' }] } },
      volumes: [
        { name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config' } },
      ],
    });
    vm.status = { printableStatus: 'Stopped' };
    const out = expandedVm(expandVirtualMachine(vm, { instancetype: instancetype(4, '4Gi'), preference }));
    expect(out.spec.instancetype).toBeUndefined();
    expect(out.spec.preference).toBeUndefined();
    expect(out.metadata).toEqual(vm.metadata);
    expect(out.status).toEqual({ printableStatus: 'Stopped' });
    expect(out.spec.runStrategy).toBe('Halted');
    expect(out.spec.template.spec).toEqual({
      domain: {
        cpu: { sockets: 1, cores: 4, threads: 1 },
        memory: { guest: '4Gi' },
        devices: {
          // The volume without a disk gets one, and both take the preferred bus.
          disks: [
            { name: 'root', disk: { bus: 'virtio' } },
            { name: 'cloudinit', disk: { bus: 'virtio' } },
          ],
          // The implicit pod interface, made explicit so the preferred model reaches it.
          interfaces: [{ name: 'default', masquerade: {}, model: 'virtio' }],
        },
      },
      networks: [{ name: 'default', pod: {} }],
      volumes: vm.spec.template.spec!.volumes,
      terminationGracePeriodSeconds: 60,
    });
  });

  test('the inputs are never modified', () => {
    const vm = vmWith({
      domain: { devices: { disks: [{ name: 'root' }] } },
      volumes: [{ name: 'root', emptyDisk: { capacity: '1Gi' } }],
    });
    vm.spec.template.metadata = { annotations: { a: '1' } };
    vm.spec.dataVolumeTemplates = [{ metadata: { name: 'dv' }, spec: { storage: {} } }];
    const it = instancetype(2, '2Gi', { annotations: { b: '2' }, nodeSelector: { z: 'a' } });
    const pref: VirtualMachinePreferenceSpec = {
      ...preference,
      volumes: { preferredStorageClassName: 'fast' },
    };
    const before = structuredClone({ vm, it, pref });
    expandVirtualMachine(vm, { instancetype: it, preference: pref });
    expandVirtualMachine(vm, { instancetype: it, preference: pref }, { checkRequirements: true });
    expansionProblems(vm, { instancetype: it, preference: pref });
    expect({ vm, it, pref }).toEqual(before);
    // A refused expansion leaves them alone too.
    const conflicting = vmWith({ domain: { devices: {}, cpu: { sockets: 2 } } });
    const saved = structuredClone(conflicting);
    expect(expandVirtualMachine(conflicting, { instancetype: it }).ok).toBe(false);
    expect(conflicting).toEqual(saved);
  });

  test('only a preference: no topology, no sizes, just the preferred values', () => {
    const vm = vmWith({ domain: { devices: {}, memory: { guest: '1Gi' } } }, { preference: true });
    const out = expandedVm(expandVirtualMachine(vm, { preference }));
    expect(out.spec.template.spec?.domain.cpu).toBeUndefined();
    expect(out.spec.template.spec?.domain.memory).toEqual({ guest: '1Gi' });
    expect(out.spec.template.spec?.terminationGracePeriodSeconds).toBe(60);
  });

  test('autoattachPodInterface: false, or networks of the VM’s own, mean no implicit interface', () => {
    const off = vmWith({ domain: { devices: { autoattachPodInterface: false } } }, { instancetype: true });
    expect(
      expandedVm(expandVirtualMachine(off, { instancetype: instancetype() })).spec.template.spec?.networks,
    ).toBeUndefined();
    const own = vmWith(
      {
        domain: { devices: { interfaces: [{ name: 'n', bridge: {} }] } },
        networks: [{ name: 'n', multus: { networkName: 'nad' } }],
      },
      { instancetype: true },
    );
    expect(
      expandedVm(expandVirtualMachine(own, { instancetype: instancetype() })).spec.template.spec?.networks,
    ).toEqual([{ name: 'n', multus: { networkName: 'nad' } }]);
  });

  test('a template without a spec gets the instancetype’s', () => {
    const vm = vmWith({}, { instancetype: true });
    delete vm.spec.template.spec;
    expect(
      expandedVm(expandVirtualMachine(vm, { instancetype: instancetype(1, '1Gi') })).spec.template.spec
        ?.domain,
    ).toEqual({
      cpu: { sockets: 1, cores: 1, threads: 1 },
      memory: { guest: '1Gi' },
      devices: { interfaces: [{ name: 'default', masquerade: {} }] },
    });
  });
});

describe('references the caller did not resolve', () => {
  test('are refused, naming the object', () => {
    expect(expandVirtualMachine(vmWith(), { instancetype: instancetype() })).toEqual({
      ok: false,
      message: 'the VirtualMachineClusterPreference "linux" referenced by spec.preference was not resolved',
      problems: [
        {
          kind: 'Unresolved',
          field: 'spec.preference',
          summary:
            'the VirtualMachineClusterPreference "linux" referenced by spec.preference was not resolved',
          message:
            'the VirtualMachineClusterPreference "linux" referenced by spec.preference was not resolved; create it or fix spec.preference',
        },
      ],
    });
  });

  test('an unknown kind is KubeVirt’s message', () => {
    const vm = vmWith();
    vm.spec.instancetype = { name: 'x', kind: 'Flavor' };
    expect(expandVirtualMachine(vm, {})).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^got unexpected kind in InstancetypeMatcher: Flavor;/),
    });
  });
});

describe('the problems, as a list for callers that report them', () => {
  test('every conflict, and the requirement not met, each with its field', () => {
    const vm = vmWith({ domain: { devices: {}, cpu: { sockets: 2 }, memory: { guest: '1Gi' } } });
    const problems = expansionProblems(vm, {
      instancetype: instancetype(1, '512Mi'),
      preference: { requirements: { memory: { guest: '1Gi' } } },
    });
    expect(problems.map((p) => [p.kind, p.field])).toEqual([
      ['InstancetypeConflict', 'spec.template.spec.domain.cpu.sockets'],
      ['InstancetypeConflict', 'spec.template.spec.domain.memory.guest'],
      ['PreferenceRequirement', 'spec.instancetype'],
    ]);
    expect(problems[0].message).toBe(
      'VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type (the VM sets 2): the VirtualMachineClusterInstancetype "u1.small" sets spec.cpu.guest (1); remove spec.template.spec.domain.cpu.sockets from the VM, or choose an instance type that leaves spec.cpu.guest out',
    );
    expect(problems[2].message).toBe(
      'failure checking preference requirements: insufficient Memory resources of 512Mi provided by instance type, preference requires 1Gi; choose an instance type with spec.memory.guest of at least 1Gi, or another preference',
    );
  });

  test('none when the VM expands cleanly', () => {
    expect(expansionProblems(vmWith(), { instancetype: instancetype(), preference: {} })).toEqual([]);
  });
});
