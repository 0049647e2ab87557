/** clone.kubevirt.io/v1beta1 VirtualMachineClone: copy a VM (or a VM snapshot) into a new VM. */
import {
  Obj,
  Opt,
  Str,
  Enum,
  OpenEnum,
  List,
  StringList,
  StringMap,
  Timestamp,
  Type,
  type Static,
} from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { TypedLocalObjectReference } from '../../k8s/storage';
import { NullableStr, OperationCondition } from '../../snapshot/v1beta1/common';

const filterHelp = 'Patterns with * wildcards; a leading ! excludes, for example "!example.com/*".';

export const VirtualMachineCloneTemplateFilters = Obj(
  'Which labels and annotations of the VM template (spec.template.metadata) the clone keeps.',
  {
    annotationFilters: Opt(List(`Template annotations to copy. ${filterHelp}`, Type.String())),
    labelFilters: Opt(List(`Template labels to copy. ${filterHelp}`, Type.String())),
  },
);

export const VOLUME_NAME_POLICIES = ['RandomizeNames'] as const;

export const VirtualMachineCloneSpec = Obj('What to clone, into what, and what to change on the way.', {
  source: TypedLocalObjectReference,
  target: Opt(TypedLocalObjectReference),
  annotationFilters: Opt(List(`VM annotations to copy. ${filterHelp}`, Type.String())),
  labelFilters: Opt(List(`VM labels to copy. ${filterHelp}`, Type.String())),
  template: Opt(VirtualMachineCloneTemplateFilters),
  newMacAddresses: Opt(
    StringMap('New MAC address per interface name; interfaces not listed get a generated one.'),
  ),
  newSMBiosSerial: Opt(Str('SMBIOS serial of the new VM; generated when left out.')),
  patches: Opt(StringList('JSON Patch operations, one JSON object a string, applied to the new VM.')),
  volumeNamePolicy: Opt(
    Enum('How cloned volumes are named. RandomizeNames when left out.', VOLUME_NAME_POLICIES),
  ),
});
export type VirtualMachineCloneSpec = Static<typeof VirtualMachineCloneSpec>;

export const CLONE_PHASES = [
  'SnapshotInProgress',
  'CreatingTargetVM',
  'RestoreInProgress',
  'Succeeded',
  'Failed',
  'Unknown',
] as const;

export const VirtualMachineCloneStatus = Obj('Observed state of a clone.', {
  creationTime: Opt(Timestamp('When the clone started.')),
  phase: Opt(OpenEnum('Progress of the clone.', CLONE_PHASES)),
  conditions: Opt(List('Ready and Progressing conditions.', OperationCondition)),
  snapshotName: Opt(NullableStr('Snapshot taken of the source VM during the clone.')),
  restoreName: Opt(NullableStr('Restore that creates the target VM.')),
  targetName: Opt(NullableStr('Name of the new VM, generated when spec.target was left out.')),
});
export type VirtualMachineCloneStatus = Static<typeof VirtualMachineCloneStatus>;

export interface VirtualMachineClone {
  apiVersion: 'clone.kubevirt.io/v1beta1';
  kind: 'VirtualMachineClone';
  metadata?: ObjectMeta;
  spec: VirtualMachineCloneSpec;
  status?: VirtualMachineCloneStatus;
}
