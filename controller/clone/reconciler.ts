/**
 * The VM clone controller's reconciler: reads a VirtualMachineClone and what it concerns from the
 * caches, asks ./clone-plan.ts what this round does, does it in order, writes the status and
 * records the Events. Creates tolerate an earlier round's object (AlreadyExists), deletes one
 * already gone (NotFound); the status write carries the clone's resourceVersion, so a stale cache
 * costs a retry, never a lost write. A step that fails stops the round and names the clone and
 * the step.
 */
import type { VirtualMachineClone } from '../../api/clone/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '../../api/snapshot/v1beta1';
import {
  errorMessage,
  isAlreadyExists,
  splitKey,
  unlessGone,
  VIRTUAL_MACHINE_RESTORES,
  VIRTUAL_MACHINE_SNAPSHOTS,
  type EventRecorder,
  type Informer,
  type KubeClient,
  VIRTUAL_MACHINE_CLONES,
} from '../../kube';
import type { Claim } from '../datavolume/objects';
import type { ReconcileResult } from '../vm/reconciler';
import { planClone, type CloneAction } from './clone-plan';
import { CloneEvent, describeClone } from './names';

/** The caches the clone controller reads. */
export interface VmCloneInformers {
  readonly clones: Informer<VirtualMachineClone>;
  readonly vms: Informer<VirtualMachine>;
  readonly snapshots: Informer<VirtualMachineSnapshot>;
  readonly contents: Informer<VirtualMachineSnapshotContent>;
  readonly restores: Informer<VirtualMachineRestore>;
  readonly claims: Informer<Claim>;
}

/** A step of a clone round that failed, naming the clone and the step. */
export class VmCloneSyncError extends Error {
  constructor(
    readonly object: string,
    readonly step: string,
    cause: unknown,
  ) {
    super(`${object}: ${step}: ${errorMessage(cause)}`);
    this.name = 'VmCloneSyncError';
  }
}

/** How soon a clone waiting for something that should be there already looks again. */
const ERROR_RETRY_MS = 5_000;

export class VmCloneReconciler {
  constructor(
    private readonly client: KubeClient,
    private readonly inf: VmCloneInformers,
    private readonly recorder: EventRecorder,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const clone = this.inf.clones.cache.get(key);
    if (!clone) return {};
    const { namespace = '', name } = splitKey(key);
    const at = (n: string): string => `${namespace}/${n}`;
    const plan = planClone({
      clone,
      vm: (n) => this.inf.vms.cache.get(at(n)),
      snapshot: (n) => this.inf.snapshots.cache.get(at(n)),
      content: (n) => this.inf.contents.cache.get(at(n)),
      restore: (n) => this.inf.restores.cache.get(at(n)),
      claim: (n) => this.inf.claims.cache.get(at(n)),
      now: this.now(),
    });
    const what = describeClone(clone);

    for (const a of plan.actions) if (!(await this.act(clone, what, a))) return {};
    if (JSON.stringify(plan.status) !== JSON.stringify(clone.status ?? {})) {
      const written = await this.step(what, 'write status', () =>
        this.client.updateStatus(VIRTUAL_MACHINE_CLONES, namespace, name, { ...clone, status: plan.status }),
      );
      if (!written) return {};
      for (const ev of plan.events) void this.recorder.record(clone, ev);
    }
    return plan.error ? { requeueAfterMs: ERROR_RETRY_MS } : {};
  }

  /** One action; false when the clone itself is gone. */
  private async act(clone: VirtualMachineClone, what: string, a: CloneAction): Promise<boolean> {
    const ns = clone.metadata?.namespace ?? '';
    switch (a.kind) {
      case 'createSnapshot': {
        const snapshotName = a.snapshot.metadata?.name ?? '';
        if (
          await this.create(what, `create VirtualMachineSnapshot ${ns}/${snapshotName}`, () =>
            this.client.create(VIRTUAL_MACHINE_SNAPSHOTS, ns, a.snapshot),
          )
        )
          void this.recorder.record(clone, a.event);
        return true;
      }
      case 'createRestore': {
        const restoreName = a.restore.metadata?.name ?? '';
        try {
          if (
            await this.create(what, `create VirtualMachineRestore ${ns}/${restoreName}`, () =>
              this.client.create(VIRTUAL_MACHINE_RESTORES, ns, a.restore),
            )
          )
            void this.recorder.record(clone, a.event);
        } catch (err) {
          void this.recorder.record(clone, {
            type: 'Warning',
            reason: CloneEvent.restoreCreationFailed,
            message: `failed creating restore ${restoreName} for clone ${clone.metadata?.name ?? ''}: ${errorMessage(err)}`,
          });
          throw err;
        }
        return true;
      }
      case 'deleteRestore':
        await this.step(what, `delete VirtualMachineRestore ${ns}/${a.name}`, () =>
          this.client.delete(VIRTUAL_MACHINE_RESTORES, ns, a.name),
        );
        return true;
      case 'deleteSnapshot':
        await this.step(what, `delete VirtualMachineSnapshot ${ns}/${a.name}`, () =>
          this.client.delete(VIRTUAL_MACHINE_SNAPSHOTS, ns, a.name),
        );
        return true;
      case 'deleteClone':
        await this.step(
          what,
          `delete ${what} (its target VM ${clone.status?.targetName ?? ''} is gone)`,
          () =>
            this.client.delete(VIRTUAL_MACHINE_CLONES, ns, clone.metadata?.name ?? '', {
              ...(clone.metadata?.uid ? { uid: clone.metadata.uid } : {}),
            }),
        );
        return false;
    }
  }

  /** One write; undefined when its object is gone (404), a VmCloneSyncError otherwise. */
  private step<T>(what: string, step: string, write: () => Promise<T>): Promise<T | undefined> {
    return unlessGone(write, (err) => new VmCloneSyncError(what, step, err));
  }

  /** A create an earlier round may have made already: true when this one made it. */
  private async create(what: string, step: string, create: () => Promise<unknown>): Promise<boolean> {
    try {
      await create();
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw new VmCloneSyncError(what, step, err);
    }
  }
}
