/**
 * The VM restore controller's reconciler: reads a VirtualMachineRestore and what it concerns
 * from the caches, asks ./restore-plan.ts what this round does, does it in order, writes the
 * status, and lets go of the finalizer when asked. Writes are guarded (a resourceVersion, a
 * finalizer list, a uid), so a stale cache costs a retry, never a lost write; a step that fails
 * stops the round and names the restore and the step.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import {
  addFinalizerPatch,
  CONTROLLER_REVISIONS,
  DATA_VOLUMES,
  errorMessage,
  isAlreadyExists,
  isNotFound,
  PVCS,
  removeFinalizerPatch,
  splitKey,
  StepError,
  SUBRESOURCE_VIRTUAL_MACHINES,
  unlessGone,
  VIRTUAL_MACHINE_RESTORES,
  VIRTUAL_MACHINES,
  type EventRecorder,
  type Informer,
  type KubeClient,
} from '../../kube';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { ControllerRevision } from '../vm/instancetype-revision';
import type { ReconcileResult } from '../vm/reconciler';
import {
  describeRestore,
  EVENT_DATA_VOLUME_CREATE_ERROR,
  EVENT_RESTORE_ERROR,
  POPULATED_FOR_ANNOTATION,
  PRE_POPULATED_ANNOTATION,
  RESTORE_NAME_ANNOTATION,
  VM_RESTORE_FINALIZER,
} from './names';
import { planRestore, type RestoreAction } from './restore-plan';

/** The caches the restore controller reads. */
export interface VmRestoreInformers {
  readonly restores: Informer<VirtualMachineRestore>;
  readonly snapshots: Informer<VirtualMachineSnapshot>;
  readonly contents: Informer<VirtualMachineSnapshotContent>;
  readonly volumeSnapshots: Informer<VolumeSnapshot>;
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly claims: Informer<Claim>;
  readonly storageClasses: Informer<StorageClass>;
  readonly dataVolumes: Informer<DataVolume>;
  readonly revisions: Informer<ControllerRevision>;
}

/** A step of a restore round that failed, naming the restore and the step. */
export class VmRestoreSyncError extends StepError {}

/** How soon a restore that met an error (KubeVirt's doUpdateError) is tried again. */
const ERROR_RETRY_MS = 5_000;

export class VmRestoreReconciler {
  constructor(
    private readonly client: KubeClient,
    private readonly inf: VmRestoreInformers,
    private readonly recorder: EventRecorder,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const restore = this.inf.restores.cache.get(key);
    if (!restore) return {};
    const { namespace = '', name } = splitKey(key);
    const at = (n: string): string => `${namespace}/${n}`;
    const target =
      restore.spec?.target?.kind === 'VirtualMachine'
        ? this.inf.vms.cache.get(at(restore.spec.target.name))
        : undefined;
    const snapshot = this.inf.snapshots.cache.get(at(restore.spec?.virtualMachineSnapshotName ?? ''));
    const contentName = snapshot?.status?.virtualMachineSnapshotContentName;
    const content = contentName ? this.inf.contents.cache.get(at(contentName)) : undefined;
    const plan = planRestore({
      restore,
      ...(target ? { target } : {}),
      targetHasVmi:
        target !== undefined && this.inf.vmis.cache.get(at(target.metadata?.name ?? '')) !== undefined,
      ...(snapshot ? { snapshot } : {}),
      ...(content ? { content } : {}),
      claim: (n) => this.inf.claims.cache.get(at(n)),
      dataVolume: (n) => this.inf.dataVolumes.cache.get(at(n)),
      volumeSnapshot: (n) => this.inf.volumeSnapshots.cache.get(at(n)),
      storageClass: (n) => this.inf.storageClasses.cache.get(n),
      revision: (n) => this.inf.revisions.cache.get(at(n)),
      now: this.now(),
    });
    const what = describeRestore(restore);

    let current: VirtualMachineRestore | undefined = restore;
    for (const a of plan.actions) {
      current = await this.act(restore, current, target, a);
      if (!current) return {};
    }
    const told = JSON.stringify(plan.status) === JSON.stringify(restore.status ?? null);
    if (!told) {
      const written = await this.step(what, 'write status', () =>
        this.client.updateStatus<VirtualMachineRestore>(VIRTUAL_MACHINE_RESTORES, namespace, name, {
          ...current,
          status: plan.status,
        }),
      );
      if (!written) return {};
      current = written;
    }
    // One Warning per new error message (the condition records the last one).
    if (plan.error && !told)
      void this.recorder.record(restore, {
        type: 'Warning',
        reason: EVENT_RESTORE_ERROR,
        message: `VirtualMachineRestore encountered error ${plan.error}`,
      });
    for (const ev of plan.events) void this.recorder.record(restore, ev);
    if (plan.removeFinalizer) {
      const patch = removeFinalizerPatch(current, VM_RESTORE_FINALIZER);
      if (patch)
        await this.step(what, `remove finalizer ${VM_RESTORE_FINALIZER}`, () =>
          this.client.jsonPatch(VIRTUAL_MACHINE_RESTORES, namespace, name, patch),
        );
    }
    if (plan.error) return { requeueAfterMs: ERROR_RETRY_MS };
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
  }

