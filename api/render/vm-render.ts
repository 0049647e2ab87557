/**
 * Renders a VirtualMachineSpec: shared by the VirtualMachine construct, the VM template of a
 * pool and the Pulumi VirtualMachine component.
 */
import type { VirtualMachineSpec } from '../kubevirt/v1';
import { dropUndefined, nonEmpty } from './compact';
import type { InstancetypeRef, PreferenceRef } from './instancetype-ref';
import { plainSorted } from './plain-json';
import { renderVmiTemplate, stateFromProps, type VmiTemplateState } from './template-render';
import { RunStrategy, type VirtualMachineSpecProps } from './vm-props';

/** The VM-level state around a VMI template. */
export interface VmState {
  readonly runStrategy: string;
  readonly instancetype?: InstancetypeRef;
  readonly preference?: PreferenceRef;
  readonly template: VmiTemplateState;
}

/**
 * The VM-level state of `props` around `template` (a construct passes the template state its
 * add* methods keep changing). The one place where a missing run strategy becomes Always.
 */
export function vmStateFromProps(props: VirtualMachineSpecProps, template: VmiTemplateState): VmState {
  return {
    runStrategy: props.runStrategy ?? RunStrategy.ALWAYS,
    instancetype: props.instancetype,
    preference: props.preference,
    template,
  };
}

export function renderVmSpec(s: VmState, ownerName: string): VirtualMachineSpec {
  const { template, dataVolumeTemplates } = renderVmiTemplate(s.template, ownerName);
  return dropUndefined({
    runStrategy: s.runStrategy as VirtualMachineSpec['runStrategy'],
    instancetype: s.instancetype?._render(),
    preference: s.preference?._render(),
    dataVolumeTemplates: nonEmpty(dataVolumeTemplates),
    template,
  });
}

/**
 * The spec of a VirtualMachine named `ownerName` (owned DataVolumes are named
 * `<ownerName>-<disk>`), straight from the typed props, in canonical form: keys sorted, as
 * cdk8s synth writes them. The Pulumi component sends this, so a VM declared with the same
 * props through either front end has byte-identical specs.
 */
export function renderVirtualMachineSpec(
  props: VirtualMachineSpecProps,
  ownerName: string,
): VirtualMachineSpec {
  const spec = renderVmSpec(vmStateFromProps(props, stateFromProps(props)), ownerName);
  return plainSorted(spec) ?? spec;
}
