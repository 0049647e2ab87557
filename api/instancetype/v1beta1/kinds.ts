/** Kind definitions of instancetype.kubevirt.io/v1beta1, with KubeVirt's names. */
import { defineKind } from '../../kind';
import { VirtualMachineInstancetypeSpec } from './instancetype';
import { VirtualMachinePreferenceSpec } from './preference';
import { instancetypeRules, preferenceRules } from './rules';

const group = 'instancetype.kubevirt.io';
const version = 'v1beta1';

export const VirtualMachineInstancetypeKind = defineKind({
  group,
  version,
  kind: 'VirtualMachineInstancetype',
  plural: 'virtualmachineinstancetypes',
  singular: 'virtualmachineinstancetype',
  shortNames: ['vminstancetype', 'vminstancetypes', 'vmf', 'vmfs'],
  categories: ['all'],
  scope: 'Namespaced',
  description:
    'Sizing (vCPUs, memory) and resource-related hardware that VMs in the namespace reference by name.',
  fields: { spec: VirtualMachineInstancetypeSpec },
  requiredFields: ['spec'],
  rules: instancetypeRules,
});

export const VirtualMachineClusterInstancetypeKind = defineKind({
  group,
  version,
  kind: 'VirtualMachineClusterInstancetype',
  plural: 'virtualmachineclusterinstancetypes',
  singular: 'virtualmachineclusterinstancetype',
  shortNames: ['vmclusterinstancetype', 'vmclusterinstancetypes', 'vmcf', 'vmcfs'],
  scope: 'Cluster',
  description: 'A cluster-wide instancetype: sizing and resource-related hardware any VM can reference.',
  fields: { spec: VirtualMachineInstancetypeSpec },
  requiredFields: ['spec'],
  rules: instancetypeRules,
});

export const VirtualMachinePreferenceKind = defineKind({
  group,
  version,
  kind: 'VirtualMachinePreference',
  plural: 'virtualmachinepreferences',
  singular: 'virtualmachinepreference',
  shortNames: ['vmpref', 'vmprefs', 'vmp', 'vmps'],
  categories: ['all'],
  scope: 'Namespaced',
  description:
    'Defaults for a guest OS (buses, firmware, features, topology) that VMs in the namespace reference by name.',
  fields: { spec: VirtualMachinePreferenceSpec },
  requiredFields: ['spec'],
  rules: preferenceRules,
});

export const VirtualMachineClusterPreferenceKind = defineKind({
  group,
  version,
  kind: 'VirtualMachineClusterPreference',
  plural: 'virtualmachineclusterpreferences',
  singular: 'virtualmachineclusterpreference',
  shortNames: ['vmcp', 'vmcps'],
  scope: 'Cluster',
  description: 'A cluster-wide preference: guest OS defaults any VM can reference.',
  fields: { spec: VirtualMachinePreferenceSpec },
  requiredFields: ['spec'],
  rules: preferenceRules,
});
