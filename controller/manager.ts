/**
 * The controller process: informers over VMs, VMIs and launcher pods (kubevirt.io=virt-launcher),
 * the four instancetype and preference kinds and ControllerRevisions (the VM controller's
 * copies of them and of the spec each VMI started from), VirtualMachinePools and
 * VirtualMachineInstanceReplicaSets, one work queue and reconciler per kind, leader election on
 * a Lease, Prometheus metrics, and a graceful stop (queues drained of workers, lease released,
 * watches closed).
 */
import * as os from 'os';
import { useEmulationOf, type VirtualMachine, type VirtualMachineInstance } from '../api/kubevirt/v1';
import type { DataVolume } from '../api/cdi/v1beta1';
import { keyFields, silentLogger, type Logger } from '../common/log';
import {
  byNamespace,
  errorMessage,
  isAuthFailure,
  EventRecorder,
  Informer,
  KubeClient,
  objectKey,
  LeaderElector,
  PODS,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  CONTROLLER_REVISIONS,
  VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES,
  VIRTUAL_MACHINE_CLUSTER_PREFERENCES,
  VIRTUAL_MACHINE_INSTANCETYPES,
  VIRTUAL_MACHINE_PREFERENCES,
  WorkQueue,
  DEFAULT_RATE_LIMIT,
  type ConnectOptions,
} from '../kube';
import { ControllerMetrics, type PhaseCountRow } from './metrics';
import { VmReconciler, type ReconcileResult } from './vm/reconciler';
import { controllerUid } from './vm/vmi-from-vm';
import { InstancetypeSync, REVISION_OWNER_INDEX, type InstancetypeInformers } from './vm/instancetype-sync';
import type { ControllerRevision, InstancetypeObject } from './vm/instancetype-revision';
import { CREATED_BY_LABEL, LAUNCHER_LABEL, LAUNCHER_LABEL_VALUE } from './vmi/launcher-pod';
import type { LauncherPod } from './vmi/phase';
import { CREATED_BY_INDEX, VmiReconciler } from './vmi/reconciler';
import { runningKubeOvnController } from './kubeovn/detect';
import { KubeOvnIpam } from './kubeovn/ipam';

/** How often released VMs' Kube-OVN addresses are collected and Subnet counts refreshed. */
const KUBE_OVN_GC_MS = 15_000;
import { createPoolController } from './pool/controller';
import { createReplicaSetController } from './replicaset/controller';
import { createDataVolumeController } from './datavolume/controller';
import { createDataSourceController } from './datavolume/datasource-controller';
import { createVolumeSnapshotController } from './volumesnapshot/controller';
import { createVmRestoreController } from './restore/controller';
import { createVmCloneController } from './clone/controller';
import { createVmSnapshotController } from './snapshot/controller';
import { createVmExportController } from './export/controller';
import { createMigrationController } from './migration/controller';
import { createEvacuationController } from './migration/evacuation';
import { DataVolumeTemplateSync } from './vm/datavolume-templates';
import { VmiDataVolumes } from './vmi/datavolumes';
import type { OwnerController } from './replicas/owner-controller';

/** The field manager of every write the controller makes. */
export const CONTROLLER_FIELD_MANAGER = 'virtkit-controller';

export interface ControllerOptions {
  /** Which cluster and identity (kubeconfig, context), resolved as kubectl does. @default kubectl's resolution */
  readonly connection?: ConnectOptions;
  /** Serve metrics on this port (0 = any free port); undefined = no metrics server. */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  readonly leaderElect?: boolean;
  readonly leaseNamespace?: string;
  readonly leaseName?: string;
  readonly identity?: string;
  /** Only watch and reconcile this namespace (all namespaces when undefined). */
  readonly namespace?: string;
  readonly workers?: number;
  readonly launcherImage?: string;
  /**
   * Kube-OVN's IPAM (controller/kubeovn/): allocate the addresses of launcher pods whose networks
   * Kube-OVN Subnets serve, except while the real Kube-OVN runs (a running pod labelled
   * app=kube-ovn-controller, looked for every 15 s). false switches it off for good. @default true
   */
  readonly kubeOvnIpam?: boolean;
  /** @default a logger that drops everything */
  readonly log?: Logger;
  /** Called when leadership is lost after it was held (the CLI exits, as controller-runtime does). */
  readonly onLostLeadership?: () => void;
}

