/**
 * The evacuation controller (KubeVirt's virt-controller evacuation controller): for each VMI,
 * ./evacuation-plan.ts decides from the caches whether a migration moves it off the node it is
 * evacuated from; the reconciler creates that migration (Events SuccessfulCreate / FailedCreate
 * on the VMI, KubeVirt's words), records the plan's once-per-change Events, and writes the
 * descheduler's eviction-in-progress annotation onto the VMI's launcher pods.
 *
 * A created migration is expected until the migration cache shows it (or 30 s pass), so a round
 * that runs before the watch delivers it does not create a second one, as the VMI controller
 * does with its pods. Keys are VMI keys; the queue is woken by the VMI, its launcher pods, its
 * migrations, and KubeVirt objects (the cluster's eviction strategy and limits).
 *
 * Its informers over migrations and KubeVirt objects are its own: the migration controller keeps
 * its informers to itself (controller.ts), so these are a second watch of the same objects.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../api/kubevirt/v1';
import { clusterEvictionStrategy } from '../../api/kubevirt/v1/eviction-strategy';
import { MIGRATION_JOB_UID_LABEL } from '../../api/kubevirt/v1/migration-labels';
import {
  clusterMigrationConfiguration,
  type KubeVirtMigrationsSource,
} from '../../api/migrations/v1alpha1/effective';
import {
  DEFAULT_RATE_LIMIT,
  errorMessage,
  Informer,
  objectKey,
  PODS,
  StepError,
  unlessGone,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  WorkQueue,
  type EventRecorder,
  type KubeClient,
} from '../../kube';
import { pointerToken } from '../clone/clone-patches';
import type { MigrationInformers } from './controller';
import {
  sharedInformers,
  type OwnerController,
  type OwnerControllerDeps,
} from '../replicas/owner-controller';
import type { ReconcileResult } from '../vm/reconciler';
import { DOMAIN_LABEL } from '../vmi/launcher-pod';
import type { LauncherPod } from '../vmi/phase';
import { CREATED_BY_INDEX } from '../vmi/reconciler';
import { decideEvacuation, type EvacuationDecision, type PodAnnotationChange } from './evacuation-plan';
import {
  EVENT_FAILED_CREATE,
  EVENT_SUCCESSFUL_CREATE,
  EVICTION_IN_PROGRESS_ANNOTATION,
  EVICTION_IN_PROGRESS_VALUE,
} from './names';

/** How long a created migration may stay invisible in the cache before another may be made. */
const EXPECTATION_TTL_MS = 30_000;

type KubeVirtObject = KubeVirtMigrationsSource & { metadata?: { resourceVersion?: string } };

/** The caches the evacuation controller reads. */
export interface EvacuationInformers {
  readonly vmis: Informer<VirtualMachineInstance>;
  /** Launcher pods, indexed by kubevirt.io/created-by (CREATED_BY_INDEX). */
  readonly pods: Informer<LauncherPod>;
  readonly migrations: Informer<VirtualMachineInstanceMigration>;
  readonly kubevirts: Informer<KubeVirtObject>;
}

/** A step of an evacuation round that failed, naming the VMI and the step. */
export class EvacuationSyncError extends StepError {}

