/**
 * The VirtualMachineInstancePreset kind (vmipreset, vmipresets). Deprecated by KubeVirt
 * in favour of instance types and preferences; virtkit serves the schema only.
 */
import { Obj, Opt, type Static } from '../../schema/dsl';
import { defineKind } from '../../kind';
import { LabelSelector, type ObjectMeta } from '../../k8s/meta';
import { KUBEVIRT_GROUP, KUBEVIRT_VERSION } from './group';
import { DomainSpec } from './domain';

export const VirtualMachineInstancePresetSpec = Obj(
  'Domain settings applied to every VMI the selector matches.',
  {
    selector: LabelSelector,
    domain: Opt(DomainSpec),
  },
);
export type VirtualMachineInstancePresetSpec = Static<typeof VirtualMachineInstancePresetSpec>;

export const VirtualMachineInstancePresetKind = defineKind({
  group: KUBEVIRT_GROUP,
  version: KUBEVIRT_VERSION,
  kind: 'VirtualMachineInstancePreset',
  plural: 'virtualmachineinstancepresets',
  singular: 'virtualmachineinstancepreset',
  shortNames: ['vmipreset', 'vmipresets'],
  categories: ['all'],
  scope: 'Namespaced',
  description:
    'Deprecated: domain settings merged into matching VMIs. Use instance types and preferences instead.',
  fields: { spec: VirtualMachineInstancePresetSpec },
  deprecated:
    'kubevirt.io/v1 VirtualMachineInstancePreset is deprecated and will be removed in v2; use instance types and preferences instead.',
});

export type VirtualMachineInstancePreset = {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachineInstancePreset';
  metadata?: ObjectMeta;
  spec?: VirtualMachineInstancePresetSpec;
};
