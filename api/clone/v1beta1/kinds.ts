/** Kind definition of clone.kubevirt.io/v1beta1 VirtualMachineClone. */
import { defineKind } from '../../kind';
import { VirtualMachineCloneSpec, VirtualMachineCloneStatus } from './clone';
import { cloneRules } from './rules';

export const VirtualMachineCloneKind = defineKind({
  group: 'clone.kubevirt.io',
  version: 'v1beta1',
  kind: 'VirtualMachineClone',
  plural: 'virtualmachineclones',
  singular: 'virtualmachineclone',
  shortNames: ['vmclone', 'vmclones'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A request to create a new VirtualMachine from an existing VM or VM snapshot.',
  fields: { spec: VirtualMachineCloneSpec, status: VirtualMachineCloneStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'SourceVirtualMachine', type: 'string', jsonPath: '.spec.source.name' },
    { name: 'TargetVirtualMachine', type: 'string', jsonPath: '.spec.target.name' },
  ],
  rules: cloneRules,
});
