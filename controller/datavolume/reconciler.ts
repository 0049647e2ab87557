/**
 * The DataVolume reconciler: reads the caches (DataVolumes, claims, worker pods, DataSources,
 * StorageClasses), decides the source, the claim and the worker pod with the pure functions
 * beside it, makes what is missing, cleans up after a successful run, and always writes the
 * status it observed with CDI's Events.
 */
import { isDeepStrictEqual } from 'util';
import type { DataSource, DataVolume } from '../../api/cdi/v1beta1';
import { CDI_COMPONENT_LABEL, importerPodName } from '../../api/cdi/worker-pod';
import {
  CLONE_REQUEST_ANNOTATION,
  CLONE_SOURCE_COMPONENT,
  CLONE_TARGET_CLAIM_LABEL,
  CLONE_TARGET_NAMESPACE_LABEL,
  cloneRequestValue,
  cloneSourcePod,
  cloneSourcePodName,
} from '../../api/cdi/clone-source-pod';
import { uploadPodName, uploadPodObservation, uploadServerPod } from '../../api/cdi/upload-pod';
import { DEFAULT_FILESYSTEM_OVERHEAD } from '../../api/cdi/size';
import {
  DATA_VOLUMES,
  errorMessage,
  isAlreadyExists,
  isNotFound,
  PODS,
  PVCS,
  splitKey,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type KubeClient,
} from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';
import { Ann, Reason } from './cdi-names';
import { gcDecision, DEFAULT_DATA_VOLUME_TTL_SECONDS } from './gc';
import { WAIT_FOR_FIRST_CONSUMER, type Claim, type StorageClass, type WorkerPod } from './objects';
import { adoptPatch } from '../replicas/ownership';
import { claimOwnership, renderClaim } from './pvc';
import { crossNamespaceRefusal, dvName, resolveSource, type ResolvedSource } from './source';
import { dataVolumeStatus } from './status';
import { renderWorkerPod } from './worker-pod';
import { DEFAULT_LAUNCHER_IMAGE } from '../vmi/launcher-pod';

export interface DataVolumeInformers {
  readonly dataVolumes: Informer<DataVolume>;
  readonly claims: Informer<Claim>;
  readonly pods: Informer<WorkerPod>;
  readonly dataSources: Informer<DataSource>;
  readonly storageClasses: Informer<StorageClass>;
}

export interface DataVolumeOptions {
  /** virtkit's image for the worker pod (the launcher's). @default controller/vmi DEFAULT_LAUNCHER_IMAGE */
  readonly image?: string;
  /** CDIConfig filesystemOverhead.global. @default 0.055 */
  readonly filesystemOverhead?: number;
  /** CDIConfig dataVolumeTTLSeconds; negative disables garbage collection. @default -1 */
  readonly dataVolumeTTLSeconds?: number;
}

/** CDI's mark on a clone's target claim: the source it asked for (the runner checks it). */
function withCloneRequest(claim: Claim, source: { namespace: string; name: string }): Claim {
  return {
    ...claim,
    metadata: {
      ...claim.metadata,
      annotations: {
        ...(claim.metadata?.annotations ?? {}),
        [CLONE_REQUEST_ANNOTATION]: cloneRequestValue(source.namespace, source.name),
      },
    },
  };
}

/** A failure of one step, naming the object and what was being done. */
export class DataVolumeSyncError extends Error {
  constructor(
    readonly dataVolume: string,
    readonly step: string,
    cause: unknown,
  ) {
    super(`DataVolume ${dataVolume}: ${step}: ${errorMessage(cause)}`);
    this.name = 'DataVolumeSyncError';
  }
}

/** The class a claim names, else the cluster's default class. */
export function storageClassFor(
  className: string | undefined,
  classes: readonly StorageClass[],
): StorageClass | undefined {
  if (className) return classes.find((c) => c.metadata?.name === className);
  return classes.find((c) => c.metadata?.annotations?.[Ann.defaultStorageClass] === 'true');
}

