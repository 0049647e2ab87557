/**
 * The VM snapshot controller as the manager runs it (KubeVirt's virt-controller snapshot
 * controller): informers over VirtualMachineSnapshots and their contents, and over Kubernetes'
 * VolumeSnapshots and VolumeSnapshotClasses; the VM, VMI, claim, StorageClass, DataVolume,
 * ControllerRevision and pod informers the manager already keeps are shared. One work queue;
 * handlers wake the snapshot or content a change concerns.
 *
 * Kubernetes' snapshot API is optional, as in KubeVirt: until the API server serves it (looked
 * for every 30 s), no VolumeSnapshot or class is watched, every claim counts as one without a
 * VolumeSnapshotClass, and a snapshot holds the VM's definition only (its volumes listed as
 * excluded, with the PartialSnapshot indication).
 */
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type { VirtualMachineSnapshot, VirtualMachineSnapshotContent } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot, VolumeSnapshotClass } from '../../api/volumesnapshot/v1';
import {
  ApiPresence,
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VOLUME_SNAPSHOT_CLASSES,
  VOLUME_SNAPSHOTS,
  WorkQueue,
  type KeyedObject,
} from '../../kube';
import type { OwnerController, OwnerControllerDeps, OwnerInformer } from '../replicas/owner-controller';
import { SubresourceFreezer, type GuestFreezer } from './freezer';
import { contentNameOf } from './names';
import {
  CONTENT_KEY_PREFIX,
  VM_KEY_PREFIX,
  VmSnapshotReconciler,
  type SharedInformers,
  type SnapshotApiState,
  type VmSnapshotInformers,
} from './reconciler';
import { isProgressing } from './snapshot-status';
import { volumeClaims } from './volumes';

export interface VmSnapshotControllerOptions {
  /** How often to look for Kubernetes' snapshot CRDs while the API server does not serve them. @default 30 s */
  readonly pollMs?: number;
  /** Freeze and thaw guests. @default through the subresource API (./freezer.ts) */
  readonly freezer?: GuestFreezer;
}

/** What starting, syncing and stopping an informer needs. */
type Lifecycle = Pick<Informer<KeyedObject>, 'start' | 'stop' | 'waitForSync' | 'hasSynced'>;

/** Index of snapshots by their source VM's key. */
const BY_VM = 'vm';
/** Index of contents by the keys of the VolumeSnapshots they name. */
const BY_VOLUME_SNAPSHOT = 'volumeSnapshot';

/** The snapshot controller's own caches, which the restore controller reads too. */
export interface SnapshotCaches {
  readonly snapshots: Informer<VirtualMachineSnapshot>;
  readonly contents: Informer<VirtualMachineSnapshotContent>;
  /** Filled only while the API server serves Kubernetes' snapshot API (see snapshotApi). */
  readonly volumeSnapshots: Informer<VolumeSnapshot>;
  readonly snapshotApi: () => SnapshotApiState;
}

