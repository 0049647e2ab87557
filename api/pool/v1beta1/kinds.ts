/** Kind definition of pool.kubevirt.io/v1beta1 VirtualMachinePool. */
import { defineKind } from '../../kind';
import type { KindFields } from '../../snapshot/v1beta1/support';
import { VirtualMachinePoolSpec, VirtualMachinePoolStatus } from './pool';
import { poolRules } from './rules';

export const VirtualMachinePoolKind = defineKind<KindFields>({
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
      description: 'Number of desired VirtualMachines',
    },
    {
      name: 'Current',
      type: 'integer',
      jsonPath: '.status.replicas',
      description: 'Number of managed VirtualMachines that are not being deleted',
    },
    {
      name: 'Ready',
      type: 'integer',
      jsonPath: '.status.readyReplicas',
      description: 'Number of managed VirtualMachines that are Ready',
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  rules: poolRules,
});
