/**
 * The snapshot controller as the manager runs it (the external-snapshotter's common controller,
 * for virtkit's local driver): informers over VolumeSnapshots, VolumeSnapshotContents,
 * VolumeSnapshotClasses, claims and StorageClasses, one work queue, and handlers that wake the
 * snapshot, content or claim a change concerns. The snapshot API is optional: until the API server
 * serves it (a cluster without the CRDs), nothing is watched and the controller counts as synced;
 * once it is served (looked for every 30 s), the informers start by themselves.
 */
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import {
  ApiPresence,
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  PVCS,
  STORAGE_CLASSES,
  VOLUME_SNAPSHOT_CLASSES,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
  WorkQueue,
  type KeyedObject,
} from '../../kube';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { OwnerController, OwnerControllerDeps, OwnerInformer } from '../replicas/owner-controller';
import {
  CLAIM_KEY_PREFIX,
  CONTENT_KEY_PREFIX,
  VolumeSnapshotReconciler,
  type VolumeSnapshotInformers,
} from './reconciler';

export interface VolumeSnapshotControllerOptions {
  /** How often to look for the snapshot CRDs while the API server does not serve them. @default 30 s */
  readonly pollMs?: number;
}

export function createVolumeSnapshotController(
  deps: OwnerControllerDeps,
  options: VolumeSnapshotControllerOptions = {},
): OwnerController {
  const name = 'volumesnapshot-controller';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const ns = deps.namespace;
  const watch = deps.watchOptions;
  const informers: VolumeSnapshotInformers = {
    snapshots: new Informer<VolumeSnapshot>(
      deps.client.listWatch<VolumeSnapshot>(VOLUME_SNAPSHOTS, undefined, ns),
      { namespace: byNamespace },
      watch,
    ),
    contents: new Informer<VolumeSnapshotContent>(
      deps.client.listWatch<VolumeSnapshotContent>(VOLUME_SNAPSHOT_CONTENTS),
      {},
      watch,
    ),
    classes: new Informer<VolumeSnapshotClass>(
      deps.client.listWatch<VolumeSnapshotClass>(VOLUME_SNAPSHOT_CLASSES),
      {},
      watch,
    ),
    claims: new Informer<Claim>(deps.client.listWatch<Claim>(PVCS, undefined, ns), {}, watch),
    storageClasses: new Informer<StorageClass>(
      deps.client.listWatch<StorageClass>(STORAGE_CLASSES),
      {},
      watch,
    ),
  };
  const reconciler = new VolumeSnapshotReconciler(deps.client, informers, deps.recorder);
  const snapshots = informers.snapshots;
  const claimKey = (namespace: string, claim: string): string => `${CLAIM_KEY_PREFIX}${namespace}/${claim}`;
  const wakeSnapshots = (): void => {
    for (const s of snapshots.cache.list()) if (s.status?.readyToUse !== true) queue.add(objectKey(s));
  };

  snapshots.onChange((s) => {
    queue.add(objectKey(s));
    const claim = s.spec?.source?.persistentVolumeClaimName;
    if (claim) queue.add(claimKey(s.metadata?.namespace ?? '', claim));
  });
  informers.contents.onChange((c) => {
    queue.add(`${CONTENT_KEY_PREFIX}${c.metadata?.name ?? ''}`);
    const ref = c.spec?.volumeSnapshotRef;
    if (ref?.namespace && ref.name) queue.add(`${ref.namespace}/${ref.name}`);
  });
  informers.claims.onChange((c) => {
    const claimNs = c.metadata?.namespace ?? '';
    queue.add(claimKey(claimNs, c.metadata?.name ?? ''));
    for (const s of snapshots.cache.byIndex('namespace', claimNs))
      if (s.spec?.source?.persistentVolumeClaimName === c.metadata?.name) queue.add(objectKey(s));
  });
  informers.classes.onChange(wakeSnapshots);
  informers.storageClasses.onChange(wakeSnapshots);

  const all = Object.values(informers) as Informer<KeyedObject>[];
  const presence = new ApiPresence(
    deps.client,
    [VOLUME_SNAPSHOTS, VOLUME_SNAPSHOT_CONTENTS, VOLUME_SNAPSHOT_CLASSES],
    () => all.forEach((i) => i.start()),
    {
      onError: (m) => watch.onError?.(m),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    },
  );
  const informer: OwnerInformer = {
    // Without the snapshot API there is nothing to wait for.
    get hasSynced() {
      return presence.known && (!presence.served || all.every((i) => i.hasSynced));
    },
    cache: {
      keys: () => [
        ...snapshots.cache.keys(),
        ...informers.contents.cache.keys().map((k) => `${CONTENT_KEY_PREFIX}${k}`),
      ],
    },
    start: () => presence.start(),
    stop: async () => {
      await presence.stop();
      await Promise.all(all.map((i) => i.stop()));
    },
    waitForSync: async () => {
      await presence.answered();
      if (presence.served) await Promise.all(all.map((i) => i.waitForSync()));
    },
  };
  return {
    kind: 'VolumeSnapshot',
    resource: VOLUME_SNAPSHOTS,
    informer,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
  };
}
