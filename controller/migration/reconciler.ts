/**
 * The migration controller's reconciler: reads a VirtualMachineInstanceMigration and what it
 * concerns from the caches, asks ./migration-plan.ts what this round does, and does it in order:
 * the migration's finalizer and label, the target pod, the VMI's migrationState (a
 * resourceVersion-checked status update, so a handler's or the VMI controller's write in between
 * costs a retry, never a lost field), the VMI's labels, pod deletions, the migration's status,
 * Events, and the finalizer's removal. A step that fails stops the round and names the
 * migration and the step; the key is retried with back-off.
 */
import { isDeepStrictEqual } from 'util';
import {
  useEmulationOf,
  type KubeVirtEmulationSource,
  type VirtualMachineInstance,
  type VirtualMachineInstanceMigration,
} from '../../api/kubevirt/v1';
import {
  effectiveMigrationConfiguration,
  clusterMigrationConfiguration,
  type KubeVirtMigrationsSource,
} from '../../api/migrations/v1alpha1/effective';
import type { MigrationPolicy } from '../../api/migrations/v1alpha1/policy';
import { memoryOverhead } from '../../api/sizing';
import { SpecValidity } from '../../api/validation/spec-validity';
import {
  errorMessage,
  isAlreadyExists,
  isNotFound,
  NAMESPACES,
  PODS,
  removeFinalizerPatch,
  splitKey,
  StepError,
  unlessGone,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
  VIRTUAL_MACHINE_INSTANCES,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type KubeClient,
} from '../../kube';
import { MIGRATION_JOB_UID_LABEL } from '../../api/kubevirt/v1/migration-labels';
import type { KubeOvnIpam } from '../kubeovn/ipam';
import type { ReconcileResult } from '../vm/reconciler';
import { renderMigrationTargetPod } from '../vmi/launcher-pod';
import type { LauncherPod } from '../vmi/phase';
import { CREATED_BY_INDEX } from '../vmi/reconciler';
import { decideMigration, type MigrationDecision, type MigrationInputs } from './migration-plan';
import {
  describeMigration,
  EVENT_FAILED_CREATE,
  EVENT_SUCCESSFUL_CREATE,
  MIGRATION_FINALIZER,
  MIGRATION_SELECTOR_LABEL,
} from './names';

/** The caches the migration controller reads. */
export interface MigrationInformers {
  readonly migrations: Informer<VirtualMachineInstanceMigration>;
  readonly vmis: Informer<VirtualMachineInstance>;
  /** Launcher pods, indexed by kubevirt.io/created-by (CREATED_BY_INDEX). */
  readonly pods: Informer<LauncherPod>;
  readonly policies: Informer<MigrationPolicy>;
  readonly kubevirts: Informer<KubeVirtSettings>;
}

/** What the controllers read of the KubeVirt objects: the migration settings and useEmulation. */
export type KubeVirtSettings = KubeVirtMigrationsSource &
  KubeVirtEmulationSource & { metadata?: { resourceVersion?: string } };

export interface MigrationReconcilerOptions {
  readonly launcherImage?: string;
  /** Kube-OVN's IPAM: the target pod gets the addresses the VMI's pod has. */
  readonly kubeOvn?: KubeOvnIpam;
}

/** A step of a migration round that failed, naming the migration and the step. */
export class MigrationSyncError extends StepError {}

/** How long a created target pod may stay invisible in the cache before its absence counts. */
const EXPECTATION_TTL_MS = 30_000;

