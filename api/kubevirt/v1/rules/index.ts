/** KubeVirt's admission rules for kubevirt.io/v1 kinds, shared by every entry point. */
import { defineRule, type Rule } from '../../../validation/rule';
import { dig } from '../../../validation/readers';
import { checkVmiSpec } from './vmi-spec';
import { checkVmSpec } from './vm';

export {
  checkVmiSpec,
  VOLUME_SOURCES,
  INTERFACE_BINDINGS,
  DISK_BUSES,
  CLOUD_INIT_MAX_BYTES,
} from './vmi-spec';
export { checkVmSpec, checkRunStrategy, RUN_STRATEGIES, INSTANCETYPE_OWNED_FIELDS } from './vm';

export const vmiRules: readonly Rule[] = [
  defineRule<unknown>({
    id: 'vmi.spec',
    summary: 'KubeVirt admission rules for a VirtualMachineInstance spec',
    check: (vmi) => checkVmiSpec(dig(vmi, 'spec'), 'spec'),
  }),
];

export const vmRules: readonly Rule[] = [
  defineRule<unknown>({
    id: 'vm.spec',
    summary: 'KubeVirt admission rules for a VirtualMachine spec and its template',
    check: (vm) => checkVmSpec(dig(vm, 'spec'), 'spec'),
  }),
];

/** KubeVirt's replica set admission checks its template with the VMI rules, at the template's path. */
export const replicaSetRules: readonly Rule[] = [
  defineRule<unknown>({
    id: 'vmirs.template',
    summary: 'the VMI template of a VirtualMachineInstanceReplicaSet passes the VirtualMachineInstance rules',
    check: (rs) => checkVmiSpec(dig(rs, 'spec', 'template', 'spec'), 'spec.template.spec'),
  }),
];
