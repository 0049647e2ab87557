/** Small VMs, instancetypes and preferences the expansion's tests build on. */
import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachineInstancetypeSpec } from '../v1beta1/instancetype';

/** A VM in namespace `ns` referencing the cluster instancetype `u1.small` and preference `linux`. */
export function vmWith(
  template: Partial<VirtualMachineInstanceSpec> = {},
  refs: { instancetype?: boolean; preference?: boolean } = { instancetype: true, preference: true },
): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      runStrategy: 'Halted',
      ...(refs.instancetype ? { instancetype: { name: 'u1.small' } } : {}),
      ...(refs.preference ? { preference: { name: 'linux' } } : {}),
      template: {
        spec: {
          ...template,
          domain: { devices: {}, ...template.domain },
        },
      },
    },
  };
}

/** An instancetype of `guest` vCPUs and `memory`, plus `extra`. */
export function instancetype(
  guest = 2,
  memory = '2Gi',
  extra: Partial<VirtualMachineInstancetypeSpec> = {},
): VirtualMachineInstancetypeSpec {
  return { ...extra, cpu: { guest, ...extra.cpu }, memory: { guest: memory, ...extra.memory } };
}
