/** Renders a VirtualMachineSpec: shared by VirtualMachine and the VM template of a pool. */
import type { VirtualMachineSpec } from '../../api/kubevirt/v1';
import { dropUndefined, nonEmpty } from '../core/compact';
import type { InstancetypeRef, PreferenceRef } from './instancetype-ref';
import { renderVmiTemplate, type VmiTemplateState } from './template-render';

/** The VM-level state around a VMI template. */
export interface VmState {
  readonly runStrategy: string;
  readonly instancetype?: InstancetypeRef;
  readonly preference?: PreferenceRef;
  readonly template: VmiTemplateState;
}

export function renderVmSpec(s: VmState, ownerName: string): VirtualMachineSpec {
  const { template, dataVolumeTemplates } = renderVmiTemplate(s.template, ownerName);
  return dropUndefined({
    runStrategy: s.runStrategy as VirtualMachineSpec['runStrategy'],
    instancetype: s.instancetype?.render(),
    preference: s.preference?.render(),
    dataVolumeTemplates: nonEmpty(dataVolumeTemplates),
    template,
  });
}