interface Worker {
  readonly queue: WorkQueue;
  readonly reconcile: (key: string) => Promise<ReconcileResult>;
  readonly kind?: string;
}

export class ControllerManager {
  readonly vms: Informer<VirtualMachine>;
  readonly vmis: Informer<VirtualMachineInstance>;
  readonly pods: Informer<LauncherPod>;
  /** Instancetypes, preferences (both scopes) and ControllerRevisions, for the VM controller. */
  readonly instancetypeInformers: InstancetypeInformers;
  /** The pool and replica set controllers (controller/pool/, controller/replicaset/). */
  readonly owners: readonly OwnerController[];
  readonly metrics: ControllerMetrics;
  /** Reconciles done per kind (for tests and the status line). */
  readonly reconciles = { vm: 0, vmi: 0 };
  private readonly workers: Worker[];
  private readonly running: Promise<void>[] = [];
  private readonly elector: LeaderElector | undefined;
  private leading = false;
  private metricsServer: { port: number; close(): Promise<void> } | undefined;
  private stopped = false;
  private readonly log: Logger;
  private readonly kubeOvn: KubeOvnIpam;
  private kubeOvnGc: NodeJS.Timeout | undefined;

  private constructor(
    readonly client: KubeClient,
    private readonly options: ControllerOptions,
  ) {
    const log = options.log ?? silentLogger();
    this.log = log;
    const ns = options.namespace;
    const watchOpts = { onError: (m: string) => log.warn(m) };
    this.vms = new Informer(
      client.listWatch<VirtualMachine>(VIRTUAL_MACHINES, undefined, ns),
      { namespace: byNamespace },
      watchOpts,
    );
    this.vmis = new Informer(
      client.listWatch<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, undefined, ns),
      { namespace: byNamespace },
      watchOpts,
    );
    this.pods = new Informer(
      client.listWatch<LauncherPod>(PODS, `${LAUNCHER_LABEL}=${LAUNCHER_LABEL_VALUE}`, ns),
      { [CREATED_BY_INDEX]: (p: LauncherPod) => [p.metadata?.labels?.[CREATED_BY_LABEL] ?? ''] },
      watchOpts,
    );
    const informerOf = <T extends InstancetypeObject>(
      rt: typeof VIRTUAL_MACHINES,
      indexers: Record<string, (o: T) => readonly string[]> = {},
    ): Informer<T> => new Informer(client.listWatch<T>(rt, undefined, ns), indexers, watchOpts);
    this.instancetypeInformers = {
      instancetypes: informerOf(VIRTUAL_MACHINE_INSTANCETYPES),
      clusterInstancetypes: informerOf(VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES),
      preferences: informerOf(VIRTUAL_MACHINE_PREFERENCES),
      clusterPreferences: informerOf(VIRTUAL_MACHINE_CLUSTER_PREFERENCES),
      revisions: informerOf<ControllerRevision>(CONTROLLER_REVISIONS, {
        [REVISION_OWNER_INDEX]: (r) => {
          const uid = controllerUid(r);
          return uid ? [uid] : [];
        },
      }),
    };
    this.metrics = new ControllerMetrics({
      vmiPhaseRows: () => this.vmis.cache.list().map(phaseRow),
      vmsPerNamespace: () => {
        const m = new Map<string, number>();
        for (const vm of this.vms.cache.list())
          m.set(vm.metadata?.namespace ?? '', (m.get(vm.metadata?.namespace ?? '') ?? 0) + 1);
        return m;
      },
      isLeader: () => this.leading,
      isReady: () => this.ready,
    });
    const recorder = new EventRecorder(
      client,
      log,
      CONTROLLER_FIELD_MANAGER,
      options.identity ?? os.hostname(),
    );
    const vmQueue = new WorkQueue(
      'virt-controller-vm',
      DEFAULT_RATE_LIMIT,
      this.metrics.queueHooks('virt-controller-vm'),
    );
    const vmiQueue = new WorkQueue(
      'virt-controller-vmi',
      DEFAULT_RATE_LIMIT,
      this.metrics.queueHooks('virt-controller-vmi'),
    );
    const vmR = new VmReconciler(
      client,
      this.vms,
      this.vmis,
      recorder,
      new InstancetypeSync(client, this.instancetypeInformers),
    );
    const vmiR = new VmiReconciler(
      client,
      this.vmis,
      this.pods,
      recorder,
      options.launcherImage,
      (key, uid) => this.vms.cache.get(key)?.metadata?.uid === uid,
    );
    this.kubeOvn = new KubeOvnIpam(client, {
      enabled: options.kubeOvnIpam ?? true,
      detectRealKubeOvn: () => runningKubeOvnController(client),
    });
    vmiR.kubeOvn = this.kubeOvn;
    this.workers = [
      {
        queue: vmQueue,
        reconcile: (k) => {
          this.reconciles.vm++;
          return vmR.reconcile(k);
        },
      },
      {
        queue: vmiQueue,
        reconcile: (k) => {
          this.reconciles.vmi++;
          return vmiR.reconcile(k);
        },
      },
    ];

