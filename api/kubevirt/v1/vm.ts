// PLACEHOLDER: replaced by the full VM definition (owner: api-vmi helper).
import { Obj, type Static } from '../../schema/dsl';
import { VirtualMachineInstanceTemplateSpec } from './vmi';

export const VirtualMachineSpec = Obj('Specification of a virtual machine.', {
  template: VirtualMachineInstanceTemplateSpec,
});
export type VirtualMachineSpec = Static<typeof VirtualMachineSpec>;
