/**
 * The DataVolume controller as the manager runs it: informers over DataVolumes, claims, worker
 * pods (app=containerized-data-importer), DataSources and StorageClasses; one work queue keyed by
 * DataVolume; handlers that wake the DataVolume a claim, pod, DataSource or class concerns.
 */
import { CLONE_TARGET_CLAIM_LABEL, CLONE_TARGET_NAMESPACE_LABEL } from '../../api/cdi/clone-source-pod';
import type { DataSource, DataVolume } from '../../api/cdi/v1beta1';
import { CDI_APP_LABEL, CDI_APP_LABEL_VALUE, CDI_IMPORT_PVC_LABEL } from '../../api/cdi/worker-pod';
import {
  byNamespace,
  DATA_SOURCES,
  DATA_VOLUMES,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  PODS,
  PVCS,
  STORAGE_CLASSES,
  WorkQueue,
  type KeyedObject,
} from '../../kube';
import {
  ownerInformer,
  type OwnerController,
  type OwnerControllerDeps,
  type OwnerInformer,
} from '../replicas/owner-controller';
import type { Claim, StorageClass, WorkerPod } from './objects';
import { DataVolumeReconciler, type DataVolumeInformers, type DataVolumeOptions } from './reconciler';
import { sourceRefKey } from './source';

export interface DataVolumeController extends OwnerController {
  /** The DataVolume informer, shared with the VM and VMI controllers. */
  readonly dataVolumes: Informer<DataVolume>;
  readonly informers: DataVolumeInformers;
}

export function createDataVolumeController(
  deps: OwnerControllerDeps,
  options: DataVolumeOptions = {},
): DataVolumeController {
  const name = 'datavolume-controller';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const ns = deps.namespace;
  const watch = deps.watchOptions;
  const dataVolumes = ownerInformer<DataVolume>(deps, DATA_VOLUMES, queue);
  const informers: DataVolumeInformers = {
    dataVolumes,
    claims: new Informer<Claim>(
      deps.client.listWatch<Claim>(PVCS, undefined, ns),
      { namespace: byNamespace },
      watch,
    ),
    pods: new Informer<WorkerPod>(
      deps.client.listWatch<WorkerPod>(PODS, `${CDI_APP_LABEL}=${CDI_APP_LABEL_VALUE}`, ns),
      {},
      watch,
    ),
    dataSources: new Informer<DataSource>(
      deps.client.listWatch<DataSource>(DATA_SOURCES, undefined, ns),
      {},
      watch,
    ),
    storageClasses: new Informer<StorageClass>(
      deps.client.listWatch<StorageClass>(STORAGE_CLASSES),
      {},
      watch,
    ),
  };
  const reconciler = new DataVolumeReconciler(deps.client, informers, deps.recorder, options);
  const unfinishedIn = (namespace?: string): DataVolume[] =>
    (namespace === undefined
      ? dataVolumes.cache.list()
      : dataVolumes.cache.byIndex('namespace', namespace)
    ).filter((dv) => dv.status?.phase !== 'Succeeded');

  // A claim wakes the DataVolume of its name, and the unfinished ones of its namespace (a clone
  // waiting for its source claim).
  informers.claims.onChange((c) => {
    queue.add(objectKey(c));
    const claimNs = c.metadata?.namespace ?? '';
    for (const dv of unfinishedIn(claimNs))
      if (dv.spec.source?.pvc || dv.spec.sourceRef) queue.add(objectKey(dv));
    // A clone from another namespace waits for its source claim there.
    for (const dv of unfinishedIn())
      if (
        dv.metadata?.namespace !== claimNs &&
        (dv.spec.source?.pvc?.namespace === claimNs || dv.spec.sourceRef)
      )
        queue.add(objectKey(dv));
  });
  informers.pods.onChange((p) => {
    // Importer pods name their claim in a label; upload server pods are owned by it.
    const claim =
      p.metadata?.labels?.[CDI_IMPORT_PVC_LABEL] ??
      p.metadata?.ownerReferences?.find((o) => o.kind === 'PersistentVolumeClaim' && o.controller)?.name;
    if (claim) queue.add(`${p.metadata?.namespace ?? ''}/${claim}`);
    // A clone source pod names its target (in another namespace) in its labels.
    const l = p.metadata?.labels ?? {};
    if (l[CLONE_TARGET_NAMESPACE_LABEL] && l[CLONE_TARGET_CLAIM_LABEL])
      queue.add(`${l[CLONE_TARGET_NAMESPACE_LABEL]}/${l[CLONE_TARGET_CLAIM_LABEL]}`);
  });
  informers.dataSources.onChange((ds) => {
    const key = objectKey(ds);
    for (const dv of dataVolumes.cache.list()) if (sourceRefKey(dv) === key) queue.add(objectKey(dv));
  });
  informers.storageClasses.onChange(() => {
    for (const dv of unfinishedIn()) queue.add(objectKey(dv));
  });

  const all = Object.values(informers) as Informer<KeyedObject>[];
  const composite: OwnerInformer = {
    get hasSynced() {
      return all.every((i) => i.hasSynced);
    },
    cache: { keys: () => dataVolumes.cache.keys() },
    start: () => all.forEach((i) => i.start()),
    stop: async () => {
      await Promise.all(all.map((i) => i.stop()));
    },
    waitForSync: async () => {
      await Promise.all(all.map((i) => i.waitForSync()));
    },
  };
  return {
    kind: 'DataVolume',
    resource: DATA_VOLUMES,
    informer: composite,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
    dataVolumes,
    informers,
  };
}