    const ownerDeps = {
      client,
      namespace: ns,
      recorder,
      queueHooks: (name: string) => this.metrics.queueHooks(name),
      watchOptions: watchOpts,
    };
    // The DataVolume controller (controller/datavolume/); the VM and VMI controllers read its
    // DataVolumes (templates, readiness) and are woken by their changes.
    const dataVolumes = createDataVolumeController(ownerDeps, { image: options.launcherImage });
    const snapshotShared = {
      vms: this.vms,
      vmis: this.vmis,
      claims: dataVolumes.informers.claims,
      storageClasses: dataVolumes.informers.storageClasses,
      dataVolumes: dataVolumes.dataVolumes,
      revisions: this.instancetypeInformers.revisions,
      pods: [this.pods, dataVolumes.informers.pods],
    };
    const vmSnapshots = createVmSnapshotController(ownerDeps, snapshotShared);
    const migrations = createMigrationController(
      ownerDeps,
      { vmis: this.vmis, pods: this.pods },
      { launcherImage: options.launcherImage, kubeOvn: this.kubeOvn },
    );
    this.owners = [
      createPoolController(ownerDeps, this.vms, this.vmis),
      createReplicaSetController(ownerDeps, this.vmis),
      dataVolumes,
      createDataSourceController(ownerDeps, dataVolumes.informers),
      // Kubernetes' VolumeSnapshots of virtkit's local volumes (controller/volumesnapshot/).
      createVolumeSnapshotController(ownerDeps),
      // KubeVirt's VirtualMachineSnapshots (controller/snapshot/), reading the caches kept above.
      vmSnapshots,
      // KubeVirt's VirtualMachineRestores (controller/restore/), reading the snapshot caches too.
      createVmRestoreController(ownerDeps, snapshotShared, vmSnapshots.caches),
      // KubeVirt's VirtualMachineClones (controller/clone/): a snapshot and a restore of their own.
      createVmCloneController(ownerDeps, snapshotShared, vmSnapshots.caches),
      // KubeVirt's VirtualMachineExports (controller/export/), reading the caches kept above.
      createVmExportController(ownerDeps, snapshotShared, vmSnapshots.caches, {
        image: options.launcherImage,
        log: this.log,
      }),
      // KubeVirt's VirtualMachineInstanceMigrations (controller/migration/): target pods from the
      // VMI and pod caches above, with the VMI's Kube-OVN addresses.
      migrations,
      // KubeVirt's evacuation controller (controller/migration/evacuation.ts): migrations for the
      // VMIs the pod-eviction admission marked (status.evacuationNodeName).
      createEvacuationController(ownerDeps, { vmis: this.vmis, pods: this.pods, ...migrations.informers }),
    ];
    vmR.dataVolumeTemplates = new DataVolumeTemplateSync(
      client,
      dataVolumes.dataVolumes,
      recorder,
      (ns, name) => dataVolumes.informers.claims.cache.get(`${ns}/${name}`)?.status?.phase ?? undefined,
    );
    // KubeVirt's useEmulation, from the KubeVirt objects the migration controller keeps: without
    // it launcher pods (and the ephemeral and migration target pods) ask for devices.kubevirt.io/kvm.
    const useEmulation = (): boolean => useEmulationOf(migrations.informers.kubevirts.cache.list());
    vmiR.useEmulation = useEmulation;
    vmiR.dataVolumes = new VmiDataVolumes(
      client,
      dataVolumes.dataVolumes,
      (ns, name) => dataVolumes.informers.claims.cache.get(`${ns}/${name}`) !== undefined,
      recorder,
      options.launcherImage,
      useEmulation,
    );
    dataVolumes.dataVolumes.addHandlers(
      wakeDataVolumeUsers(
        (k) => vmQueue.add(k),
        (dv) => this.vmis.cache.byIndex('namespace', dv.metadata?.namespace ?? ''),
        (k) => vmiQueue.add(k),
      ),
    );
    // A claim's phase feeds printableStatus (WaitingForVolumeBinding): wake the VMs that use it.
    const wakeClaimUsers = (c: { metadata?: { namespace?: string; name?: string } }): void => {
      const ns = c.metadata?.namespace ?? '';
      for (const vm of this.vms.cache.byIndex('namespace', ns))
        if (
          vm.spec.template?.spec?.volumes?.some(
            (v) => (v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name) === c.metadata?.name,
          )
        )
          vmQueue.add(objectKey(vm));
    };
    dataVolumes.informers.claims.addHandlers({
      onAdd: wakeClaimUsers,
      onUpdate: (o, n) => {
        if (o.status?.phase !== n.status?.phase) wakeClaimUsers(n);
      },
      onDelete: wakeClaimUsers,
    });
    for (const o of this.owners)
      this.workers.push({ queue: o.queue, reconcile: (k) => o.reconcile(k), kind: o.kind });

