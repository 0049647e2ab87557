/**
 * The snapshot controller's reconciler: one queue, three kinds of key (a VolumeSnapshot
 * `<namespace>/<name>`, a content `content:<name>`, a claim `claim:<namespace>/<name>`). It reads
 * the caches, asks the pure plans beside it what to do, does it, and writes the snapshot's status.
 * Every write is guarded (resourceVersion, a finalizer list, a UID precondition), so a stale cache
 * costs a retry, never a wrong write.
 */
import { isDeepStrictEqual } from 'util';
import {
  SNAPSHOT_BOUND_FINALIZER,
  PVC_AS_SOURCE_FINALIZER,
  type VolumeSnapshot,
  type VolumeSnapshotClass,
  type VolumeSnapshotContent,
} from '../../api/volumesnapshot/v1';
import {
  addFinalizerPatch,
  isAlreadyExists,
  StepError,
  unlessGone,
  PVCS,
  removeFinalizerPatch,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
  type EventRecorder,
  type Informer,
  type KubeClient,
} from '../../kube';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { ReconcileResult } from '../vm/reconciler';
import { claimProtected, claimProtectionNeeded } from './claim-protection';
import { planContent } from './content-plan';
import { snapshotOwnership } from './ownership';
import { CREATING_SNAPSHOT, planSnapshot } from './snapshot-plan';

export const CONTENT_KEY_PREFIX = 'content:';
export const CLAIM_KEY_PREFIX = 'claim:';

export interface VolumeSnapshotInformers {
  readonly snapshots: Informer<VolumeSnapshot>;
  readonly contents: Informer<VolumeSnapshotContent>;
  readonly classes: Informer<VolumeSnapshotClass>;
  readonly claims: Informer<Claim>;
  readonly storageClasses: Informer<StorageClass>;
}

/** A step of a reconcile that failed, naming the object and what was being done. */
export class VolumeSnapshotSyncError extends StepError {}

export class VolumeSnapshotReconciler {
  constructor(
    private readonly client: KubeClient,
    private readonly inf: VolumeSnapshotInformers,
    private readonly recorder: EventRecorder,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    if (key.startsWith(CONTENT_KEY_PREFIX))
      return this.reconcileContent(key.slice(CONTENT_KEY_PREFIX.length));
    if (key.startsWith(CLAIM_KEY_PREFIX)) return this.reconcileClaim(key.slice(CLAIM_KEY_PREFIX.length));
    return this.reconcileSnapshot(key);
  }

  /** What ownership needs of a snapshot's claim and classes, from the caches. */
  private facts(s: VolumeSnapshot): {
    classes: VolumeSnapshotClass[];
    claim?: Claim;
    claimClass?: StorageClass;
  } {
    const claimName = s.spec?.source?.persistentVolumeClaimName;
    const claim = claimName
      ? this.inf.claims.cache.get(`${s.metadata?.namespace ?? ''}/${claimName}`)
      : undefined;
    const claimClass = claim?.spec?.storageClassName
      ? this.inf.storageClasses.cache.get(claim.spec.storageClassName)
      : undefined;
    return {
      classes: this.inf.classes.cache.list(),
      ...(claim ? { claim } : {}),
      ...(claimClass ? { claimClass } : {}),
    };
  }

