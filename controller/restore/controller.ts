/**
 * The VM restore controller as the manager runs it (KubeVirt's virt-controller restore
 * controller): an informer over VirtualMachineRestores, indexed by target VM and by snapshot;
 * the snapshot controller's caches (snapshots, contents, VolumeSnapshots) and the manager's (VMs,
 * VMIs, claims, StorageClasses, DataVolumes, ControllerRevisions) are shared. One work queue;
 * a change to anything a restore reads wakes the restores it concerns.
 */
import type { VirtualMachineRestore } from '../../api/snapshot/v1beta1';
import {
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  VIRTUAL_MACHINE_RESTORES,
  WorkQueue,
} from '../../kube';
import { ownInformers, type OwnerController, type OwnerControllerDeps } from '../replicas/owner-controller';
import type { SnapshotCaches } from '../snapshot/controller';
import type { SharedInformers } from '../snapshot/reconciler';
import { VmRestoreReconciler } from './reconciler';

/** Index of restores by their target VM's key, and by their snapshot's key. */
const BY_TARGET = 'target';
const BY_SNAPSHOT = 'snapshot';
/** How soon a round that needs the snapshot API's caches looks again while they fill. */
const API_SYNC_RETRY_MS = 1_000;

export function createVmRestoreController(
  deps: OwnerControllerDeps,
  shared: SharedInformers,
  snapshots: SnapshotCaches,
): OwnerController {
  const name = 'virt-controller-restore';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const restores = new Informer<VirtualMachineRestore>(
    deps.client.listWatch<VirtualMachineRestore>(VIRTUAL_MACHINE_RESTORES, undefined, deps.namespace),
    {
      namespace: byNamespace,
      [BY_TARGET]: (r) =>
        r.spec?.target?.name ? [`${r.metadata?.namespace ?? ''}/${r.spec.target.name}`] : [],
      [BY_SNAPSHOT]: (r) =>
        r.spec?.virtualMachineSnapshotName
          ? [`${r.metadata?.namespace ?? ''}/${r.spec.virtualMachineSnapshotName}`]
          : [],
    },
    deps.watchOptions,
  );
  const reconciler = new VmRestoreReconciler(
    deps.client,
    {
      restores,
      snapshots: snapshots.snapshots,
      contents: snapshots.contents,
      volumeSnapshots: snapshots.volumeSnapshots,
      vms: shared.vms,
      vmis: shared.vmis,
      claims: shared.claims,
      storageClasses: shared.storageClasses,
      dataVolumes: shared.dataVolumes,
      revisions: shared.revisions,
    },
    deps.recorder,
  );

  const wake = (index: string, key: string): void => {
    for (const r of restores.cache.byIndex(index, key)) queue.add(objectKey(r));
  };
  /** Restores of a namespace still at work (a claim, DataVolume or revision of theirs changed). */
  const wakeNamespace = (namespace: string): void => {
    for (const r of restores.cache.byIndex('namespace', namespace))
      if (r.status?.complete !== true) queue.add(objectKey(r));
  };
  restores.onChange((r) => queue.add(objectKey(r)));
  shared.vms.onChange((vm) => wake(BY_TARGET, objectKey(vm)));
  shared.vmis.onChange((vmi) => wake(BY_TARGET, objectKey(vmi)));
  snapshots.snapshots.onChange((s) => wake(BY_SNAPSHOT, objectKey(s)));
  snapshots.contents.onChange((c) => {
    const s = c.spec?.virtualMachineSnapshotName;
    if (s) wake(BY_SNAPSHOT, `${c.metadata?.namespace ?? ''}/${s}`);
  });
  snapshots.volumeSnapshots.onChange((v) => wakeNamespace(v.metadata?.namespace ?? ''));
  shared.claims.onChange((c) => wakeNamespace(c.metadata?.namespace ?? ''));
  shared.dataVolumes.onChange((dv) => wakeNamespace(dv.metadata?.namespace ?? ''));
  shared.revisions.onChange((cr) => wakeNamespace(cr.metadata?.namespace ?? ''));

  const informer = ownInformers(restores, [restores]);
  return {
    kind: 'VirtualMachineRestore',
    resource: VIRTUAL_MACHINE_RESTORES,
    informer,
    queue,
    reconcile: (k) =>
      snapshots.snapshotApi() === 'syncing'
        ? Promise.resolve({ requeueAfterMs: API_SYNC_RETRY_MS })
        : reconciler.reconcile(k),
  };
}