    const enqueueVm = (o: VirtualMachine): void => vmQueue.add(objectKey(o));
    this.vms.addHandlers({ onAdd: enqueueVm, onUpdate: (_, n) => enqueueVm(n), onDelete: enqueueVm });
    const onVmi = (o: VirtualMachineInstance): void => {
      vmiQueue.add(objectKey(o));
      // The VM of a VMI has the same name; only VMIs a VM controls wake it.
      if (controllerUid(o)) vmQueue.add(objectKey(o));
    };
    this.vmis.addHandlers({
      onAdd: onVmi,
      onUpdate: (old, cur) => {
        onVmi(cur);
        if (this.leading) observeTransitions(this.metrics, old, cur);
      },
      onDelete: onVmi,
    });
    const onPod = (p: LauncherPod): void => {
      const uid = p.metadata?.labels?.[CREATED_BY_LABEL];
      const owner = uid ? this.vmis.cache.list().find((v) => v.metadata?.uid === uid) : undefined;
      if (owner) vmiQueue.add(objectKey(owner));
    };
    this.pods.addHandlers({ onAdd: onPod, onUpdate: (_, n) => onPod(n), onDelete: onPod });
    // A VM waiting for the instancetype or preference it names is woken when that object appears or changes.
    const onInstancetype =
      (field: 'instancetype' | 'preference', cluster: boolean) =>
      (o: InstancetypeObject): void => {
        for (const vm of this.vms.cache.list()) {
          const m = vm.spec?.[field];
          if (!m) continue;
          // A matcher that infers its name does not say which object it waits for: wake it.
          if (m.inferFromVolume) {
            vmQueue.add(objectKey(vm));
            continue;
          }
          if (m.name !== o.metadata?.name) continue;
          const namespaced = (m.kind ?? '').toLowerCase().startsWith(`virtualmachine${field}`);
          if (namespaced === cluster) continue;
          if (!cluster && vm.metadata?.namespace !== o.metadata?.namespace) continue;
          vmQueue.add(objectKey(vm));
        }
      };
    const watchKind = (inf: Informer<InstancetypeObject>, h: (o: InstancetypeObject) => void): void =>
      inf.addHandlers({ onAdd: h, onUpdate: (_, n) => h(n), onDelete: h });
    const iti = this.instancetypeInformers;
    watchKind(iti.instancetypes, onInstancetype('instancetype', false));
    watchKind(iti.clusterInstancetypes, onInstancetype('instancetype', true));
    watchKind(iti.preferences, onInstancetype('preference', false));
    watchKind(iti.clusterPreferences, onInstancetype('preference', true));

