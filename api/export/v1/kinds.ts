/** Kind definition of export.kubevirt.io/v1 VirtualMachineExport. */
import { defineKind } from '../../kind';
import { VirtualMachineExportSpec, VirtualMachineExportStatus } from './export';
import { exportRules } from './rules';

export const VirtualMachineExportKind = defineKind({
  group: 'export.kubevirt.io',
  version: 'v1',
  kind: 'VirtualMachineExport',
  plural: 'virtualmachineexports',
  singular: 'virtualmachineexport',
  shortNames: ['vmexport', 'vmexports'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A request to serve the volumes (and manifests) of a VM, a VM snapshot or a PVC over HTTPS.',
  fields: { spec: VirtualMachineExportSpec, status: VirtualMachineExportStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    { name: 'SourceKind', type: 'string', jsonPath: '.spec.source.kind' },
    { name: 'SourceName', type: 'string', jsonPath: '.spec.source.name' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
  ],
  rules: exportRules,
});
