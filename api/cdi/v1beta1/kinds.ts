/** Kind definitions of cdi.kubevirt.io/v1beta1, with CDI's names and printer columns. */
import { defineKind } from '../../kind';
import { AGE_COLUMN } from '../../crd/columns';
import { DataVolumeSpec, DataVolumeStatus } from './datavolume';
import { DataSourceSpec, DataSourceStatus } from './datasource';
import { dataSourceRules, dataVolumeRules } from './rules';

export const DataVolumeKind = defineKind({
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  kind: 'DataVolume',
  plural: 'datavolumes',
  singular: 'datavolume',
  shortNames: ['dv', 'dvs'],
  categories: ['all'],
  scope: 'Namespaced',
  description: 'A PersistentVolumeClaim together with how to populate it: import, clone, upload or blank.',
  fields: { spec: DataVolumeSpec, status: DataVolumeStatus },
  requiredFields: ['spec'],
  subresources: { status: true },
  printerColumns: [
    {
      name: 'Phase',
      type: 'string',
      jsonPath: '.status.phase',
      description: 'Population phase of the DataVolume.',
    },
    {
      name: 'Progress',
      type: 'string',
      jsonPath: '.status.progress',
      description: 'Transfer progress in percent, or N/A.',
    },
    {
      name: 'Restarts',
      type: 'integer',
      jsonPath: '.status.restartCount',
      description: 'Restarts of the populating pod.',
    },
    AGE_COLUMN,
  ],
  rules: dataVolumeRules,
});

export const DataSourceKind = defineKind({
  group: 'cdi.kubevirt.io',
  version: 'v1beta1',
  kind: 'DataSource',
  plural: 'datasources',
  singular: 'datasource',
  shortNames: ['das'],
  categories: ['all'],
  scope: 'Namespaced',
  description:
    'A stable name for a boot source (a PVC or a VolumeSnapshot) that DataVolumes clone through sourceRef.',
  fields: { spec: DataSourceSpec, status: DataSourceStatus },
  requiredFields: ['spec'],
  rules: dataSourceRules,
});
