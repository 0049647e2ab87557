/**
 * The VM snapshot controller's reconciler: one queue, two kinds of key (a VirtualMachineSnapshot
 * `<namespace>/<name>`, a content `content:<namespace>/<name>`). It reads the caches, asks the
 * pure plans beside it what to do (./snapshot-plan.ts, ./content.ts, ./content-sync.ts), does
 * it, and writes status. Writes are guarded (a resourceVersion, a finalizer list), so a stale
 * cache costs a retry, never a lost write.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type {
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VirtualMachineSnapshotContentStatus,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot, VolumeSnapshotClass } from '../../api/volumesnapshot/v1';
import {
  addFinalizerPatch,
  CONTROLLER_REVISIONS,
  isAlreadyExists,
  unlessGone,
  removeFinalizerPatch,
  splitKey,
  StepError,
  VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VIRTUAL_MACHINES,
  VOLUME_SNAPSHOTS,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type KeyedObject,
  type KubeClient,
} from '../../kube';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { ControllerRevision } from '../vm/instancetype-revision';
import { REVISION_OWNER_INDEX } from '../vm/instancetype-sync';
import type { ReconcileResult } from '../vm/reconciler';
import { latestStartRevision, specOfStartRevision } from '../vm/start-revision';
import { planContent, type ContentPlan } from './content';
import { syncContent, type ContentIo } from './content-sync';
import { failureDeadlineMs } from './deadline';
import type { GuestFreezer } from './freezer';
import {
  contentNameOf,
  describeSnapshot,
  EVENT_CONTENT_CREATED,
  SNAPSHOT_SOURCE_FINALIZER,
  VM_SNAPSHOT_CONTENT_FINALIZER,
  VM_SNAPSHOT_FINALIZER,
} from './names';
import { sameJson } from './same-json';
import { planSnapshot } from './snapshot-plan';
import { sourceState, type ClaimUser, type LockFacts, type SourceState } from './source';
import { volumeSnapshotStatuses } from './volume-snapshot-statuses';

export const CONTENT_KEY_PREFIX = 'content:';
/** A VM whose status.volumeSnapshotStatuses is kept: `vm:<namespace>/<name>`. */
export const VM_KEY_PREFIX = 'vm:';

/** Whether the optional snapshot.storage.k8s.io API can be read now. */
export type SnapshotApiState = 'absent' | 'syncing' | 'ready';

/** The informers the manager (and the DataVolume controller) keep, shared with this controller. */
export interface SharedInformers {
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly claims: Informer<Claim>;
  readonly storageClasses: Informer<StorageClass>;
  readonly dataVolumes: Informer<DataVolume>;
  /** Indexed by controller UID (REVISION_OWNER_INDEX), as the manager keeps it. */
  readonly revisions: Informer<ControllerRevision>;
  /** Pods that may mount a VM's claims: launcher pods and CDI worker pods. */
  readonly pods: readonly PodSource[];
}

/** The shared informers plus the controller's own. */
export interface VmSnapshotInformers extends SharedInformers {
  readonly snapshots: Informer<VirtualMachineSnapshot>;
  readonly contents: Informer<VirtualMachineSnapshotContent>;
  readonly volumeSnapshots: Informer<VolumeSnapshot>;
  readonly volumeSnapshotClasses: Informer<VolumeSnapshotClass>;
}

/**
 * An informer of pods, whatever fields its item type declares: the lock reads the claims a pod
 * mounts (spec.volumes), which every pod object carries.
 */
export interface PodSource {
  readonly cache: { list(): readonly KeyedObject[] };
  addHandlers(h: { onDelete?(pod: KeyedObject): void }): void;
}

/** A step of a reconcile that failed, naming the object and what was being done. */
export class VmSnapshotSyncError extends StepError {}

/** How soon a round that needs the snapshot API's caches looks again while they fill. */
const API_SYNC_RETRY_MS = 1_000;

export class VmSnapshotReconciler {
  constructor(
    private readonly client: KubeClient,
    private readonly inf: VmSnapshotInformers,
    private readonly recorder: EventRecorder,
    private readonly freezer: GuestFreezer,
    private readonly snapshotApi: () => SnapshotApiState,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    // Volume backups and VolumeSnapshots are read from the snapshot API's caches: wait for them.
    if (this.snapshotApi() === 'syncing') return { requeueAfterMs: API_SYNC_RETRY_MS };
    if (key.startsWith(CONTENT_KEY_PREFIX))
      return this.reconcileContent(key.slice(CONTENT_KEY_PREFIX.length));
    if (key.startsWith(VM_KEY_PREFIX)) return this.reconcileVmStatus(key.slice(VM_KEY_PREFIX.length));
    return this.reconcileSnapshot(key);
  }

