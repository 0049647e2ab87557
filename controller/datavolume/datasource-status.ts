/**
 * A DataSource's status as CDI writes it (pure): `status.source` mirrors `spec.source` (the
 * conditions start over when it changes), and `Ready` says whether the source can be cloned: a
 * PVC source is ready when the DataVolume of its name has Succeeded or, without such a
 * DataVolume, when the claim exists.
 */
import type { DataSource, DataSourceStatus, DataVolume } from '../../api/cdi/v1beta1';
import { Reason } from './cdi-names';
import { updateCdiCondition, type CdiStatus } from './conditions';

export const DataSourceReason = { ready: 'Ready', notFound: 'NotFound', noSource: 'NoSource' } as const;

export function dataSourceStatus(
  ds: DataSource,
  lookup: {
    dataVolume(ns: string, name: string): DataVolume | undefined;
    claimExists(ns: string, name: string): boolean;
  },
  now: Date,
): DataSourceStatus {
  const prev = ds.status ?? {};
  const source = structuredClone(ds.spec.source);
  const sameSource = JSON.stringify(prev.source ?? null) === JSON.stringify(source);
  const conditions = sameSource ? (prev.conditions ?? []) : [];
  let ready: { status: CdiStatus; reason: string; message: string };
  const pvc = source.pvc;
  if (pvc) {
    const ns = pvc.namespace || ds.metadata?.namespace || '';
    const dv = lookup.dataVolume(ns, pvc.name);
    if (dv) {
      const phase = dv.status?.phase ?? '';
      ready =
        phase === 'Succeeded'
          ? { status: 'True', reason: DataSourceReason.ready, message: 'DataSource is ready to be consumed' }
          : { status: 'False', reason: phase, message: `Import DataVolume phase ${phase}` };
    } else if (lookup.claimExists(ns, pvc.name))
      ready = {
        status: 'True',
        reason: DataSourceReason.ready,
        message: 'DataSource is ready to be consumed',
      };
    else ready = { status: 'False', reason: DataSourceReason.notFound, message: 'PVC not found' };
  } else if (source.snapshot || source.dataSource) {
    ready = {
      status: 'False',
      reason: Reason.notSupported,
      message: `DataSource ${ds.metadata?.namespace}/${ds.metadata?.name}: spec.source.${source.snapshot ? 'snapshot' : 'dataSource'} is not supported by virtkit yet; point it at a PersistentVolumeClaim (spec.source.pvc)`,
    };
  } else ready = { status: 'False', reason: DataSourceReason.noSource, message: 'No source PVC set' };
  return {
    source,
    conditions: updateCdiCondition(conditions, 'Ready', ready.status, ready.reason, ready.message, now),
  };
}
