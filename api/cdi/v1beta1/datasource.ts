/** cdi.kubevirt.io/v1beta1 DataSource: a stable name for a golden image (a PVC or a snapshot). */
import { Obj, Opt, Str, List, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { CdiCondition, DataVolumeSourcePVC, DataVolumeSourceSnapshot } from './datavolume';

export const DataSourceRefSourceDataSource = Obj('Another DataSource to follow (one level deep at most).', {
  namespace: Str('Namespace of the DataSource.'),
  name: Str('Name of the DataSource.'),
});

export const DataSourceSource = Obj('What the DataSource points at; set exactly one member.', {
  pvc: Opt(DataVolumeSourcePVC),
  snapshot: Opt(DataVolumeSourceSnapshot),
  dataSource: Opt(DataSourceRefSourceDataSource),
});
export type DataSourceSource = Static<typeof DataSourceSource>;

export const DataSourceSpec = Obj('Desired state of a DataSource.', {
  source: DataSourceSource,
});
export type DataSourceSpec = Static<typeof DataSourceSpec>;

export const DataSourceStatus = Obj('Observed state of a DataSource.', {
  source: Opt(DataSourceSource),
  conditions: Opt(List('The Ready condition.', CdiCondition)),
});
export type DataSourceStatus = Static<typeof DataSourceStatus>;

export interface DataSource {
  apiVersion: 'cdi.kubevirt.io/v1beta1';
  kind: 'DataSource';
  metadata?: ObjectMeta;
  spec: DataSourceSpec;
  status?: DataSourceStatus;
}