    if (options.leaderElect) {
      this.elector = new LeaderElector(client, {
        namespace: options.leaseNamespace ?? 'kube-system',
        name: options.leaseName ?? 'virtkit-controller',
        identity: options.identity ?? `${os.hostname()}_${process.pid}`,
        log,
      });
    }
  }

  static async create(options: ControllerOptions): Promise<ControllerManager> {
    const client = KubeClient.connect({ ...options.connection, fieldManager: CONTROLLER_FIELD_MANAGER });
    options.log?.info(
      { server: client.config.server, user: client.config.user, context: client.config.context },
      `connecting as ${client.config.source}`,
    );
    return new ControllerManager(client, options);
  }

  get ready(): boolean {
    return (
      this.vms.hasSynced &&
      this.vmis.hasSynced &&
      this.pods.hasSynced &&
      Object.values(this.instancetypeInformers).every((i) => i.hasSynced) &&
      this.owners.every((o) => o.informer.hasSynced)
    );
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  /**
   * Start caches and metrics; reconcile now, or once elected when leader election is on.
   * Throws at once (rather than retrying forever) when the credentials are refused or lack a
   * permission the controller needs: that is a configuration error, not a passing fault.
   */
  async start(): Promise<void> {
    await this.checkAccess();
    this.vms.start();
    this.vmis.start();
    this.pods.start();
    for (const i of Object.values(this.instancetypeInformers)) i.start();
    for (const o of this.owners) o.informer.start();
    if (this.options.metricsPort !== undefined) {
      this.metricsServer = await this.metrics.serve(
        this.options.metricsPort,
        this.options.metricsHost ?? '0.0.0.0',
        () => this.ready,
      );
    }
    if (!this.elector) {
      await this.lead();
      return;
    }
    void this.elector.run(
      () => void this.lead(),
      () => {
        const wasLeading = this.leading;
        this.leading = false;
        for (const w of this.workers) w.queue.shutDown();
        if (wasLeading && !this.stopped) this.options.onLostLeadership?.();
      },
    );
  }

  /** One small list of each watched type: a 401 or 403 names the user, verb and resource. */
  private async checkAccess(): Promise<void> {
    const ns = this.options.namespace;
    for (const rt of [
      VIRTUAL_MACHINES,
      VIRTUAL_MACHINE_INSTANCES,
      PODS,
      ...this.owners.map((o) => o.resource),
    ]) {
      try {
        await this.client.list(rt, ns, { limit: 1 });
      } catch (err) {
        if (isAuthFailure(err)) throw err;
        // Anything else (the server is still starting...) is left to the informers' retries.
      }
    }
  }

  /** Resolves once this instance reconciles (immediately without leader election). */
  async waitUntilLeading(): Promise<void> {
    while (!this.leading && !this.stopped) await new Promise((r) => setTimeout(r, 100));
  }

  private async lead(): Promise<void> {
    await Promise.all([
      this.vms.waitForSync(),
      this.vmis.waitForSync(),
      this.pods.waitForSync(),
      ...Object.values(this.instancetypeInformers).map((i) => i.waitForSync()),
      ...this.owners.map((o) => o.informer.waitForSync()),
    ]);
    if (this.stopped) return;
    this.leading = true;
    // Everything known is reconciled once: this is what makes a restart safe.
    for (const vm of this.vms.cache.list()) this.workers[0].queue.add(objectKey(vm));
    for (const vmi of this.vmis.cache.list()) this.workers[1].queue.add(objectKey(vmi));
    for (const o of this.owners) for (const key of o.informer.cache.keys()) o.queue.add(key);
    // Before any launcher pod is made: a real Kube-OVN allocates by itself.
    if (this.kubeOvn.configured) await this.detectKubeOvn();
    const n = this.options.workers ?? 2;
    for (const w of this.workers) for (let i = 0; i < n; i++) this.running.push(this.work(w));
    if (this.kubeOvn.configured)
      this.kubeOvnGc = setInterval(() => void this.collectAddresses(), KUBE_OVN_GC_MS);
  }

  /** Look for the real Kube-OVN; say when virtkit's IPAM steps aside for it or takes over again. */
  private async detectKubeOvn(): Promise<void> {
    try {
      if (!(await this.kubeOvn.detect())) return;
      const real = this.kubeOvn.deferredTo;
      if (real)
        this.log.info(
          { kubeOvnController: real },
          'the real Kube-OVN runs in this cluster: its controller allocates Kube-OVN addresses, virtkit does not',
        );
      else
        this.log.info(
          'no real Kube-OVN controller runs any more: virtkit allocates Kube-OVN addresses again',
        );
    } catch (err) {
      this.log.warn(
        { err: errorMessage(err) },
        'could not look for a real Kube-OVN controller (listing pods labelled app=kube-ovn-controller); keeping the last answer',
      );
    }
  }

  /**
   * Release the Kube-OVN addresses of VMs and standalone VMIs that are gone (controller/kubeovn/),
   * after looking for the real Kube-OVN again.
   */
  private async collectAddresses(): Promise<void> {
    await this.detectKubeOvn();
    try {
      const watched = this.options.namespace;
      await this.kubeOvn.gc(
        (o) =>
          (watched !== undefined && o.namespace !== watched) ||
          (o.kind === 'VirtualMachine' ? this.vms : this.vmis).cache.get(`${o.namespace}/${o.name}`) !==
            undefined,
      );
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'Kube-OVN address collection failed; trying again later');
    }
  }

  private async work(w: Worker): Promise<void> {
    const kind =
      w.kind ?? (w.queue.name === 'virt-controller-vm' ? 'VirtualMachine' : 'VirtualMachineInstance');
    for (;;) {
      const key = await w.queue.get();
      if (key === undefined) return;
      try {
        const r = await w.reconcile(key);
        w.queue.forget(key);
        if (r.requeueAfterMs) w.queue.addAfter(key, r.requeueAfterMs);
      } catch (err) {
        this.log.error(
          { ...keyFields(kind, key), queue: w.queue.name, retry: w.queue.numRequeues(key) + 1 },
          `reconcile failed: ${errorMessage(err)}`,
        );
        w.queue.addRateLimited(key);
      } finally {
        w.queue.done(key);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.kubeOvnGc);
    for (const w of this.workers) w.queue.shutDown();
    await Promise.all(this.running);
    await this.elector?.stop();
    this.leading = false;
    await Promise.all([
      this.vms.stop(),
      this.vmis.stop(),
      this.pods.stop(),
      ...Object.values(this.instancetypeInformers).map((i) => i.stop()),
      ...this.owners.map((o) => o.informer.stop()),
    ]);
    await this.metricsServer?.close();
  }
}