  private async reconcileSnapshot(key: string): Promise<ReconcileResult> {
    let snapshot = this.inf.snapshots.cache.get(key);
    if (!snapshot) return {};
    const plan = planSnapshot({
      snapshot,
      ...this.facts(snapshot),
      content: (name) => this.inf.contents.cache.get(name),
      now: this.now(),
    });
    const ns = snapshot.metadata?.namespace ?? '';
    const name = snapshot.metadata?.name ?? '';
    const what = `VolumeSnapshot ${ns}/${name}`;
    if (plan.kind === 'ignore') return {};
    if (plan.kind === 'delete') {
      if (plan.deleteContent)
        await this.step(
          what,
          `delete VolumeSnapshotContent ${plan.deleteContent.name} (deletionPolicy Delete)`,
          () =>
            this.client.delete(VOLUME_SNAPSHOT_CONTENTS, undefined, plan.deleteContent!.name, {
              ...(plan.deleteContent!.uid ? { uid: plan.deleteContent!.uid } : {}),
            }),
        );
      const patch = plan.removeFinalizer
        ? removeFinalizerPatch(snapshot, SNAPSHOT_BOUND_FINALIZER)
        : undefined;
      if (patch)
        await this.step(what, `remove finalizer ${SNAPSHOT_BOUND_FINALIZER}`, () =>
          this.client.jsonPatch(VOLUME_SNAPSHOTS, ns, name, patch),
        );
      return {};
    }
    if (plan.addFinalizer) {
      const patch = addFinalizerPatch(snapshot, SNAPSHOT_BOUND_FINALIZER);
      if (patch) {
        const patched = await this.step(what, `add finalizer ${SNAPSHOT_BOUND_FINALIZER}`, () =>
          this.client.jsonPatch<VolumeSnapshot>(VOLUME_SNAPSHOTS, ns, name, patch),
        );
        if (!patched) return {};
        snapshot = patched;
      }
    }
    if (plan.protectClaim) {
      const claim = this.inf.claims.cache.get(`${plan.protectClaim.namespace}/${plan.protectClaim.name}`);
      const patch = claim ? addFinalizerPatch(claim, PVC_AS_SOURCE_FINALIZER) : undefined;
      if (patch) {
        const done = await this.step(
          what,
          `add finalizer ${PVC_AS_SOURCE_FINALIZER} to PersistentVolumeClaim ${plan.protectClaim.namespace}/${plan.protectClaim.name}`,
          () => this.client.jsonPatch(PVCS, plan.protectClaim!.namespace, plan.protectClaim!.name, patch),
        );
        // The claim went meanwhile: decide again from the cache.
        if (!done) throw new VolumeSnapshotSyncError(what, 'protect the source claim', 'the claim is gone');
      }
    }
    let created = false;
    if (plan.createContent) {
      const contentName = plan.createContent.metadata?.name ?? '';
      try {
        await this.client.create(VOLUME_SNAPSHOT_CONTENTS, undefined, plan.createContent);
        created = true;
      } catch (err) {
        // Made by an earlier pass the content cache has not seen yet.
        if (!isAlreadyExists(err))
          throw new VolumeSnapshotSyncError(what, `create VolumeSnapshotContent ${contentName}`, err);
      }
    }
    if (plan.bindContent)
      await this.step(what, `bind VolumeSnapshotContent ${plan.bindContent.name} to this snapshot`, () =>
        this.client.jsonPatch(VOLUME_SNAPSHOT_CONTENTS, undefined, plan.bindContent!.name, [
          ...plan.bindContent!.patch,
        ]),
      );
    if (!isDeepStrictEqual(plan.status, snapshot.status ?? {}))
      await this.step(what, 'write status', () =>
        this.client.updateStatus(VOLUME_SNAPSHOTS, ns, name, { ...snapshot, status: plan.status }),
      );
    for (const ev of plan.events)
      if (ev.reason !== CREATING_SNAPSHOT || created) await this.recorder.record(snapshot, ev);
    return {};
  }

  private async reconcileContent(name: string): Promise<ReconcileResult> {
    const content = this.inf.contents.cache.get(name);
    if (!content) return {};
    const ref = content.spec?.volumeSnapshotRef ?? {};
    const snapshot =
      ref.namespace && ref.name ? this.inf.snapshots.cache.get(`${ref.namespace}/${ref.name}`) : undefined;
    const plan = planContent(content, snapshot);
    const what = `VolumeSnapshotContent ${name}`;
    switch (plan.kind) {
      case 'none':
        return {};
      case 'protect':
      case 'release':
        await this.step(what, plan.kind === 'protect' ? 'add its finalizer' : 'remove its finalizer', () =>
          this.client.jsonPatch(VOLUME_SNAPSHOT_CONTENTS, undefined, name, [...plan.patch]),
        );
        return {};
      case 'delete': {
        // The cache may lag: only a snapshot the API server says is gone lets its content go.
        const live = await this.client.getIfExists<VolumeSnapshot>(
          VOLUME_SNAPSHOTS,
          plan.snapshot.namespace,
          plan.snapshot.name,
        );
        if (live?.metadata?.uid === plan.snapshot.uid) return {};
        await this.step(
          what,
          `delete it: its VolumeSnapshot ${plan.snapshot.namespace}/${plan.snapshot.name} (uid ${plan.snapshot.uid}) is gone and its deletionPolicy is Delete`,
          () =>
            this.client.delete(VOLUME_SNAPSHOT_CONTENTS, undefined, name, plan.uid ? { uid: plan.uid } : {}),
        );
        return {};
      }
    }
  }

  private async reconcileClaim(key: string): Promise<ReconcileResult> {
    const claim = this.inf.claims.cache.get(key);
    if (!claim || !claimProtected(claim)) return {};
    const ns = claim.metadata?.namespace ?? '';
    const snapshots = this.inf.snapshots.cache.list().filter((s) => s.metadata?.namespace === ns);
    const ours = (s: VolumeSnapshot): boolean => snapshotOwnership(s, this.facts(s)).ours;
    if (claimProtectionNeeded(claim, snapshots, ours)) return {};
    const patch = removeFinalizerPatch(claim, PVC_AS_SOURCE_FINALIZER);
    if (patch)
      await this.step(
        `PersistentVolumeClaim ${key}`,
        `remove finalizer ${PVC_AS_SOURCE_FINALIZER} (no snapshot of it is being taken)`,
        () => this.client.jsonPatch(PVCS, ns, claim.metadata?.name ?? '', patch),
      );
    return {};
  }

  /** One write; undefined when its object is gone (404), a VolumeSnapshotSyncError otherwise. */
  private step<T>(what: string, step: string, write: () => Promise<T>): Promise<T | undefined> {
    return unlessGone(write, (err) => new VolumeSnapshotSyncError(what, step, err));
  }
}