export class EvacuationReconciler {
  /** VMI key -> the VMI's uid, the migration created for it and when, until the cache shows it. */
  private readonly expected = new Map<string, { uid: string; migration: string; at: number }>();
  /** VMI key -> the last once-per-change Event recorded on it (reason and `once`). */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly inf: EvacuationInformers,
    private readonly recorder: EventRecorder,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const vmi = this.inf.vmis.cache.get(key);
    if (!vmi) {
      this.expected.delete(key);
      this.reported.delete(key);
      return {};
    }
    const uid = vmi.metadata?.uid ?? '';
    const ns = vmi.metadata?.namespace ?? '';
    const exp = this.expected.get(key);
    if (
      exp &&
      (exp.uid !== uid ||
        this.inf.migrations.cache.get(`${ns}/${exp.migration}`) !== undefined ||
        this.now().getTime() - exp.at > EXPECTATION_TTL_MS)
    )
      this.expected.delete(key);
    const kubevirts = this.inf.kubevirts.cache.list();
    const d = decideEvacuation({
      vmi,
      pods: this.podsOf(vmi),
      migrations: this.inf.migrations.cache.list(),
      vmiNamed: (n, name) => this.inf.vmis.cache.get(`${n}/${name}`),
      hasTargetPod: (m) =>
        this.podsOf(this.inf.vmis.cache.get(`${m.metadata?.namespace ?? ''}/${m.spec?.vmiName ?? ''}`)).some(
          (p) => p.metadata?.labels?.[MIGRATION_JOB_UID_LABEL] === m.metadata?.uid,
        ),
      cluster: clusterMigrationConfiguration(kubevirts).configuration,
      clusterStrategy: clusterEvictionStrategy(kubevirts),
      creationExpected: this.expected.has(key),
      now: this.now(),
    });
    return this.apply(key, vmi, d);
  }

  private podsOf(vmi: VirtualMachineInstance | undefined): LauncherPod[] {
    const uid = vmi?.metadata?.uid;
    return uid ? this.inf.pods.cache.byIndex(CREATED_BY_INDEX, uid) : [];
  }

  private async apply(
    key: string,
    vmi: VirtualMachineInstance,
    d: EvacuationDecision,
  ): Promise<ReconcileResult> {
    const what = `VirtualMachineInstance ${key}`;
    if (d.createMigration) await this.createMigration(key, vmi, d.createMigration);
    for (const change of d.podAnnotations) await this.annotate(what, vmi, change);
    const once = d.event ? `${d.event.event.reason}\n${d.event.once}` : undefined;
    if (once === undefined) this.reported.delete(key);
    else if (this.reported.get(key) !== once) {
      this.reported.set(key, once);
      void this.recorder.record(vmi, d.event!.event);
    }
    // While a created migration is not yet visible, look again when its expectation lapses.
    if (this.expected.has(key) && d.requeueAfterMs === undefined)
      return { requeueAfterMs: EXPECTATION_TTL_MS };
    return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
  }

  private async createMigration(
    key: string,
    vmi: VirtualMachineInstance,
    migration: VirtualMachineInstanceMigration,
  ): Promise<void> {
    const ns = vmi.metadata?.namespace ?? '';
    let created: VirtualMachineInstanceMigration;
    try {
      created = await this.client.create<VirtualMachineInstanceMigration>(
        VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
        ns,
        migration,
      );
    } catch (err) {
      void this.recorder.record(vmi, {
        type: 'Warning',
        reason: EVENT_FAILED_CREATE,
        message: `Error creating a Migration: ${errorMessage(err)}`,
      });
      throw new EvacuationSyncError(
        `VirtualMachineInstance ${key}`,
        `create its evacuation migration off node ${vmi.status?.evacuationNodeName ?? ''}`,
        err,
      );
    }
    const name = created.metadata?.name ?? '';
    this.expected.set(key, { uid: vmi.metadata?.uid ?? '', migration: name, at: this.now().getTime() });
    void this.recorder.record(vmi, {
      type: 'Normal',
      reason: EVENT_SUCCESSFUL_CREATE,
      message: `Created Migration ${name}`,
    });
  }

  /** The eviction-in-progress annotation set or removed, on the pod the cache showed (uid-checked). */
  private async annotate(what: string, vmi: VirtualMachineInstance, c: PodAnnotationChange): Promise<void> {
    const ns = vmi.metadata?.namespace ?? '';
    const path = `/metadata/annotations/${pointerToken(EVICTION_IN_PROGRESS_ANNOTATION)}`;
    const ops: unknown[] = [{ op: 'test', path: '/metadata/uid', value: c.uid }];
    if (c.value === null)
      ops.push({ op: 'test', path, value: EVICTION_IN_PROGRESS_VALUE }, { op: 'remove', path });
    else if ((this.inf.pods.cache.get(`${ns}/${c.pod}`)?.metadata as { annotations?: object })?.annotations)
      ops.push({ op: 'add', path, value: c.value });
    // A launcher pod always has annotations; should one have none, they are made.
    else
      ops.push({
        op: 'add',
        path: '/metadata/annotations',
        value: { [EVICTION_IN_PROGRESS_ANNOTATION]: c.value },
      });
    const step = `${c.value === null ? 'remove' : 'set'} annotation ${EVICTION_IN_PROGRESS_ANNOTATION} of pod ${ns}/${c.pod}`;
    await unlessGone(
      () => this.client.jsonPatch(PODS, ns, c.pod, ops),
      (err) => new EvacuationSyncError(what, step, err),
    );
  }
}

/**
 * The evacuation controller as the manager runs it: it reads the manager's VMI and launcher pod
 * caches and the migration controller's migrations and KubeVirt objects. Its keys
 * are VMI keys; the manager enqueues every VMI once it leads.
 */
export function createEvacuationController(
  deps: OwnerControllerDeps,
  shared: {
    readonly vmis: Informer<VirtualMachineInstance>;
    readonly pods: Informer<LauncherPod>;
  } & MigrationInformers,
): OwnerController {
  const name = 'virt-controller-evacuation';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const { migrations, kubevirts } = shared;
  const reconciler = new EvacuationReconciler(
    deps.client,
    { vmis: shared.vmis, pods: shared.pods, migrations, kubevirts },
    deps.recorder,
  );

  shared.vmis.onChange((vmi) => queue.add(objectKey(vmi)));
  migrations.onChange((m) => {
    if (m.spec?.vmiName) queue.add(`${m.metadata?.namespace ?? ''}/${m.spec.vmiName}`);
  });
  // A launcher pod names its VMI (same namespace) in its kubevirt.io/domain label.
  shared.pods.onChange((p) => {
    const vmiName = p.metadata?.labels?.[DOMAIN_LABEL];
    if (vmiName) queue.add(`${p.metadata?.namespace ?? ''}/${vmiName}`);
  });
  // The cluster's eviction strategy and limits concern the VMIs marked for evacuation.
  kubevirts.onChange(() => {
    for (const vmi of shared.vmis.cache.list()) if (vmi.status?.evacuationNodeName) queue.add(objectKey(vmi));
  });

  return {
    kind: 'VirtualMachineInstance',
    resource: VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
    // The migration controller starts and stops the informers it shares; this one waits for them.
    informer: sharedInformers(shared.vmis, [migrations, kubevirts]),
    queue,
    reconcile: (k) => reconciler.reconcile(k),
  };
}