  private sourceVm(s: VirtualMachineSnapshot): { vm?: VirtualMachine; vmi?: VirtualMachineInstance } {
    const src = s.spec?.source;
    if (src?.kind !== 'VirtualMachine' || src.apiGroup !== 'kubevirt.io' || !src.name) return {};
    const key = `${s.metadata?.namespace ?? ''}/${src.name}`;
    const vm = this.inf.vms.cache.get(key);
    return vm ? { vm, vmi: this.inf.vmis.cache.get(key) } : {};
  }

  private lockFacts(namespace: string): LockFacts {
    return {
      claim: (n) => this.inf.claims.cache.get(`${namespace}/${n}`),
      dataVolume: (n) => this.inf.dataVolumes.cache.get(`${namespace}/${n}`),
      pods: this.inf.pods.flatMap((p) =>
        p.cache.list().filter((o) => o.metadata?.namespace === namespace),
      ) as ClaimUser[],
    };
  }

  private storageClassMap(): Map<string, StorageClass> {
    return new Map(this.inf.storageClasses.cache.list().map((c) => [c.metadata?.name ?? '', c]));
  }

  private async reconcileSnapshot(key: string): Promise<ReconcileResult> {
    let snapshot = this.inf.snapshots.cache.get(key);
    if (!snapshot) return {};
    const { namespace = '', name } = splitKey(key);
    const what = describeSnapshot(snapshot);
    const { vm, vmi } = this.sourceVm(snapshot);
    const content = this.inf.contents.cache.get(`${namespace}/${contentNameOf(snapshot)}`);
    const now = this.now();
    // What the content would be (pure), so a problem making it shows in status.
    const contentPlan = vm && !content ? this.contentPlan(snapshot, vm, vmi !== undefined) : undefined;
    const plan = planSnapshot({
      snapshot,
      vm,
      vmi,
      content,
      ...(contentPlan && 'problem' in contentPlan ? { contentProblem: contentPlan.problem } : {}),
      lockFacts: this.lockFacts(namespace),
      now,
    });

    if (plan.addFinalizer) {
      const patch = addFinalizerPatch(snapshot, VM_SNAPSHOT_FINALIZER);
      if (patch) {
        const patched = await this.step(what, `add finalizer ${VM_SNAPSHOT_FINALIZER}`, () =>
          this.client.jsonPatch<VirtualMachineSnapshot>(VIRTUAL_MACHINE_SNAPSHOTS, namespace, name, patch),
        );
        if (!patched) return {};
        snapshot = patched;
      }
    }
    if (plan.lock && vm) await this.lockSource(snapshot, vm, plan.lock);
    if (plan.createContent && contentPlan && 'content' in contentPlan)
      await this.createContent(snapshot, contentPlan);
    if (plan.unlock && vm) await this.unlockSource(snapshot, vm);
    if (plan.deleteContent && content)
      await this.step(
        what,
        `delete VirtualMachineSnapshotContent ${namespace}/${content.metadata?.name ?? ''}`,
        () =>
          this.client.delete(VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, namespace, content.metadata?.name ?? '', {
            ...(content.metadata?.uid ? { uid: content.metadata.uid } : {}),
          }),
      );
    if (!sameJson(plan.status, snapshot.status)) {
      const written = await this.step(what, 'write status', () =>
        this.client.updateStatus<VirtualMachineSnapshot>(VIRTUAL_MACHINE_SNAPSHOTS, namespace, name, {
          ...snapshot,
          status: plan.status,
        }),
      );
      if (!written) return {};
      snapshot = written;
    }
    if (plan.removeFinalizer) {
      const patch = removeFinalizerPatch(snapshot, VM_SNAPSHOT_FINALIZER);
      if (patch)
        await this.step(what, `remove finalizer ${VM_SNAPSHOT_FINALIZER}`, () =>
          this.client.jsonPatch(VIRTUAL_MACHINE_SNAPSHOTS, namespace, name, patch),
        );
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {};
  }

  /** status.snapshotInProgress, then the VM's finalizer (KubeVirt's order). */
  private async lockSource(
    snapshot: VirtualMachineSnapshot,
    vm: VirtualMachine,
    lock: { writeStatus: boolean; addFinalizer: boolean },
  ): Promise<void> {
    const ns = vm.metadata?.namespace ?? '';
    const vmName = vm.metadata?.name ?? '';
    const what = describeSnapshot(snapshot);
    let current = vm;
    if (lock.writeStatus) {
      const written = await this.step(
        what,
        `lock VirtualMachine ${ns}/${vmName} (status.snapshotInProgress)`,
        () =>
          this.client.updateStatus<VirtualMachine>(VIRTUAL_MACHINES, ns, vmName, {
            ...vm,
            status: { ...(vm.status ?? {}), snapshotInProgress: snapshot.metadata?.name },
          }),
      );
      if (!written) return;
      current = written;
    }
    const patch = lock.addFinalizer ? addFinalizerPatch(current, SNAPSHOT_SOURCE_FINALIZER) : undefined;
    if (patch)
      await this.step(
        what,
        `add finalizer ${SNAPSHOT_SOURCE_FINALIZER} to VirtualMachine ${ns}/${vmName}`,
        () => this.client.jsonPatch(VIRTUAL_MACHINES, ns, vmName, patch),
      );
  }

  /** The VM's finalizer, then status.snapshotInProgress (KubeVirt's order). */
  private async unlockSource(snapshot: VirtualMachineSnapshot, vm: VirtualMachine): Promise<void> {
    const ns = vm.metadata?.namespace ?? '';
    const vmName = vm.metadata?.name ?? '';
    const what = describeSnapshot(snapshot);
    let current: VirtualMachine | undefined = vm;
    const patch = removeFinalizerPatch(vm, SNAPSHOT_SOURCE_FINALIZER);
    if (patch)
      current = await this.step(
        what,
        `remove finalizer ${SNAPSHOT_SOURCE_FINALIZER} from VirtualMachine ${ns}/${vmName}`,
        () => this.client.jsonPatch<VirtualMachine>(VIRTUAL_MACHINES, ns, vmName, patch),
      );
    if (!current) return;
    const status = { ...(current.status ?? {}) };
    delete status.snapshotInProgress;
    await this.step(what, `unlock VirtualMachine ${ns}/${vmName} (status.snapshotInProgress)`, () =>
      this.client.updateStatus(VIRTUAL_MACHINES, ns, vmName, { ...current, status }),
    );
  }

  /** The content of the snapshot of `vm` as the caches show things now (./content.ts). */
  private contentPlan(snapshot: VirtualMachineSnapshot, vm: VirtualMachine, online: boolean): ContentPlan {
    const ns = snapshot.metadata?.namespace ?? '';
    const started = online
      ? latestStartRevision(
          vm,
          this.inf.revisions.cache.byIndex(REVISION_OWNER_INDEX, vm.metadata?.uid ?? ''),
        )
      : undefined;
    return planContent(snapshot, vm, online, {
      claim: (n) => this.inf.claims.cache.get(`${ns}/${n}`),
      storageClasses: this.storageClassMap(),
      snapshotClasses: this.inf.volumeSnapshotClasses.cache.list(),
      revision: (n) => this.inf.revisions.cache.get(`${ns}/${n}`),
      ...(started ? { startedSpec: specOfStartRevision(started) } : {}),
    });
  }

  /** The revision copies, then the content (either may exist from an earlier round). */
  private async createContent(
    snapshot: VirtualMachineSnapshot,
    plan: Extract<ContentPlan, { content: unknown }>,
  ): Promise<void> {
    const ns = snapshot.metadata?.namespace ?? '';
    const what = describeSnapshot(snapshot);
    for (const rev of plan.revisionCopies)
      await this.createOrKeep(what, `create ControllerRevision ${ns}/${rev.metadata?.name ?? ''}`, () =>
        this.client.create(CONTROLLER_REVISIONS, ns, rev),
      );
    const contentName = plan.content.metadata?.name ?? '';
    const created = await this.createOrKeep(
      what,
      `create VirtualMachineSnapshotContent ${ns}/${contentName}`,
      () => this.client.create(VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, ns, plan.content),
    );
    if (created)
      await this.recorder.record(snapshot, {
        type: 'Normal',
        reason: EVENT_CONTENT_CREATED,
        message: `Successfully created VirtualMachineSnapshotContent ${contentName}`,
      });
  }

  private async reconcileContent(key: string): Promise<ReconcileResult> {
    const content = this.inf.contents.cache.get(key);
    if (!content) return {};
    const { namespace = '', name } = splitKey(key);
    const snapshotName = content.spec?.virtualMachineSnapshotName;
    if (!snapshotName)
      throw new VmSnapshotSyncError(
        `VirtualMachineSnapshotContent ${key}`,
        'find its snapshot',
        'spec.virtualMachineSnapshotName is not set; a content made by hand must name its VirtualMachineSnapshot',
      );
    const snapshot = this.inf.snapshots.cache.get(`${namespace}/${snapshotName}`);
    let source: SourceState | undefined;
    if (snapshot) {
      const { vm, vmi } = this.sourceVm(snapshot);
      if (vm) source = sourceState(vm, vmi, snapshot);
    }
    const vmiName = snapshot?.spec?.source?.name ?? '';
    const what = `VirtualMachineSnapshotContent ${key}`;
    const io: ContentIo = {
      freeze: () => this.freezer.freeze(namespace, vmiName, snapshot ? failureDeadlineMs(snapshot) : 0),
      unfreeze: () => this.freezer.unfreeze(namespace, vmiName),
      createVolumeSnapshot: async (vs) => {
        try {
          return await this.client.create<VolumeSnapshot>(VOLUME_SNAPSHOTS, namespace, vs);
        } catch (err) {
          // Made by an earlier round the cache has not seen yet.
          if (!isAlreadyExists(err)) throw err;
          return this.client.get<VolumeSnapshot>(VOLUME_SNAPSHOTS, namespace, vs.metadata?.name ?? '');
        }
      },
      removeFinalizer: async (c) => {
        const patch = removeFinalizerPatch(c, VM_SNAPSHOT_CONTENT_FINALIZER);
        if (!patch) return c;
        const patched = await this.step(what, `remove finalizer ${VM_SNAPSHOT_CONTENT_FINALIZER}`, () =>
          this.client.jsonPatch<VirtualMachineSnapshotContent>(
            VIRTUAL_MACHINE_SNAPSHOT_CONTENTS,
            namespace,
            name,
            patch,
          ),
        );
        return patched ?? c;
      },
      writeStatus: async (c, status: VirtualMachineSnapshotContentStatus) => {
        await this.step(what, 'write status', () =>
          this.client.updateStatus(VIRTUAL_MACHINE_SNAPSHOT_CONTENTS, namespace, name, { ...c, status }),
        );
      },
      event: (ev: EventSpec) => void this.recorder.record(content, ev),
    };
    return syncContent(
      {
        content,
        ...(snapshot ? { snapshot } : {}),
        ...(source ? { source } : {}),
        volumeSnapshot: (n) => this.inf.volumeSnapshots.cache.get(`${namespace}/${n}`),
        storageClasses: this.storageClassMap(),
        snapshotClasses: this.inf.volumeSnapshotClasses.cache.list(),
        now: this.now(),
      },
      io,
    );
  }

  /** The VM's status.volumeSnapshotStatuses (./volume-snapshot-statuses.ts), written when it changed. */
  private async reconcileVmStatus(key: string): Promise<ReconcileResult> {
    const vm = this.inf.vms.cache.get(key);
    if (!vm) return {};
    const { namespace = '', name } = splitKey(key);
    const statuses = volumeSnapshotStatuses(vm, {
      claim: (n) => this.inf.claims.cache.get(`${namespace}/${n}`),
      dataVolume: (n) => this.inf.dataVolumes.cache.get(`${namespace}/${n}`),
      storageClasses: this.storageClassMap(),
      snapshotClasses: this.inf.volumeSnapshotClasses.cache.list(),
    });
    if (sameJson(statuses ?? [], vm.status?.volumeSnapshotStatuses ?? [])) return {};
    const status = { ...(vm.status ?? {}) };
    if (statuses) status.volumeSnapshotStatuses = statuses;
    else delete status.volumeSnapshotStatuses;
    await this.step(`VirtualMachine ${key}`, 'write status.volumeSnapshotStatuses', () =>
      this.client.updateStatus(VIRTUAL_MACHINES, namespace, name, { ...vm, status }),
    );
    return {};
  }

  /** One write; undefined when its object is gone (404), a VmSnapshotSyncError otherwise. */
  private step<T>(what: string, step: string, write: () => Promise<T>): Promise<T | undefined> {
    return unlessGone(write, (err) => new VmSnapshotSyncError(what, step, err));
  }

  /** A create that an earlier round may have made already: true when this one made it. */
  private async createOrKeep(what: string, step: string, create: () => Promise<unknown>): Promise<boolean> {
    try {
      await create();
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw new VmSnapshotSyncError(what, step, err);
    }
  }
}
