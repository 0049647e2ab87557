/** The VirtualMachineInstance kind (vmi, vmis). */
import { defineKind } from '../../kind';
import type { ObjectMeta } from '../../k8s/meta';
import { AGE_COLUMN, conditionColumn } from '../../crd/columns';
import { KUBEVIRT_GROUP, KUBEVIRT_VERSION } from './group';
import { VirtualMachineInstanceSpec } from './vmi';
import { VirtualMachineInstanceStatus } from './vmi-status';
import { vmiRules } from './rules';

export const VirtualMachineInstanceKind = defineKind({
  group: KUBEVIRT_GROUP,
  version: KUBEVIRT_VERSION,
  kind: 'VirtualMachineInstance',
  plural: 'virtualmachineinstances',
  singular: 'virtualmachineinstance',
  shortNames: ['vmi', 'vmis'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A running virtual machine: one guest in one launcher pod, from scheduling to shutdown.',
  fields: { spec: VirtualMachineInstanceSpec, status: VirtualMachineInstanceStatus },
  requiredFields: ['spec'],
  printerColumns: [
    AGE_COLUMN,
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'IP', type: 'string', jsonPath: '.status.interfaces[0].ipAddress' },
    { name: 'NodeName', type: 'string', jsonPath: '.status.nodeName' },
    conditionColumn('Ready'),
    conditionColumn('Live-Migratable', { type: 'LiveMigratable', priority: 1 }),
    conditionColumn('Paused', { priority: 1 }),
  ],
  // KubeVirt serves VMIs without a status subresource (its components write spec and
  // status in one update). virtkit adds it: the runtime writes status through /status, so
  // a user's spec edit can never clobber observed state, and only virtkit writes VMI status.
  subresources: { status: true },
  rules: vmiRules,
});

export type VirtualMachineInstance = {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachineInstance';
  metadata?: ObjectMeta;
  spec: VirtualMachineInstanceSpec;
  status?: VirtualMachineInstanceStatus;
};
