/** Kind definition of pool.kubevirt.io/v1beta1 VirtualMachinePool. */
import { defineKind } from '../../kind';
import { AGE_COLUMN } from '../../crd/columns';
import { VirtualMachinePoolSpec, VirtualMachinePoolStatus } from './pool';
import { poolRules } from './rules';

export const VirtualMachinePoolKind = defineKind({
  group: 'pool.kubevirt.io',
  version: 'v1beta1',
  kind: 'VirtualMachinePool',
  plural: 'virtualmachinepools',
  singular: 'virtualmachinepool',
  shortNames: ['vmpool', 'vmpools'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A scalable set of VirtualMachines created from one template.',
  fields: { spec: VirtualMachinePoolSpec, status: VirtualMachinePoolStatus },
  requiredFields: ['spec'],
  subresources: {
    status: true,
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.labelSelector',
    },
  },
  printerColumns: [
    {
      name: 'Desired',
      type: 'integer',
      jsonPath: '.spec.replicas',
      description: 'How many VMs the pool should have.',
    },
    {
      name: 'Current',
      type: 'integer',
      jsonPath: '.status.replicas',
      description: 'How many of the pool VMs exist and are not being deleted.',
    },
    {
      name: 'Ready',
      type: 'integer',
      jsonPath: '.status.readyReplicas',
      description: 'How many of the pool VMs report Ready.',
    },
    AGE_COLUMN,
  ],
  rules: poolRules,
});
