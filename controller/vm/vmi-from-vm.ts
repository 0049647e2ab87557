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

/** The VM as the controller of what it owns (its VMI, its ControllerRevisions). */
export function vmControllerRef(vm: VirtualMachine): NonNullable<ObjectMeta['ownerReferences']>[number] {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    name: vm.metadata?.name ?? '',
    uid: vm.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

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
      ownerReferences: [vmControllerRef(vm)],
      finalizers: [VM_CONTROLLER_FINALIZER],
    },
    spec,
  };
}

/**
 * KubeVirt's annotations naming the instancetype and preference a VMI was built with
 * (`kubevirt.io/cluster-instancetype-name`, `kubevirt.io/instancetype-name`, and the same for
 * preferences), from the VM's matchers; a matcher without a kind names a cluster-wide object.
 */
export function instancetypeAnnotations(vm: VirtualMachine): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (field: 'instancetype' | 'preference'): void => {
    const m = vm.spec?.[field];
    if (!m?.name) return;
    const kind = (m.kind ?? '').toLowerCase();
    const namespaced = kind === `virtualmachine${field}` || kind === `virtualmachine${field}s`;
    out[`kubevirt.io/${namespaced ? '' : 'cluster-'}${field}-name`] = m.name;
  };
  put('instancetype');
  put('preference');
  return out;
}

/** The VM's UID when the VMI is controlled by a VM, else undefined. */
export function controllerUid(obj: { metadata?: ObjectMeta }): string | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
}
