import type { VirtualMachine } from '../../api/kubevirt/v1';
import {
  definitionOf,
  instancetypeRevision,
  instancetypeRevisionName,
  objectOfRevision,
  planStatusRef,
  type InstancetypeObject,
} from './instancetype-revision';

const u1small: InstancetypeObject = {
  apiVersion: 'instancetype.kubevirt.io/v1beta1',
  kind: 'VirtualMachineClusterInstancetype',
  metadata: {
    name: 'u1.small',
    uid: '6f1c0b9e-1111-2222-3333-444455556666',
    generation: 2,
    resourceVersion: '812',
    labels: { 'instancetype.kubevirt.io/vendor': 'kubevirt.io' },
    annotations: { note: 'x' },
    managedFields: [{ manager: 'kubectl' }] as never,
  },
  spec: { cpu: { guest: 1 }, memory: { guest: '2Gi' } },
};

function vm(
  spec: Partial<VirtualMachine['spec']> = {},
  status: VirtualMachine['status'] = {},
): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'ns', uid: 'vm-uid', generation: 1 },
    spec: { template: { spec: { domain: { devices: {} } } }, ...spec },
    status,
  };
}

describe('instancetype revisions (KubeVirt format)', () => {
  test('named <vm>-<object>-<version>-<uid>-<generation>', () => {
    expect(instancetypeRevisionName('web', u1small)).toBe(
      'web-u1.small-v1beta1-6f1c0b9e-1111-2222-3333-444455556666-2',
    );
  });

  test('owned by the VM, labelled with the object, holding the object without labels, annotations, managed fields', () => {
    const built = instancetypeRevision(vm({ instancetype: { name: 'u1.small' } }), u1small);
    if ('error' in built) throw new Error(built.error);
    const r = built.revision;
    expect(r).toMatchObject({ apiVersion: 'apps/v1', kind: 'ControllerRevision', revision: 0 });
    expect(r.metadata).toEqual({
      name: 'web-u1.small-v1beta1-6f1c0b9e-1111-2222-3333-444455556666-2',
      namespace: 'ns',
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          name: 'web',
          uid: 'vm-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      labels: {
        'instancetype.kubevirt.io/object-generation': '2',
        'instancetype.kubevirt.io/object-kind': 'VirtualMachineClusterInstancetype',
        'instancetype.kubevirt.io/object-name': 'u1.small',
        'instancetype.kubevirt.io/object-uid': '6f1c0b9e-1111-2222-3333-444455556666',
        'instancetype.kubevirt.io/object-version': 'v1beta1',
      },
    });
    expect(r.data).toEqual({
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineClusterInstancetype',
      metadata: {
        name: 'u1.small',
        uid: '6f1c0b9e-1111-2222-3333-444455556666',
        generation: 2,
        resourceVersion: '812',
      },
      spec: { cpu: { guest: 1 }, memory: { guest: '2Gi' } },
    });
  });

  test('a name longer than the API server takes is an error naming both objects and the fix', () => {
    const built = instancetypeRevision(
      { ...vm(), metadata: { name: 'v'.repeat(240), namespace: 'ns' } },
      u1small,
    );
    expect('error' in built && built.error).toMatch(
      /ControllerRevision name for VirtualMachineClusterInstancetype u1.small of VirtualMachine v+ would be \d+ characters \(at most 253\): shorten/,
    );
  });

  test('a revision is read back only for the field whose kinds it holds', () => {
    const built = instancetypeRevision(vm(), u1small);
    if ('error' in built) throw new Error(built.error);
    expect(objectOfRevision(built.revision, 'instancetype')).toEqual({ object: built.revision.data });
    expect(objectOfRevision(built.revision, 'preference')).toEqual({
      error: expect.stringContaining(
        'holds instancetype.kubevirt.io/v1beta1 VirtualMachineClusterInstancetype; spec.preference needs a instancetype.kubevirt.io/v1beta1 VirtualMachinePreference or VirtualMachineClusterPreference',
      ),
    });
    expect(objectOfRevision({ metadata: { name: 'x' }, data: { spec: 1 } }, 'instancetype')).toHaveProperty(
      'error',
    );
  });

  test('kinds resolve as KubeVirt matches them: any case, singular or plural, none = cluster-wide', () => {
    expect(definitionOf('instancetype', undefined)?.kind).toBe('VirtualMachineClusterInstancetype');
    expect(definitionOf('instancetype', 'virtualmachineinstancetypes')?.kind).toBe(
      'VirtualMachineInstancetype',
    );
    expect(definitionOf('preference', 'VirtualMachinePreference')?.kind).toBe('VirtualMachinePreference');
    expect(definitionOf('preference', 'Nope')).toBeUndefined();
  });
});

describe('status refs: captured once per matcher', () => {
  test('a new matcher is recorded with its resolved kind and asks for a copy', () => {
    expect(planStatusRef(vm({ instancetype: { name: 'u1.small' } }), 'instancetype')).toEqual({
      ref: { name: 'u1.small', kind: 'VirtualMachineClusterInstancetype' },
      capture: true,
    });
    expect(planStatusRef(vm(), 'instancetype')).toBeUndefined();
  });

  test('an unchanged matcher keeps its revision (edits of the instancetype object never reach the VM)', () => {
    const ref = {
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype' as const,
      controllerRevisionRef: { name: 'web-u1.small-v1beta1-uid-1' },
    };
    expect(
      planStatusRef(vm({ instancetype: { name: 'u1.small' } }, { instancetypeRef: ref }), 'instancetype'),
    ).toEqual({
      ref,
      capture: false,
    });
    // The same kind written another way is the same matcher.
    expect(
      planStatusRef(
        vm(
          { instancetype: { name: 'u1.small', kind: 'virtualmachineclusterinstancetypes' } },
          { instancetypeRef: ref },
        ),
        'instancetype',
      ),
    ).toEqual({ ref, capture: false });
  });

  test('another name or kind drops the revision and takes a new copy', () => {
    const ref = {
      name: 'u1.small',
      kind: 'VirtualMachineClusterInstancetype' as const,
      controllerRevisionRef: { name: 'old' },
    };
    expect(
      planStatusRef(vm({ instancetype: { name: 'u1.large' } }, { instancetypeRef: ref }), 'instancetype'),
    ).toEqual({
      ref: { name: 'u1.large', kind: 'VirtualMachineClusterInstancetype' },
      capture: true,
    });
    expect(
      planStatusRef(
        vm(
          { instancetype: { name: 'u1.small', kind: 'VirtualMachineInstancetype' } },
          { instancetypeRef: ref },
        ),
        'instancetype',
      ),
    ).toEqual({ ref: { name: 'u1.small', kind: 'VirtualMachineInstancetype' }, capture: true });
  });

  test('a revisionName the user wrote is used as it is', () => {
    expect(
      planStatusRef(vm({ preference: { name: 'linux', revisionName: 'copied-rev' } }), 'preference'),
    ).toEqual({
      ref: {
        name: 'linux',
        kind: 'VirtualMachineClusterPreference',
        controllerRevisionRef: { name: 'copied-rev' },
      },
      capture: false,
    });
  });
});