/** JSON Pointer escaping of one path segment (RFC 6901). */
function pointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export class MigrationReconciler {
  /** Migration UID -> the target pod created for it and when, until the cache shows the pod. */
  private readonly expected = new Map<string, { pod: string; at: number }>();
  private readonly validity = new SpecValidity();

  constructor(
    private readonly client: KubeClient,
    private readonly inf: MigrationInformers,
    private readonly recorder: EventRecorder,
    private readonly options: MigrationReconcilerOptions = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const migration = this.inf.migrations.cache.get(key);
    if (!migration) {
      this.validity.forget(key);
      return {};
    }
    const { namespace = '' } = splitKey(key);
    const what = describeMigration(migration);
    const uid = migration.metadata?.uid ?? '';
    const vmi = migration.spec?.vmiName
      ? this.inf.vmis.cache.get(`${namespace}/${migration.spec.vmiName}`)
      : undefined;
    const pods = this.podsOf(vmi);
    const exp = this.expected.get(uid);
    if (
      exp &&
      (pods.some((p) => p.metadata?.name === exp.pod) || this.now().getTime() - exp.at > EXPECTATION_TTL_MS)
    )
      this.expected.delete(uid);

    const inputs: MigrationInputs = {
      migration,
      ...(vmi ? { vmi } : {}),
      pods,
      migrations: this.inf.migrations.cache.list(),
      vmiNamed: (ns, name) => this.inf.vmis.cache.get(`${ns}/${name}`),
      hasTargetPod: (o) =>
        this.podsOf(this.inf.vmis.cache.get(`${o.metadata?.namespace ?? ''}/${o.spec?.vmiName ?? ''}`)).some(
          (p) => p.metadata?.labels?.[MIGRATION_JOB_UID_LABEL] === o.metadata?.uid,
        ),
      cluster: clusterMigrationConfiguration(this.inf.kubevirts.cache.list()).configuration,
      specProblems: this.validity.problems(key, migration),
      podCreationExpected: this.expected.has(uid),
      now: this.now(),
    };
    let d = decideMigration(inputs);
    if (d.needsConfiguration && vmi) {
      // The hand-off: the policies select on the namespace's labels too (read once, as KubeVirt does).
      const ns = await this.must(
        what,
        `read Namespace ${namespace} (MigrationPolicy namespaceSelector)`,
        () =>
          this.client.get<{ metadata?: { labels?: Record<string, string> } }>(
            NAMESPACES,
            undefined,
            namespace,
          ),
      );
      d = decideMigration({
        ...inputs,
        effective: effectiveMigrationConfiguration({
          kubevirts: this.inf.kubevirts.cache.list(),
          policies: this.inf.policies.cache.list(),
          vmiLabels: vmi.metadata?.labels ?? {},
          namespaceLabels: ns.metadata?.labels ?? {},
        }),
      });
    }
    return this.apply(migration, vmi, d);
  }

  private podsOf(vmi: VirtualMachineInstance | undefined): LauncherPod[] {
    const uid = vmi?.metadata?.uid;
    return uid ? this.inf.pods.cache.byIndex(CREATED_BY_INDEX, uid) : [];
  }

  private async apply(
    migration: VirtualMachineInstanceMigration,
    vmi: VirtualMachineInstance | undefined,
    d: MigrationDecision,
  ): Promise<ReconcileResult> {
    const ns = migration.metadata?.namespace ?? '';
    const name = migration.metadata?.name ?? '';
    const uid = migration.metadata?.uid ?? '';
    const what = describeMigration(migration);
    const vmiName = vmi?.metadata?.name ?? '';
    let current: VirtualMachineInstanceMigration | undefined = migration;

    if (d.addFinalizer || d.selectorLabel) {
      const ops: unknown[] = [
        { op: 'test', path: '/metadata/resourceVersion', value: migration.metadata?.resourceVersion },
      ];
      const finalizers = migration.metadata?.finalizers;
      if (d.addFinalizer)
        ops.push(
          finalizers?.length
            ? { op: 'add', path: '/metadata/finalizers/-', value: MIGRATION_FINALIZER }
            : { op: 'add', path: '/metadata/finalizers', value: [MIGRATION_FINALIZER] },
        );
      if (d.selectorLabel)
        ops.push(
          migration.metadata?.labels
            ? {
                op: 'add',
                path: `/metadata/labels/${pointer(MIGRATION_SELECTOR_LABEL)}`,
                value: d.selectorLabel,
              }
            : { op: 'add', path: '/metadata/labels', value: { [MIGRATION_SELECTOR_LABEL]: d.selectorLabel } },
        );
      current = await this.step(
        what,
        `add finalizer ${MIGRATION_FINALIZER} and label ${MIGRATION_SELECTOR_LABEL}`,
        () =>
          this.client.jsonPatch<VirtualMachineInstanceMigration>(
            VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
            ns,
            name,
            ops,
          ),
      );
      if (!current) return {};
    }

    if (d.createTargetPod && vmi) await this.createTargetPod(migration, vmi);

    if (d.vmiStatus && vmi) {
      const written = await this.step(what, `write status.migrationState of VMI ${ns}/${vmiName}`, () =>
        this.client.updateStatus(VIRTUAL_MACHINE_INSTANCES, ns, vmiName, { ...vmi, status: d.vmiStatus }),
      );
      if (written) for (const e of d.events) if (e.on === 'vmi') void this.recorder.record(vmi, e.event);
    }
    if (d.vmiLabels && vmi)
      await this.step(what, `set the labels of VMI ${ns}/${vmiName}`, () =>
        this.client.mergePatch(VIRTUAL_MACHINE_INSTANCES, ns, vmiName, { metadata: { labels: d.vmiLabels } }),
      );

    const deleted: EventSpec[] = [];
    for (const p of d.deletePods) {
      await this.step(what, `delete pod ${ns}/${p.name}`, () =>
        this.client.delete(PODS, ns, p.name, p.uid ? { uid: p.uid } : {}),
      );
      if (p.event) deleted.push(p.event);
    }

    if (!isDeepStrictEqual(d.status, migration.status ?? {})) {
      current = await this.step(what, 'write status', () =>
        this.client.updateStatus<VirtualMachineInstanceMigration>(
          VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
          ns,
          name,
          {
            ...current,
            status: d.status,
          },
        ),
      );
      if (!current) return {};
    }
    // Recorded once the status that says the same is written: a conflict retries the round,
    // which would otherwise record the Event twice.
    for (const e of d.events) if (e.on === 'migration') void this.recorder.record(migration, e.event);
    for (const e of deleted) void this.recorder.record(migration, e);

    if (d.removeFinalizer) {
      const patch = removeFinalizerPatch(current, MIGRATION_FINALIZER);
      if (patch)
        await this.step(what, `remove finalizer ${MIGRATION_FINALIZER}`, () =>
          this.client.jsonPatch(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, ns, name, patch),
        );
    }
    // While a created target pod is not yet visible, look again when its expectation lapses.
    if (this.expected.has(uid) && d.requeueAfterMs === undefined)
      return { requeueAfterMs: EXPECTATION_TTL_MS };
    return d.requeueAfterMs !== undefined ? { requeueAfterMs: d.requeueAfterMs } : {};
  }

  /** The target pod, with the VMI's Kube-OVN addresses; AlreadyExists means an earlier round made it. */
  private async createTargetPod(
    migration: VirtualMachineInstanceMigration,
    vmi: VirtualMachineInstance,
  ): Promise<void> {
    const ns = migration.metadata?.namespace ?? '';
    const what = describeMigration(migration);
    const pod = renderMigrationTargetPod(vmi, migration, {
      overheadBytes: memoryOverhead(vmi.spec),
      useEmulation: useEmulationOf(this.inf.kubevirts.cache.list()),
      image: this.options.launcherImage,
    });
    try {
      Object.assign(
        pod.metadata.annotations,
        await this.options.kubeOvn?.podAnnotations(vmi, pod.metadata.annotations),
      );
      await this.client.create(PODS, ns, pod);
      void this.recorder.record(migration, {
        type: 'Normal',
        reason: EVENT_SUCCESSFUL_CREATE,
        message: `Created migration target pod ${pod.metadata.name}`,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        void this.recorder.record(vmi, {
          type: 'Warning',
          reason: EVENT_FAILED_CREATE,
          message: `Error creating pod: ${errorMessage(err)}`,
        });
        throw new MigrationSyncError(what, `create target pod ${ns}/${pod.metadata.name}`, err);
      }
    }
    this.expected.set(migration.metadata?.uid ?? '', { pod: pod.metadata.name, at: this.now().getTime() });
  }

  /** One write; undefined when its object is gone (404), a MigrationSyncError otherwise. */
  private step<T>(what: string, step: string, write: () => Promise<T>): Promise<T | undefined> {
    return unlessGone(write, (err) => new MigrationSyncError(what, step, err));
  }

  /** A read whose object must exist: any failure stops the round. */
  private async must<T>(what: string, step: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      throw new MigrationSyncError(
        what,
        step,
        isNotFound(err) ? `${errorMessage(err)} (gone meanwhile)` : err,
      );
    }
  }
}
