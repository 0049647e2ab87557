// PLACEHOLDER: replaced by the full VMI definition (owner: api-vmi helper).
import { Obj, Opt, Type, type Static } from '../../schema/dsl';
import { ObjectMeta } from '../../k8s/meta';
import { DomainSpec } from './domain';

export const VirtualMachineInstanceSpec = Obj('Specification of a virtual machine instance.', {
  domain: DomainSpec,
});
export type VirtualMachineInstanceSpec = Static<typeof VirtualMachineInstanceSpec>;

export const VirtualMachineInstanceTemplateSpec = Obj('Template for a VirtualMachineInstance.', {
  metadata: Opt(ObjectMeta),
  spec: Opt(VirtualMachineInstanceSpec),
});
export type VirtualMachineInstanceTemplateSpec = Static<typeof VirtualMachineInstanceTemplateSpec>;

export const VirtualMachineInstanceStatus = Obj('Observed state of a virtual machine instance.', {
  phase: Opt(Type.String({ description: 'Phase.' })),
});
