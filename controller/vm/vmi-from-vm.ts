/**
 * The VMI a VM starts: named after the VM, in its namespace, labels and annotations from
 * spec.template.metadata, the spec copied from spec.template.spec, owned (controller=true) by
 * the VM, carrying the VM controller's finalizer so the VM sees how it ended before it goes,
 * and the VM generation it was started from (kubevirt.io/vm-generation). Pure.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { ObjectMeta } from '../../api/k8s/meta';
import { hasStartPausedRequest } from './run-strategy';

export const VM_CONTROLLER_FINALIZER = 'kubevirt.io/virtualMachineControllerFinalize';
export const VM_GENERATION_ANNOTATION = 'kubevirt.io/vm-generation';

export function vmiFromVm(vm: VirtualMachine): VirtualMachineInstance {
  const template = (vm.spec.template.metadata ?? {}) as ObjectMeta;
  const spec = structuredClone(vm.spec.template.spec ?? { domain: { devices: {} } });
  if (hasStartPausedRequest(vm)) spec.startStrategy = 'Paused';
  const annotations: Record<string, string> = { ...(template.annotations ?? {}) };
  annotations[VM_GENERATION_ANNOTATION] = String(vm.metadata?.generation ?? 1);
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: vm.metadata?.name,
      namespace: vm.metadata?.namespace,
      ...(template.labels && Object.keys(template.labels).length ? { labels: { ...template.labels } } : {}),
      annotations,
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          name: vm.metadata?.name ?? '',
          uid: vm.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      finalizers: [VM_CONTROLLER_FINALIZER],
    },
    spec,
  };
}

/** The VM's UID when the VMI is controlled by a VM, else undefined. */
export function controllerUid(obj: { metadata?: ObjectMeta }): string | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
}