export function createVmSnapshotController(
  deps: OwnerControllerDeps,
  shared: SharedInformers,
  options: VmSnapshotControllerOptions = {},
): OwnerController & { readonly caches: SnapshotCaches } {
  const name = 'virt-controller-snapshot';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const ns = deps.namespace;
  const watch = deps.watchOptions;
  const snapshots = new Informer<VirtualMachineSnapshot>(
    deps.client.listWatch<VirtualMachineSnapshot>(VIRTUAL_MACHINE_SNAPSHOTS, undefined, ns),
    {
      namespace: byNamespace,
      [BY_VM]: (s) => (s.spec?.source?.name ? [`${s.metadata?.namespace ?? ''}/${s.spec.source.name}`] : []),
    },
    watch,
  );
  const contents = new Informer<VirtualMachineSnapshotContent>(
    deps.client.listWatch<VirtualMachineSnapshotContent>(VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, undefined, ns),
    {
      [BY_VOLUME_SNAPSHOT]: (c) =>
        (c.spec?.volumeBackups ?? [])
          .filter((b) => b.volumeSnapshotName)
          .map((b) => `${c.metadata?.namespace ?? ''}/${b.volumeSnapshotName ?? ''}`),
    },
    watch,
  );
  const volumeSnapshots = new Informer<VolumeSnapshot>(
    deps.client.listWatch<VolumeSnapshot>(VOLUME_SNAPSHOTS, undefined, ns),
    {},
    watch,
  );
  const volumeSnapshotClasses = new Informer<VolumeSnapshotClass>(
    deps.client.listWatch<VolumeSnapshotClass>(VOLUME_SNAPSHOT_CLASSES),
    {},
    watch,
  );
  const optional: Lifecycle[] = [volumeSnapshots, volumeSnapshotClasses];
  const presence = new ApiPresence(
    deps.client,
    [VOLUME_SNAPSHOTS, VOLUME_SNAPSHOT_CLASSES],
    () => optional.forEach((i) => i.start()),
    {
      onError: (m) => watch.onError?.(m),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    },
  );
  const snapshotApi = (): SnapshotApiState =>
    !presence.served ? 'absent' : optional.every((i) => i.hasSynced) ? 'ready' : 'syncing';

  const informers: VmSnapshotInformers = {
    snapshots,
    contents,
    volumeSnapshots,
    volumeSnapshotClasses,
    ...shared,
  };
  const reconciler = new VmSnapshotReconciler(
    deps.client,
    informers,
    deps.recorder,
    options.freezer ?? new SubresourceFreezer(deps.client),
    snapshotApi,
  );

  const contentKey = (namespace: string, contentName: string): string =>
    `${CONTENT_KEY_PREFIX}${namespace}/${contentName}`;
  const wakeSnapshotsOf = (key: string): void => {
    for (const s of snapshots.cache.byIndex(BY_VM, key)) queue.add(objectKey(s));
  };
  /** Snapshots still in progress (waiting for a lock or a class), in one namespace or all. */
  const wakeInProgress = (namespace?: string): void => {
    const list =
      namespace === undefined ? snapshots.cache.list() : snapshots.cache.byIndex('namespace', namespace);
    for (const s of list) if (isProgressing(s)) queue.add(objectKey(s));
  };

  snapshots.onChange((s) => {
    queue.add(objectKey(s));
    // A snapshot that fails or goes lets its content thaw the guest and release itself.
    queue.add(contentKey(s.metadata?.namespace ?? '', contentNameOf(s)));
  });
  contents.onChange((c) => {
    const cns = c.metadata?.namespace ?? '';
    queue.add(contentKey(cns, c.metadata?.name ?? ''));
    if (c.spec?.virtualMachineSnapshotName) queue.add(`${cns}/${c.spec.virtualMachineSnapshotName}`);
  });
  volumeSnapshots.onChange((vs) => {
    for (const c of contents.cache.byIndex(BY_VOLUME_SNAPSHOT, objectKey(vs)))
      queue.add(contentKey(c.metadata?.namespace ?? '', c.metadata?.name ?? ''));
  });
  // status.volumeSnapshotStatuses of the VMs whose volumes a change may concern.
  const wakeVms = (namespace?: string, uses?: (vm: VirtualMachine) => boolean): void => {
    const vms =
      namespace === undefined ? shared.vms.cache.list() : shared.vms.cache.byIndex('namespace', namespace);
    for (const vm of vms) if (!uses || uses(vm)) queue.add(`${VM_KEY_PREFIX}${objectKey(vm)}`);
  };
  const usesClaim = (claimName: string) => (vm: VirtualMachine) =>
    volumeClaims(vm.spec).some((c) => c.claimName === claimName);
  volumeSnapshotClasses.onChange(() => {
    wakeInProgress();
    wakeVms();
  });
  shared.storageClasses.onChange(() => wakeVms());
  shared.vms.onChange((vm) => {
    wakeSnapshotsOf(objectKey(vm));
    queue.add(`${VM_KEY_PREFIX}${objectKey(vm)}`);
  });
  shared.vmis.onChange((vmi) => wakeSnapshotsOf(objectKey(vmi)));
  shared.claims.onChange((c) => {
    wakeInProgress(c.metadata?.namespace ?? '');
    wakeVms(c.metadata?.namespace ?? '', usesClaim(c.metadata?.name ?? ''));
  });
  shared.dataVolumes.onChange((dv) => {
    wakeInProgress(dv.metadata?.namespace ?? '');
    wakeVms(dv.metadata?.namespace ?? '', usesClaim(dv.metadata?.name ?? ''));
  });
  for (const pods of shared.pods)
    pods.addHandlers({ onDelete: (p) => wakeInProgress(p.metadata?.namespace ?? '') });

  const own: Lifecycle[] = [snapshots, contents];
  const informer: OwnerInformer = {
    get hasSynced() {
      return (
        own.every((i) => i.hasSynced) &&
        presence.known &&
        (!presence.served || optional.every((i) => i.hasSynced))
      );
    },
    cache: {
      keys: () => [
        ...snapshots.cache.keys(),
        ...contents.cache.keys().map((k) => `${CONTENT_KEY_PREFIX}${k}`),
        ...shared.vms.cache.keys().map((k) => `${VM_KEY_PREFIX}${k}`),
      ],
    },
    start: () => {
      own.forEach((i) => i.start());
      presence.start();
    },
    stop: async () => {
      await presence.stop();
      await Promise.all([...own, ...optional].map((i) => i.stop()));
    },
    waitForSync: async () => {
      await Promise.all(own.map((i) => i.waitForSync()));
      await presence.answered();
      if (presence.served) await Promise.all(optional.map((i) => i.waitForSync()));
    },
  };
  return {
    kind: 'VirtualMachineSnapshot',
    resource: VIRTUAL_MACHINE_SNAPSHOTS,
    informer,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
    caches: { snapshots, contents, volumeSnapshots, snapshotApi },
  };
}
