import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import { desiredDataVolume, templateActions, volumesState } from './datavolume-templates';

const vm = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'vm1', namespace: 'ns', uid: 'vm-uid' },
  spec: {
    runStrategy: 'Halted',
    template: { spec: { domain: { devices: {} } } },
    dataVolumeTemplates: [
      {
        metadata: { name: 'root', labels: { os: 'fedora' }, annotations: { a: 'b' } },
        spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } },
      },
    ],
  },
} as unknown as VirtualMachine;

const dv = (
  phase?: string,
  owner?: { uid: string; kind: string; name: string },
  running?: { reason: string },
): DataVolume => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata: {
    name: 'root',
    namespace: 'ns',
    uid: 'dv-uid',
    ...(owner ? { ownerReferences: [{ apiVersion: 'x', ...owner, controller: true }] } : {}),
  },
  spec: {},
  status: {
    ...(phase ? { phase: phase as never } : {}),
    ...(running ? { conditions: [{ type: 'Running', status: 'False', ...running }] } : {}),
  },
});

describe('dataVolumeTemplates', () => {
  test('a template becomes a DataVolume of its name, owned by the VM, with its labels and annotations (Halted too)', () => {
    expect(desiredDataVolume(vm, vm.spec.dataVolumeTemplates![0])).toEqual({
      apiVersion: 'cdi.kubevirt.io/v1beta1',
      kind: 'DataVolume',
      metadata: {
        name: 'root',
        namespace: 'ns',
        labels: { os: 'fedora' },
        annotations: { a: 'b' },
        ownerReferences: [
          {
            apiVersion: 'kubevirt.io/v1',
            kind: 'VirtualMachine',
            name: 'vm1',
            uid: 'vm-uid',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } },
    });
    expect(templateActions(vm, () => undefined)[0].action).toBe('create');
  });

  test('ours: nothing; an orphan: adopted; another controller: a conflict naming both and the fix', () => {
    expect(
      templateActions(vm, () => dv('Succeeded', { uid: 'vm-uid', kind: 'VirtualMachine', name: 'vm1' }))[0]
        .action,
    ).toBe('none');
    expect(templateActions(vm, () => dv('Succeeded'))[0].action).toBe('adopt');
    const c = templateActions(vm, () =>
      dv('Succeeded', { uid: 'other', kind: 'VirtualMachine', name: 'vm2' }),
    )[0];
    expect(c.action).toBe('conflict');
    expect(c.action === 'conflict' && c.message).toMatch(
      /DataVolume ns\/root \(spec.dataVolumeTemplates\[0\] of VirtualMachine ns\/vm1\) exists and is controlled by VirtualMachine vm2; rename/,
    );
  });

  test("KubeVirt's rules: Provisioning once the claim is Bound and until Succeeded; WaitingForVolumeBinding while a claim is not Bound; DataVolumeError", () => {
    const withVolumes = {
      ...vm,
      spec: {
        ...vm.spec,
        template: {
          spec: {
            domain: { devices: {} },
            volumes: [
              { name: 'root', dataVolume: { name: 'root' } },
              { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
            ],
          },
        },
      },
    } as unknown as VirtualMachine;
    const bound = (phase: string, running?: { reason: string }): DataVolume => {
      const d = dv(phase, undefined, running);
      return {
        ...d,
        status: {
          ...d.status,
          conditions: [...(d.status?.conditions ?? []), { type: 'Bound', status: 'True' }],
        },
      } as DataVolume;
    };
    const state = (root: DataVolume | undefined, claims: Record<string, string>) =>
      volumesState(
        withVolumes,
        () => root,
        (n) => claims[n],
      );
    expect(state(bound('ImportInProgress'), { root: 'Bound', data: 'Bound' })).toEqual({
      provisioning: true,
      waitingForBinding: false,
      error: false,
    });
    // Not Bound yet (WaitForFirstConsumer, or a claim waiting for its volume): not provisioning,
    // waiting for binding.
    expect(state(dv('WaitForFirstConsumer'), { root: 'Pending', data: 'Bound' })).toEqual({
      provisioning: false,
      waitingForBinding: true,
      error: false,
    });
    expect(state(bound('Succeeded'), { root: 'Bound', data: 'Pending' })).toEqual({
      provisioning: false,
      waitingForBinding: true,
      error: false,
    });
    // A claim that does not exist is not waited for here (ErrorPvcNotFound says it).
    expect(state(undefined, {})).toEqual({ provisioning: false, waitingForBinding: false, error: false });
    expect(state(bound('ImportInProgress', { reason: 'Error' }), { root: 'Bound' })).toMatchObject({
      provisioning: false,
      error: true,
    });
    expect(state(dv('Failed'), { root: 'Bound' })).toMatchObject({ error: true });
  });
});