/** CDI asks only whether the annotation is there (virtctl's --force-bind writes it empty). */
function immediateBindingRequested(dv: DataVolume, claim: Claim | undefined): boolean {
  return (
    dv.metadata?.annotations?.[Ann.immediateBinding] !== undefined ||
    claim?.metadata?.annotations?.[Ann.immediateBinding] !== undefined
  );
}

export class DataVolumeReconciler {
  /** Key -> the resourceVersion a status write was based on, until the cache moves past it. */
  private readonly writtenFrom = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly inf: DataVolumeInformers,
    private readonly recorder: EventRecorder,
    private readonly options: DataVolumeOptions = {},
  ) {}

  private get overhead(): number {
    return this.options.filesystemOverhead ?? DEFAULT_FILESYSTEM_OVERHEAD;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const dv = this.inf.dataVolumes.cache.get(key);
    if (!dv) {
      this.writtenFrom.delete(key);
      // A clone from another namespace left its source pod there: it cannot be owned across
      // namespaces, so it goes with its DataVolume here.
      await this.deleteSourcePods(key);
      return {};
    }
    if (dv.metadata?.deletionTimestamp) return {};
    // The cache still shows the object this controller last wrote status over: its own write's
    // watch event brings the key back.
    if (this.writtenFrom.get(key) === dv.metadata?.resourceVersion) return {};
    this.writtenFrom.delete(key);

    const { namespace = '', name } = splitKey(key);
    const now = new Date();
    let source: ResolvedSource = resolveSource(dv, (k) => this.inf.dataSources.cache.get(k));
    let problem: { reason: string; message: string } | undefined;
    let sourceClaim: Claim | undefined;
    if (source.type === 'clone') {
      const refusal = crossNamespaceRefusal(dv, source);
      if (refusal) source = refusal;
      else {
        sourceClaim = this.inf.claims.cache.get(`${source.namespace}/${source.name}`);
        if (!sourceClaim)
          problem = {
            reason: Reason.cloneWithoutSource,
            message: `The source pvc ${source.name} doesn't exist; DataVolume ${dvName(dv)} waits for it`,
          };
      }
    }
    if (source.type === 'blocked') problem = { reason: source.reason, message: source.message };

    const classes = this.inf.storageClasses.cache.list();
    let claim: Claim | undefined;
    const existing = this.inf.claims.cache.get(key);
    if (existing) {
      const own = claimOwnership(dv, existing);
      if (own.use === 'refuse') problem = { reason: own.reason, message: own.message };
      else {
        if (own.use === 'adopt') await this.adopt(dv, existing);
        claim = existing;
        // Garbage collection (off by default, as in CDI).
        const gc = gcDecision(
          dv,
          claim,
          this.options.dataVolumeTTLSeconds ?? DEFAULT_DATA_VOLUME_TTL_SECONDS,
          now,
        );
        if (gc.action === 'collect') {
          await this.collect(dv, claim, gc.claimOwners);
          return {};
        }
        if (gc.action === 'wait') return { requeueAfterMs: gc.afterMs };
      }
    } else if (dv.metadata?.annotations?.[Ann.prePopulated] !== undefined) {
      // CDI's prePopulated: the claim is someone else's to make (a VM restore); wait for it.
    } else if (!problem && source.type !== 'blocked') {
      const className = dv.spec.storage?.storageClassName ?? dv.spec.pvc?.storageClassName;
      const r = renderClaim({
        dv,
        source,
        storageClass: storageClassFor(className, classes),
        sourceClaim,
        overhead: this.overhead,
      });
      if (!r.ok) problem = { reason: r.reason, message: r.message };
      else
        claim = await this.createClaim(
          dv,
          source.type === 'clone' && source.namespace !== namespace
            ? withCloneRequest(r.claim, source)
            : r.claim,
        );
    }

    // A clone from another namespace is CDI's host-assisted clone: an upload server here takes
    // the stream of a source pod there (api/cdi/clone-source-pod.ts).
    const crossClone = source.type === 'clone' && source.namespace !== namespace ? source : undefined;
    const podName = source.type === 'upload' || crossClone ? uploadPodName(name) : importerPodName(name);
    const cachedPod = this.inf.pods.cache.get(`${namespace}/${podName}`);
    const pod =
      cachedPod &&
      claim?.metadata?.uid &&
      cachedPod.metadata?.ownerReferences?.some((o) => o.uid === claim?.metadata?.uid)
        ? cachedPod
        : undefined;
    const sc = claim ? storageClassFor(claim.spec?.storageClassName, classes) : undefined;
    const wffcClass = sc?.volumeBindingMode === WAIT_FOR_FIRST_CONSUMER;
    const immediate = immediateBindingRequested(dv, claim);
    const pending = claim?.status?.phase === 'Pending' || (claim !== undefined && !claim.status?.phase);
    const r = dataVolumeStatus({
      dv,
      source,
      claim: problem && !claim ? undefined : claim,
      problem,
      pod,
      waitForFirstConsumer: pending && wffcClass && !immediate,
      now,
    });

    const events: EventSpec[] = [...r.events];
    const canRun = claim && !problem && source.type !== 'blocked';
    if (canRun && claim) {
      // virtkit image-upload, virtctl and the upload proxy read the upload pod's state on the claim.
      if (source.type === 'upload' && pod && !r.succeeded) await this.syncUploadAnnotations(dv, claim, pod);
      if (r.succeeded && source.type !== 'blocked')
        await this.markSucceeded(dv, claim, r.status.restartCount ?? 0, source.type);
      else if (!pod) {
        // A pre-populated DataVolume's claim was filled by whoever made it: never a worker.
        const filled = dv.metadata?.annotations?.[Ann.prePopulated] !== undefined;
        const bound = claim.status?.phase === 'Bound';
        // On a WaitForFirstConsumer claim only an immediate-binding request lets the pod be the first consumer.
        if (!filled && (bound || (pending && wffcClass && immediate)))
          await this.createPod(dv, claim, source as Exclude<ResolvedSource, { type: 'blocked' }>);
      } else if (pod.status?.phase === 'Failed') {
        // A run the node gave up on (evicted, deleted node...): a new pod tries again.
        await this.deletePod(dv, pod);
      } else if (crossClone && uploadPodObservation(pod).phase === 'UploadReady')
        await this.ensureSourcePod(dv, claim, pod, crossClone);
    }

    // Compared as JSON: keys left undefined in the computed status are absent from the stored one.
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(r.status)), dv.status ?? {})) {
      try {
        const written = await this.client.updateStatus<DataVolume>(DATA_VOLUMES, namespace, name, {
          ...dv,
          status: r.status,
        });
        // A write that changed nothing keeps the resourceVersion: no watch event will follow it.
        if (written.metadata?.resourceVersion !== dv.metadata?.resourceVersion)
          this.writtenFrom.set(key, dv.metadata?.resourceVersion ?? '');
      } catch (err) {
        if (isNotFound(err)) return {};
        throw new DataVolumeSyncError(dvName(dv), 'writing status', err);
      }
    }
    for (const ev of events) void this.recorder.record(dv, ev);
    // After the status says Succeeded: the worker pod is done (CDI keeps it only on request).
    if (canRun && r.succeeded && pod && !this.retainPod(dv, claim)) await this.deletePod(dv, pod);
    if (crossClone && (r.succeeded || !pod || pod.status?.phase === 'Failed'))
      await this.deleteSourcePods(key);
    return {};
  }

  private retainPod(dv: DataVolume, claim: Claim | undefined): boolean {
    return (
      dv.metadata?.annotations?.[Ann.podRetainAfterCompletion] === 'true' ||
      claim?.metadata?.annotations?.[Ann.podRetainAfterCompletion] === 'true'
    );
  }

  private async createClaim(dv: DataVolume, claim: Claim): Promise<Claim | undefined> {
    try {
      return await this.client.create<Claim>(PVCS, dv.metadata?.namespace, claim);
    } catch (err) {
      // A previous round's create won and the cache has not shown it yet.
      if (isAlreadyExists(err)) return undefined;
      throw new DataVolumeSyncError(
        dvName(dv),
        `creating PersistentVolumeClaim ${claim.metadata?.name}`,
        err,
      );
    }
  }

  private async createPod(
    dv: DataVolume,
    claim: Claim,
    source: Exclude<ResolvedSource, { type: 'blocked' }>,
  ): Promise<void> {
    const pod =
      source.type === 'upload' || (source.type === 'clone' && source.namespace !== dv.metadata?.namespace)
        ? (uploadServerPod({
            claim: {
              name: claim.metadata?.name ?? '',
              namespace: claim.metadata?.namespace ?? '',
              uid: claim.metadata?.uid ?? '',
              requestedStorage: String(claim.spec?.resources?.requests?.storage ?? ''),
            },
            image: this.options.image ?? DEFAULT_LAUNCHER_IMAGE,
            ...(claim.spec?.volumeMode === 'Block'
              ? { block: true }
              : { filesystemOverhead: String(this.overhead) }),
            ownerUid: dv.metadata?.uid,
          }) as { metadata: { name: string } })
        : renderWorkerPod({
            dv,
            claim,
            source,
            overhead: this.overhead,
            image: this.options.image,
            // A Block source claim is given to the pod as a device, as kubelet requires.
            ...(source.type === 'clone'
              ? {
                  sourceVolumeMode: this.inf.claims.cache.get(`${source.namespace}/${source.name}`)?.spec
                    ?.volumeMode,
                }
              : {}),
          });
    try {
      await this.client.create(PODS, dv.metadata?.namespace, pod);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      throw new DataVolumeSyncError(dvName(dv), `creating worker pod ${pod.metadata.name}`, err);
    }
  }

  /**
   * The source pod of a clone from another namespace, once the target's upload server is Ready:
   * in the source claim's namespace, on the upload server's node (the runner streams between the
   * two there).
   */
  private async ensureSourcePod(
    dv: DataVolume,
    claim: Claim,
    target: WorkerPod,
    source: { namespace: string; name: string },
  ): Promise<void> {
    const uid = claim.metadata?.uid ?? '';
    if (this.inf.pods.cache.get(`${source.namespace}/${cloneSourcePodName(uid)}`)) return;
    const pod = cloneSourcePod({
      source: { namespace: source.namespace, claim: source.name },
      target: { namespace: claim.metadata?.namespace ?? '', claim: claim.metadata?.name ?? '', uid },
      sourceVolumeMode:
        this.inf.claims.cache.get(`${source.namespace}/${source.name}`)?.spec?.volumeMode === 'Block'
          ? 'Block'
          : 'Filesystem',
      image: this.options.image ?? DEFAULT_LAUNCHER_IMAGE,
      ...(dv.metadata?.uid ? { ownerUid: dv.metadata.uid } : {}),
      ...(target.spec?.nodeName ? { nodeName: target.spec.nodeName } : {}),
    }) as { metadata: { name: string } };
    try {
      await this.client.create(PODS, source.namespace, pod);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      throw new DataVolumeSyncError(
        dvName(dv),
        `creating clone source pod ${source.namespace}/${pod.metadata.name}`,
        err,
      );
    }
  }

  /** The clone source pods made for DataVolume `key` (found by their target labels), deleted. */
  private async deleteSourcePods(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    for (const p of this.inf.pods.cache.list()) {
      const l = p.metadata?.labels ?? {};
      if (
        l[CDI_COMPONENT_LABEL] !== CLONE_SOURCE_COMPONENT ||
        l[CLONE_TARGET_NAMESPACE_LABEL] !== namespace ||
        l[CLONE_TARGET_CLAIM_LABEL] !== name
      )
        continue;
      try {
        await this.client.delete(PODS, p.metadata?.namespace, p.metadata?.name ?? '', {
          uid: p.metadata?.uid,
        });
      } catch (err) {
        if (!isNotFound(err))
          throw new DataVolumeSyncError(
            key,
            `deleting clone source pod ${p.metadata?.namespace}/${p.metadata?.name}`,
            err,
          );
      }
    }
  }

  private async deletePod(dv: DataVolume, pod: WorkerPod): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', {
        uid: pod.metadata?.uid,
      });
    } catch (err) {
      if (!isNotFound(err))
        throw new DataVolumeSyncError(dvName(dv), `deleting worker pod ${pod.metadata?.name}`, err);
    }
  }

  /** The upload pod's phase, readiness and restarts on the claim, as CDI's upload controller keeps them. */
  private async syncUploadAnnotations(dv: DataVolume, claim: Claim, pod: WorkerPod): Promise<void> {
    const want = uploadPodObservation(pod).claimAnnotations;
    const have = claim.metadata?.annotations ?? {};
    if (Object.entries(want).every(([k, v]) => have[k] === v)) return;
    try {
      await this.client.mergePatch(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', {
        metadata: { annotations: want },
      });
    } catch (err) {
      if (!isNotFound(err))
        throw new DataVolumeSyncError(
          dvName(dv),
          `recording the upload pod on PersistentVolumeClaim ${claim.metadata?.name}`,
          err,
        );
    }
  }

  /** CDI's record of a finished run on the claim: it outlives the worker pod. */
  private async markSucceeded(
    dv: DataVolume,
    claim: Claim,
    restarts: number,
    kind: 'import' | 'clone' | 'upload',
  ): Promise<void> {
    const clone = kind === 'clone';
    const a = claim.metadata?.annotations ?? {};
    if (a[Ann.podPhase] === 'Succeeded') return;
    try {
      await this.client.mergePatch(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', {
        metadata: {
          annotations: {
            [Ann.podPhase]: 'Succeeded',
            [Ann.podRestarts]: String(restarts),
            [Ann.runningCondition]: 'false',
            [Ann.runningConditionReason]: Reason.completed,
            [Ann.runningConditionMessage]: clone
              ? 'Clone Complete'
              : kind === 'upload'
                ? 'Upload Complete'
                : 'Import Complete',
          },
        },
      });
    } catch (err) {
      throw new DataVolumeSyncError(
        dvName(dv),
        `recording success on PersistentVolumeClaim ${claim.metadata?.name}`,
        err,
      );
    }
  }

  /** A claim annotated populatedFor this DataVolume becomes its own (CDI adds the owner reference). */
  private async adopt(dv: DataVolume, claim: Claim): Promise<void> {
    try {
      await this.client.jsonPatch(
        PVCS,
        claim.metadata?.namespace,
        claim.metadata?.name ?? '',
        adoptPatch(claim, { ...dv, apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume' }),
      );
    } catch (err) {
      // Gone or changed meanwhile: the next round looks again.
      if (isNotFound(err) || (err as { status?: number }).status === 422) return;
      throw new DataVolumeSyncError(
        dvName(dv),
        `adopting PersistentVolumeClaim ${claim.metadata?.name}`,
        err,
      );
    }
  }

  /** Garbage collection: the claim goes to the DataVolume's owners, then the DataVolume is deleted. */
  private async collect(dv: DataVolume, claim: Claim, owners: unknown[]): Promise<void> {
    try {
      await this.client.mergePatch(PVCS, claim.metadata?.namespace, claim.metadata?.name ?? '', {
        metadata: { ownerReferences: owners, annotations: { [Ann.populatedFor]: null } },
      });
      await this.client.delete(DATA_VOLUMES, dv.metadata?.namespace, dv.metadata?.name ?? '', {
        uid: dv.metadata?.uid,
      });
    } catch (err) {
      if (isNotFound(err)) return;
      throw new DataVolumeSyncError(dvName(dv), 'garbage-collecting the succeeded DataVolume', err);
    }
  }
}