  /** One action; the restore as it is after it (undefined: the restore is gone). */
  private async act(
    original: VirtualMachineRestore,
    restore: VirtualMachineRestore,
    target: VirtualMachine | undefined,
    a: RestoreAction,
  ): Promise<VirtualMachineRestore | undefined> {
    const ns = restore.metadata?.namespace ?? '';
    const name = restore.metadata?.name ?? '';
    const what = describeRestore(original);
    const targetName = target?.metadata?.name ?? '';
    switch (a.kind) {
      case 'addFinalizer': {
        const patch = addFinalizerPatch(restore, VM_RESTORE_FINALIZER);
        if (!patch) return restore;
        return this.step(what, `add finalizer ${VM_RESTORE_FINALIZER}`, () =>
          this.client.jsonPatch<VirtualMachineRestore>(VIRTUAL_MACHINE_RESTORES, ns, name, patch),
        );
      }
      case 'setOwner':
        return this.step(what, `set VirtualMachine ${ns}/${a.owner.name} as owner`, () =>
          this.client.jsonPatch<VirtualMachineRestore>(VIRTUAL_MACHINE_RESTORES, ns, name, [
            { op: 'test', path: '/metadata/resourceVersion', value: restore.metadata?.resourceVersion },
            { op: 'add', path: '/metadata/ownerReferences', value: [a.owner] },
          ]),
        );
      case 'stopTarget':
        await this.must(
          what,
          `stop VirtualMachine ${ns}/${targetName} (targetReadinessPolicy StopTarget)`,
          () => this.client.putSubresource(SUBRESOURCE_VIRTUAL_MACHINES, ns, targetName, 'stop', {}),
        );
        return restore;
      case 'lockTarget':
      case 'unlockTarget': {
        if (!target) return restore;
        const status = { ...(target.status ?? {}) };
        if (a.kind === 'lockTarget') status.restoreInProgress = name;
        else delete status.restoreInProgress;
        await this.step(
          what,
          `${a.kind === 'lockTarget' ? 'lock' : 'unlock'} VirtualMachine ${ns}/${targetName} (status.restoreInProgress)`,
          () => this.client.updateStatus(VIRTUAL_MACHINES, ns, targetName, { ...target, status }),
        );
        return restore;
      }
      case 'createClaim':
        await this.createOrKeep(
          what,
          `create PersistentVolumeClaim ${ns}/${a.claim.metadata?.name ?? ''}`,
          () => this.client.create(PVCS, ns, a.claim),
        );
        return restore;
      case 'deleteClaim':
        await this.step(
          what,
          `delete PersistentVolumeClaim ${ns}/${a.name} (volumeRestorePolicy InPlace)`,
          () => this.client.delete(PVCS, ns, a.name, a.uid ? { uid: a.uid } : {}),
        );
        return restore;
      case 'prepopulateDataVolume':
        await this.step(what, `mark DataVolume ${ns}/${a.name} pre-populated`, () =>
          this.client.mergePatch(DATA_VOLUMES, ns, a.name, {
            metadata: {
              annotations: { [RESTORE_NAME_ANNOTATION]: name, [PRE_POPULATED_ANNOTATION]: 'true' },
            },
          }),
        );
        return restore;
      case 'markClaimForDataVolume':
        await this.step(
          what,
          `mark PersistentVolumeClaim ${ns}/${a.claim} for DataVolume ${a.dataVolume}`,
          () =>
            this.client.mergePatch(PVCS, ns, a.claim, {
              metadata: { ownerReferences: null, annotations: { [POPULATED_FOR_ANNOTATION]: a.dataVolume } },
            }),
        );
        return restore;
      case 'createDataVolume': {
        const dvName = a.dataVolume.metadata?.name ?? '';
        try {
          await this.client.create(DATA_VOLUMES, ns, a.dataVolume);
        } catch (err) {
          if (isAlreadyExists(err)) return restore;
          if (target)
            void this.recorder.record(target, {
              type: 'Warning',
              reason: EVENT_DATA_VOLUME_CREATE_ERROR,
              message: `Error creating restore DataVolume ${dvName}: ${errorMessage(err)}`,
            });
          throw new VmRestoreSyncError(what, `create DataVolume ${ns}/${dvName}`, err);
        }
        return restore;
      }
      case 'createRevision': {
        const revName = a.revision.metadata?.name ?? '';
        if (a.replace)
          await this.step(what, `delete the stale ControllerRevision ${ns}/${a.replace}`, () =>
            this.client.delete(CONTROLLER_REVISIONS, ns, a.replace ?? ''),
          );
        await this.createOrKeep(what, `create ControllerRevision ${ns}/${revName}`, () =>
          this.client.create(CONTROLLER_REVISIONS, ns, a.revision),
        );
        return restore;
      }
      case 'ownRevision':
        if (!target) return restore;
        await this.step(
          what,
          `hand ControllerRevision ${ns}/${a.name} to VirtualMachine ${ns}/${targetName}`,
          () =>
            this.client.mergePatch(CONTROLLER_REVISIONS, ns, a.name, {
              metadata: {
                ownerReferences: [
                  {
                    apiVersion: 'kubevirt.io/v1',
                    kind: 'VirtualMachine',
                    name: targetName,
                    uid: target.metadata?.uid ?? '',
                    controller: true,
                    blockOwnerDeletion: true,
                  },
                ],
              },
            }),
        );
        return restore;
      case 'writeTarget': {
        const vmName = a.vm.metadata?.name ?? '';
        if (a.create)
          await this.createOrKeep(what, `create VirtualMachine ${ns}/${vmName}`, () =>
            this.client.create(VIRTUAL_MACHINES, ns, a.vm),
          );
        else
          await this.must(what, `update VirtualMachine ${ns}/${vmName}`, () =>
            this.client.replace(VIRTUAL_MACHINES, ns, vmName, a.vm),
          );
        return restore;
      }
      case 'deleteUnusedRestored':
        await this.step(
          what,
          `delete ${a.what} ${ns}/${a.name} (made by this unfinished restore, unused by its target)`,
          () =>
            this.client.delete(
              a.what === 'DataVolume' ? DATA_VOLUMES : PVCS,
              ns,
              a.name,
              a.uid ? { uid: a.uid } : {},
            ),
        );
        return restore;
      case 'deleteDataVolume':
        await this.step(what, `delete DataVolume ${ns}/${a.name} (the restored VM no longer names it)`, () =>
          this.client.delete(DATA_VOLUMES, ns, a.name),
        );
        return restore;
    }
  }

  /** One write; undefined when its object is gone (404), a VmRestoreSyncError otherwise. */
  private step<T>(what: string, step: string, write: () => Promise<T>): Promise<T | undefined> {
    return unlessGone(write, (err) => new VmRestoreSyncError(what, step, err));
  }

  /** A write whose object must exist: any failure, a 404 too, stops the round. */
  private async must(what: string, step: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      throw new VmRestoreSyncError(
        what,
        step,
        isNotFound(err) ? `${errorMessage(err)} (gone meanwhile)` : err,
      );
    }
  }

  /** A create an earlier round may have made already. */
  private async createOrKeep(what: string, step: string, create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (err) {
      if (!isAlreadyExists(err)) throw new VmRestoreSyncError(what, step, err);
    }
  }
}
