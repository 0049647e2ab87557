/** The VirtualMachine kind (vm, vms). */
import { defineKind } from '../../kind';
import type { ObjectMeta } from '../../k8s/meta';
import { AGE_COLUMN, conditionColumn } from '../../crd/columns';
import { KUBEVIRT_GROUP, KUBEVIRT_VERSION } from './group';
import { VirtualMachineSpec } from './vm';
import { VirtualMachineStatus } from './vm-status';
import { vmRules } from './rules';

export const VirtualMachineKind = defineKind({
  group: KUBEVIRT_GROUP,
  version: KUBEVIRT_VERSION,
  kind: 'VirtualMachine',
  plural: 'virtualmachines',
  singular: 'virtualmachine',
  shortNames: ['vm', 'vms'],
  categories: ['all'],
  scope: 'Namespaced',
  description:
    'A virtual machine: a VMI template plus the decision of when an instance of it should run. Stopped VMs keep their definition and storage.',
  fields: { spec: VirtualMachineSpec, status: VirtualMachineStatus },
  requiredFields: ['spec'],
  printerColumns: [
    AGE_COLUMN,
    {
      name: 'Status',
      type: 'string',
      jsonPath: '.status.printableStatus',
      description: 'Human-readable status of the virtual machine.',
    },
    conditionColumn('Ready'),
  ],
  subresources: { status: true },
  rules: vmRules,
});

export type VirtualMachine = {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachine';
  metadata?: ObjectMeta;
  spec: VirtualMachineSpec;
  status?: VirtualMachineStatus;
};