/** DataVolume changes wake the VM that controls it and the VMIs whose volumes name it. */
function wakeDataVolumeUsers(
  enqueueVm: (key: string) => void,
  vmisIn: (dv: DataVolume) => VirtualMachineInstance[],
  enqueueVmi: (key: string) => void,
): {
  onAdd(dv: DataVolume): void;
  onUpdate(o: DataVolume, n: DataVolume): void;
  onDelete(dv: DataVolume): void;
} {
  const wake = (dv: DataVolume): void => {
    const ns = dv.metadata?.namespace ?? '';
    const owner = dv.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'VirtualMachine');
    if (owner) enqueueVm(`${ns}/${owner.name}`);
    for (const vmi of vmisIn(dv))
      if (vmi.spec.volumes?.some((v) => v.dataVolume?.name === dv.metadata?.name)) enqueueVmi(objectKey(vmi));
  };
  return { onAdd: wake, onUpdate: (_, n) => wake(n), onDelete: wake };
}

function phaseRow(vmi: VirtualMachineInstance): PhaseCountRow {
  const a = vmi.metadata?.annotations ?? {};
  const l = vmi.metadata?.labels ?? {};
  return {
    node: vmi.status?.nodeName ?? '',
    phase: vmi.status?.phase ?? 'Pending',
    os: a['vm.kubevirt.io/os'] ?? '<none>',
    workload: a['vm.kubevirt.io/workload'] ?? '<none>',
    flavor: a['vm.kubevirt.io/flavor'] ?? '<none>',
    instanceType:
      l['kubevirt.io/instancetype-name'] ?? l['kubevirt.io/cluster-instancetype-name'] ?? '<none>',
    preference: l['kubevirt.io/preference-name'] ?? l['kubevirt.io/cluster-preference-name'] ?? '<none>',
  };
}

/** Observe phase-transition histograms for phases `cur` entered since `old`. */
export function observeTransitions(
  m: ControllerMetrics,
  old: VirtualMachineInstance,
  cur: VirtualMachineInstance,
): void {
  const before = old.status?.phaseTransitionTimestamps ?? [];
  const after = cur.status?.phaseTransitionTimestamps ?? [];
  const created = Date.parse(cur.metadata?.creationTimestamp ?? '');
  for (let i = before.length; i < after.length; i++) {
    const t = Date.parse(after[i].phaseTransitionTimestamp ?? '');
    const phase = after[i].phase ?? 'Unknown';
    if (!Number.isFinite(t)) continue;
    if (Number.isFinite(created)) m.fromCreation.observe({ phase }, Math.max(0, (t - created) / 1000));
    const prev = i > 0 ? Date.parse(after[i - 1].phaseTransitionTimestamp ?? '') : NaN;
    if (Number.isFinite(prev)) m.betweenPhases.observe({ phase }, Math.max(0, (t - prev) / 1000));
  }
}
