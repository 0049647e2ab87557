/**
 * The VM clone controller as the manager runs it (KubeVirt's virt-controller clone controller):
 * an informer over VirtualMachineClones, indexed by the VMs, snapshots and restores each one
 * waits for, and one over VirtualMachineRestores (the restore controller keeps its own); the
 * snapshot controller's caches (snapshots, contents) and the manager's (VMs, claims) are shared.
 * One work queue; a change to anything a clone reads wakes the clones it concerns.
 */
import type { VirtualMachineClone } from '../../api/clone/v1beta1';
import type { VirtualMachineRestore } from '../../api/snapshot/v1beta1';
import {
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  VIRTUAL_MACHINE_RESTORES,
  WorkQueue,
  type KeyedObject,
  VIRTUAL_MACHINE_CLONES,
} from '../../kube';
import { ownInformers, type OwnerController, type OwnerControllerDeps } from '../replicas/owner-controller';
import { RESTORE_NAME_ANNOTATION } from '../restore/names';
import type { SnapshotCaches } from '../snapshot/controller';
import type { SharedInformers } from '../snapshot/reconciler';
import { VmCloneReconciler } from './reconciler';

/** Index of clones by the keys of the VMs they read: the source VM and the target. */
const BY_VM = 'vm';
/** Index of clones by the key of the snapshot they use: theirs, or their snapshot source. */
const BY_SNAPSHOT = 'snapshot';
/** Index of clones by the key of their restore. */
const BY_RESTORE = 'restore';

const keyIn = (c: VirtualMachineClone, name: string | null | undefined): string[] =>
  name ? [`${c.metadata?.namespace ?? ''}/${name}`] : [];

export function createVmCloneController(
  deps: OwnerControllerDeps,
  shared: SharedInformers,
  snapshots: SnapshotCaches,
): OwnerController {
  const name = 'virt-controller-vmclone';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const clones = new Informer<VirtualMachineClone>(
    deps.client.listWatch<VirtualMachineClone>(VIRTUAL_MACHINE_CLONES, undefined, deps.namespace),
    {
      namespace: byNamespace,
      [BY_VM]: (c) => [
        ...(c.spec?.source?.kind === 'VirtualMachine' ? keyIn(c, c.spec.source.name) : []),
        ...keyIn(c, c.status?.targetName ?? c.spec?.target?.name),
      ],
      [BY_SNAPSHOT]: (c) =>
        keyIn(
          c,
          c.spec?.source?.kind === 'VirtualMachineSnapshot' ? c.spec.source.name : c.status?.snapshotName,
        ),
      [BY_RESTORE]: (c) => keyIn(c, c.status?.restoreName),
    },
    deps.watchOptions,
  );
  const restores = new Informer<VirtualMachineRestore>(
    deps.client.listWatch<VirtualMachineRestore>(VIRTUAL_MACHINE_RESTORES, undefined, deps.namespace),
    {},
    deps.watchOptions,
  );
  const reconciler = new VmCloneReconciler(
    deps.client,
    {
      clones,
      vms: shared.vms,
      snapshots: snapshots.snapshots,
      contents: snapshots.contents,
      restores,
      claims: shared.claims,
    },
    deps.recorder,
  );

  const wake = (index: string, key: string): void => {
    for (const c of clones.cache.byIndex(index, key)) queue.add(objectKey(c));
  };
  /** The clone that owns an object (its temporary snapshot or restore), found before its status names it. */
  const wakeOwner = (
    o: KeyedObject & { metadata?: { ownerReferences?: { kind: string; name: string }[] } },
  ) => {
    for (const ref of o.metadata?.ownerReferences ?? [])
      if (ref.kind === 'VirtualMachineClone') queue.add(`${o.metadata?.namespace ?? ''}/${ref.name}`);
  };
  clones.onChange((c) => queue.add(objectKey(c)));
  shared.vms.onChange((vm) => wake(BY_VM, objectKey(vm)));
  snapshots.snapshots.onChange((s) => {
    wake(BY_SNAPSHOT, objectKey(s));
    wakeOwner(s);
  });
  snapshots.contents.onChange((c) => {
    const s = c.spec?.virtualMachineSnapshotName;
    if (s) wake(BY_SNAPSHOT, `${c.metadata?.namespace ?? ''}/${s}`);
  });
  restores.onChange((r) => {
    wake(BY_RESTORE, objectKey(r));
    wakeOwner(r);
  });
  // A restored claim binding lets a Succeeded clone delete its snapshot and restore.
  shared.claims.onChange((c) => {
    const restore = c.metadata?.annotations?.[RESTORE_NAME_ANNOTATION];
    if (restore) wake(BY_RESTORE, `${c.metadata?.namespace ?? ''}/${restore}`);
  });

  const informer = ownInformers(clones, [clones, restores]);
  return {
    kind: 'VirtualMachineClone',
    resource: VIRTUAL_MACHINE_CLONES,
    informer,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
  };
}
