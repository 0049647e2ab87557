/** Kind definitions of snapshot.kubevirt.io/v1beta1, with KubeVirt's names and printer columns. */
import { defineKind } from '../../kind';
import { VirtualMachineSnapshotSpec, VirtualMachineSnapshotStatus } from './snapshot';
import { VirtualMachineSnapshotContentSpec, VirtualMachineSnapshotContentStatus } from './content';
import { VirtualMachineRestoreSpec, VirtualMachineRestoreStatus } from './restore';
import { restoreRules, snapshotRules } from './rules';

const group = 'snapshot.kubevirt.io';
const version = 'v1beta1';

export const VirtualMachineSnapshotKind = defineKind({
  group,
  version,
  kind: 'VirtualMachineSnapshot',
  plural: 'virtualmachinesnapshots',
  singular: 'virtualmachinesnapshot',
  shortNames: ['vmsnapshot', 'vmsnapshots'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A request to snapshot a VirtualMachine: its definition and the data of its volumes.',
  fields: { spec: VirtualMachineSnapshotSpec, status: VirtualMachineSnapshotStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    { name: 'SourceKind', type: 'string', jsonPath: '.spec.source.kind' },
    { name: 'SourceName', type: 'string', jsonPath: '.spec.source.name' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'ReadyToUse', type: 'boolean', jsonPath: '.status.readyToUse' },
    { name: 'CreationTime', type: 'date', jsonPath: '.status.creationTime' },
    { name: 'Error', type: 'string', jsonPath: '.status.error.message' },
  ],
  rules: snapshotRules,
});

export const VirtualMachineSnapshotContentKind = defineKind({
  group,
  version,
  kind: 'VirtualMachineSnapshotContent',
  plural: 'virtualmachinesnapshotcontents',
  singular: 'virtualmachinesnapshotcontent',
  shortNames: ['vmsnapshotcontent', 'vmsnapshotcontents'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'The data of a VirtualMachineSnapshot: the VM definition and one backup per volume.',
  fields: { spec: VirtualMachineSnapshotContentSpec, status: VirtualMachineSnapshotContentStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    { name: 'ReadyToUse', type: 'boolean', jsonPath: '.status.readyToUse' },
    { name: 'CreationTime', type: 'date', jsonPath: '.status.creationTime' },
    { name: 'Error', type: 'string', jsonPath: '.status.error.message' },
  ],
});

export const VirtualMachineRestoreKind = defineKind({
  group,
  version,
  kind: 'VirtualMachineRestore',
  plural: 'virtualmachinerestores',
  singular: 'virtualmachinerestore',
  shortNames: ['vmrestore', 'vmrestores'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A request to restore a VirtualMachine from a VirtualMachineSnapshot.',
  fields: { spec: VirtualMachineRestoreSpec, status: VirtualMachineRestoreStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    { name: 'TargetKind', type: 'string', jsonPath: '.spec.target.kind' },
    { name: 'TargetName', type: 'string', jsonPath: '.spec.target.name' },
    { name: 'Complete', type: 'boolean', jsonPath: '.status.complete' },
    { name: 'RestoreTime', type: 'date', jsonPath: '.status.restoreTime' },
  ],
  rules: restoreRules,
});
