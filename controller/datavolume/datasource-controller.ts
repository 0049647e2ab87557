/**
 * The DataSource status controller: keeps each DataSource's status.source and Ready condition
 * (./datasource-status.ts) from the DataVolume controller's caches, woken by the DataSource
 * itself and by changes of the DataVolume or claim it names. DataSources have no status
 * subresource (CDI writes the whole object too): the write is a resourceVersion-checked update.
 */
import { isDeepStrictEqual } from 'util';
import type { DataSource, DataVolume } from '../../api/cdi/v1beta1';
import {
  DATA_SOURCES,
  DEFAULT_RATE_LIMIT,
  isNotFound,
  objectKey,
  WorkQueue,
  type Informer,
  type KeyedObject,
} from '../../kube';
import type { OwnerController, OwnerControllerDeps } from '../replicas/owner-controller';
import { dataSourceStatus } from './datasource-status';
import type { Claim } from './objects';
import type { DataVolumeInformers } from './reconciler';

/** "<namespace>/<name>" of the claim a DataSource's spec.source.pvc names. */
function pvcKey(ds: DataSource): string | undefined {
  const p = ds.spec?.source?.pvc;
  return p ? `${p.namespace || ds.metadata?.namespace || ''}/${p.name}` : undefined;
}

export function createDataSourceController(
  deps: OwnerControllerDeps,
  inf: DataVolumeInformers,
): OwnerController {
  const name = 'datasource-controller';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const wakeFor = (o: KeyedObject): void => {
    const key = objectKey(o);
    for (const ds of inf.dataSources.cache.list()) if (pvcKey(ds) === key) queue.add(objectKey(ds));
  };
  const all = <T>(i: Informer<T & KeyedObject>, h: (o: T) => void): void =>
    i.addHandlers({ onAdd: h, onUpdate: (_, n) => h(n), onDelete: h });
  all(inf.dataSources, (ds) => queue.add(objectKey(ds)));
  all<DataVolume>(inf.dataVolumes, wakeFor);
  all<Claim>(inf.claims, wakeFor);

  const reconcile = async (key: string): Promise<{ requeueAfterMs?: number }> => {
    const ds = inf.dataSources.cache.get(key);
    if (!ds || ds.metadata?.deletionTimestamp) return {};
    const status = dataSourceStatus(
      ds,
      {
        dataVolume: (ns, n) => inf.dataVolumes.cache.get(`${ns}/${n}`),
        claimExists: (ns, n) => inf.claims.cache.get(`${ns}/${n}`) !== undefined,
      },
      new Date(),
    );
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), ds.status ?? {})) return {};
    try {
      await deps.client.replace(DATA_SOURCES, ds.metadata?.namespace, ds.metadata?.name ?? '', {
        ...ds,
        status,
      });
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    return {};
  };
  // The informers belong to the DataVolume controller, which starts and stops them.
  return {
    kind: 'DataSource',
    resource: DATA_SOURCES,
    informer: {
      get hasSynced() {
        return inf.dataSources.hasSynced;
      },
      cache: { keys: () => inf.dataSources.cache.keys() },
      start: () => undefined,
      stop: async () => undefined,
      waitForSync: () => inf.dataSources.waitForSync(),
    },
    queue,
    reconcile,
  };
}
