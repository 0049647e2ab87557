/**
 * VMI sync (virt-handler's part): for each VMI scheduled to this node it drives the launcher of
 * its pod over the control socket: POST /v1/sync starts the guest, then the status is reported
 * (Running, interfaces, conditions) through the status subresource by server-side apply under
 * `virtkit-handler`. The launcher's event stream wakes the VMI's key up; when the launcher
 * exits the VMI ends Succeeded or Failed. A deleted VMI gets a graceful guest shutdown.
 * Level-triggered: every decision comes from the VMI and the launcher as they are now, so a
 * restarted handler simply picks running launchers up again without touching the guests.
 */
import { keyFields, type Logger } from '../../common/log';
import { runWorker } from '../work-loop';
import { LauncherClient } from '../../launcher/api/client';
import type { DomainStatus } from '../../launcher/runtime/domain-types';
import type { VmiLaunchers } from './launchers';
import { applyVmiStatus } from './status-apply';
import type { VmiJson } from './vmi-json';
import type { SpecGuard } from './spec-guard';
import { withGuestAgent } from './guest-agent';
import { syncHotplug, type HotplugResult } from './hotplug-sync';
import type { Prober, Readiness } from '../probes/prober';
import type { HotplugSpec } from './hotplug';
import { MigratableFacts } from './migratable-facts';
import type { MigrationProxies } from './migration-proxy';
import {
  liveMigratableCondition,
  liveMigrationMethod,
  type LiveMigratableVmi,
} from '../../api/kubevirt/v1/live-migratable';
import { isSourceOf, isTargetOf, migrationEnded, sourceEvent, type MigrationState } from './migration-plan';
import {
  reportCompletedByExit,
  syncMigrationSource,
  syncMigrationTarget,
  type TargetMemory,
} from './migration-sync';
import {
  domainIsUp,
  runningStatus,
  stoppedStatus,
  vmiStatusDiffers,
  type HandlerVmiStatus,
  type VmiStatusIn,
} from './vmi-status';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../api/kubevirt/v1/defaults';
import {
  Informer,
  WorkQueue,
  errorMessage,
  isConflict,
  setCondition,
  VIRTUAL_MACHINE_INSTANCES,
  type EventRecorder,
  type KubeClient,
} from '../../kube';

export interface VmiSyncOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** Launchers, and the addresses of their pods (a VMI's pod-network interface reports them). */
  readonly runtime: VmiLaunchers;
  /** Told when a VMI is gone, so its cached verdict goes too. */
  readonly guard?: SpecGuard;
  /** Records the Events of a migration's source side (Migrating, Migrated). */
  readonly recorder?: EventRecorder;
  /** Runs the VMIs' readiness and liveness probes (../probes/prober.ts). */
  readonly prober?: Prober;
  /**
   * Where a VMI's readiness comes from when not from `prober`: on kubelet nodes kubelet runs the
   * probes (the launcher pod's container carries them) and the pod's Ready condition is the verdict.
   */
  readonly readiness?: (key: string) => Readiness | undefined;
  /** Carries migrations between this node and the others (./migration-proxy.ts). */
  readonly migrationProxies: MigrationProxies;
  readonly log: Logger;
}

type Vmi = VmiJson & {
  spec?: { startStrategy?: string; readinessProbe?: unknown; livenessProbe?: unknown };
  status?: VmiStatusIn & {
    nodeName?: string;
    interfaces?: unknown;
    volumeStatus?: unknown[];
    migrationState?: MigrationState;
  };
};

const FINAL = new Set(['Succeeded', 'Failed']);
/** How often a running VMI's status is refreshed even without events. */
const RESYNC_MS = 60_000;
/** How soon a VMI is looked at again while a hotplugged volume is on its way (claim binding...). */
const HOTPLUG_RESYNC_MS = 2_000;

export class VmiSync {
  readonly informer: Informer<Vmi>;
  private readonly queue = new WorkQueue('handler-vmis', { baseMs: 250, maxMs: 30_000 });
  /** Event streams by VMI key (one per launcher socket). */
  private readonly streams = new Map<string, { socket: string; stop: () => void }>();
  private readonly shutdowns = new Map<string, Promise<void>>();
  /** The claims and CPU facts of the LiveMigratable condition (./migratable-facts.ts). */
  private readonly migratable: MigratableFacts;
  /** What the target side of a migration listens on, by VMI key (./migration-sync.ts). */
  private readonly targets = new Map<string, TargetMemory>();
  private workers: Promise<void>[] = [];

  constructor(private readonly o: VmiSyncOptions) {
    this.migratable = new MigratableFacts(o.client);
    this.informer = new Informer<Vmi>(
      o.client.listWatch<Vmi>(VIRTUAL_MACHINE_INSTANCES),
      {},
      { onError: (m) => o.log.warn({ kind: 'VirtualMachineInstance' }, `watch: ${m}`) },
    );
    const enqueue = (v: Vmi): void => {
      if (
        v.status?.nodeName === o.nodeName ||
        v.status?.migrationState?.targetNode === o.nodeName ||
        this.streams.has(keyOf(v))
      )
        this.queue.add(keyOf(v));
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_a, b) => enqueue(b), onDelete: enqueue });
  }

  /** The pod runtime says a launcher of this VMI changed. */
  notify(vmi: { namespace: string; name: string }): void {
    this.queue.add(`${vmi.namespace}/${vmi.name}`);
  }

  async start(workers = 2): Promise<void> {
    this.informer.start();
    for (let i = 0; i < workers; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) => {
            if (!isConflict(e))
              this.o.log.warn(keyFields('VirtualMachineInstance', key), `${errorMessage(e)}`);
          },
        ),
      );
    await this.informer.waitForSync();
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
    await this.informer.stop();
    await Promise.all(this.workers);
  }

  /** The key of one side of a VMI's migration among the proxies. */
  private proxyKey(key: string, ms: MigrationState, side: 'source' | 'target'): string {
    return `${key}#${ms.migrationUid ?? ''}#${side}`;
  }

  /**
   * Closes the migration proxies of `key` that are done: those of another migration or of a VMI
   * gone (with their connections), a source's once its migration ended and a target's once
   * the guest runs there (their last bytes still flow through connections already open).
   */
  private settleProxies(key: string, vmi: Vmi | undefined): void {
    const ms = vmi?.status?.migrationState;
    for (const k of this.o.migrationProxies.keys()) {
      if (!k.startsWith(`${key}#`)) continue;
      const current =
        !!ms && (k === this.proxyKey(key, ms, 'source') || k === this.proxyKey(key, ms, 'target'));
      if (!current || ms?.failed) this.o.migrationProxies.close(k, { force: true });
      else if (k.endsWith('#source') ? migrationEnded(ms) : ms?.targetNodeDomainDetected)
        this.o.migrationProxies.close(k, { force: false });
    }
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const vmi = this.informer.cache.get(key);
    this.settleProxies(key, vmi);
    if (!vmi) this.o.guard?.forget(key);
    if (
      vmi &&
      vmi.status?.nodeName !== this.o.nodeName &&
      vmi.status?.migrationState?.targetNode === this.o.nodeName &&
      !FINAL.has(vmi.status?.phase ?? '')
    )
      return this.reconcileTarget(key, vmi);
    if (!vmi || vmi.status?.nodeName !== this.o.nodeName || FINAL.has(vmi.status?.phase ?? '')) {
      this.closeStream(key);
      this.o.prober?.stop(key);
      this.targets.delete(key);
      if (vmi?.metadata?.uid) this.migratable.forget(vmi.metadata.uid);
      return undefined;
    }
    const meta = vmi.metadata ?? {};
    const l = this.o.runtime.launcherForVmi(meta.namespace ?? '', meta.name ?? '', meta.uid);
    if (!l) return undefined; // the pod runtime tells us when it has one
    const phase = vmi.status?.phase ?? '';
    const ms = vmi.status?.migrationState;
    const source = isSourceOf(ms, this.o.nodeName, l.record.name) && !ms?.failed;

    if (l.exit) {
      // The guest moved to the target node: this launcher's end is not the VMI's. The
      // controller hands the VMI over once the target says the guest runs there.
      const final = source ? l.dir.readFinalStatus() : undefined;
      if (source && (ms?.completed || final?.reason === 'Migrated')) {
        this.closeStream(key);
        this.o.prober?.stop(key);
        if (!ms?.completed) {
          // The launcher ended before this handler read the end: its final status has it.
          await reportCompletedByExit(this.o.client, vmi, new Date());
          const event = sourceEvent(
            {
              action: { kind: 'report', patch: { completed: true } },
              migration: final?.migration ?? { role: 'source', phase: 'Completed' },
            },
            ms?.targetNode ?? '',
          );
          this.recordMigration(vmi, event);
        }
        return undefined;
      }
      this.closeStream(key);
      this.o.prober?.stop(key);
      await this.write(
        vmi,
        withGuestAgent(
          vmi.status ?? {},
          stoppedStatus(vmi.status ?? {}, l.exit.code, new Date()),
          undefined,
          new Date(),
        ),
      );
      this.o.log.info(
        keyFields('VirtualMachineInstance', key),
        `launcher exited with ${l.exit.code}; phase ${l.exit.code === 0 && phase === 'Running' ? 'Succeeded' : 'Failed'}`,
      );
      return undefined;
    }
    if (!l.ready) return undefined;
    const client = new LauncherClient(l.dir.socket);

    if (meta.deletionTimestamp) {
      this.o.prober?.stop(key);
      this.shutdown(
        key,
        client,
        vmi.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
      );
      return undefined;
    }
    this.ensureStream(key, client);

    let domain: DomainStatus;
    if (phase === 'Scheduled') {
      domain = await client.sync();
      this.o.log.info(
        keyFields('VirtualMachineInstance', key),
        `guest started (${domain.accelerator}${domain.softwareEmulation ? ', software emulation' : ''}, QEMU pid ${domain.pid})`,
      );
    } else if (phase === 'Running') {
      domain = await client.status();
    } else {
      return undefined; // Pending / Scheduling: the controller is still at work
    }
    let migrationAgain: number | undefined;
    if (source && ms && !migrationEnded(ms)) {
      const step = await syncMigrationSource(
        this.o.client,
        client,
        vmi,
        domain.guestMemoryBytes,
        {
          proxies: this.o.migrationProxies,
          qemuDir: l.dir.qemuFolder,
          key: this.proxyKey(key, ms, 'source'),
        },
        new Date(),
      );
      if (step.action.kind !== 'wait') {
        const m = step.migration;
        this.o.log.info(
          {
            ...keyFields('VirtualMachineInstance', key),
            ...(m.totalTimeMs !== undefined ? { totalTimeMs: m.totalTimeMs, downtimeMs: m.downtimeMs } : {}),
          },
          `migration source: ${describe(step.action)}`,
        );
      }
      const event = sourceEvent(step, ms.targetNode ?? '');
      this.recordMigration(vmi, event);
      migrationAgain = step.again;
    }
    if (!domainIsUp(domain)) return migrationAgain ?? 1000; // the guest is going away (or moved); the launcher exits next
    const podIPs = this.o.runtime.podIPsOf(l);
    this.o.prober?.update({
      key,
      uid: meta.uid ?? '',
      readinessProbe: vmi.spec?.readinessProbe,
      livenessProbe: vmi.spec?.livenessProbe,
      launcher: client,
      address: podIPs[0] ?? '',
      paused: domain.state === 'Paused',
      pod: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { namespace: l.record.namespace, name: l.record.name, uid: l.record.uid },
      },
    });
    const agent = domain.agentConnected ? await client.guestInfo() : undefined;
    const hotplug = await this.hotplug(key, vmi, client);
    const volumeStatus = hotplug.volumeStatus ?? vmi.status?.volumeStatus;
    const status = withGuestAgent(
      vmi.status ?? {},
      runningStatus(
        vmi.status ?? {},
        domain,
        podIPs,
        new Date(),
        this.o.readiness ? this.o.readiness(key) : this.o.prober?.readiness(key),
        agent?.interfaces,
      ),
      agent,
      new Date(),
    );
    // KubeVirt's virt-handler says whether the VMI can move (and how), from what its node knows.
    const facts = await this.migratable.of(vmi, domain.accelerator);
    const checked = vmi as unknown as LiveMigratableVmi;
    status.conditions = setCondition(status.conditions, liveMigratableCondition(checked, facts, new Date()));
    await this.write(vmi, {
      ...status,
      migrationMethod: liveMigrationMethod(checked, facts),
      ...(volumeStatus ? { volumeStatus } : {}),
    });
    return Math.min(hotplug.again ? HOTPLUG_RESYNC_MS : RESYNC_MS, migrationAgain ?? RESYNC_MS);
  }

  /** A source-side migration Event (Migrating, Migrated) on the VMI, when there is one. */
  private recordMigration(vmi: Vmi, event: ReturnType<typeof sourceEvent>): void {
    if (!event) return;
    void this.o.recorder?.record(
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: vmi.metadata },
      event,
    );
  }

  /**
   * This node receives the VMI (./migration-plan.ts, target role): its launcher pod here is
   * the migration's target pod. The VMI's status stays the source's until the controller hands
   * it over; this side writes only its part of `status.migrationState`.
   */
  private async reconcileTarget(key: string, vmi: Vmi): Promise<number | undefined> {
    const meta = vmi.metadata ?? {};
    const ms = vmi.status?.migrationState;
    const l = this.o.runtime.launcherForVmi(meta.namespace ?? '', meta.name ?? '', meta.uid);
    if (!l || !ms || !isTargetOf(ms, this.o.nodeName, l.record.name)) return undefined;
    // A target launcher that ended (the incoming migration failed, it was killed): its pod
    // says so and the controller fails the migration; the deletion of a VMI is the controller's.
    if (l.exit || !l.ready || meta.deletionTimestamp || ms.failed) {
      this.closeStream(key);
      return undefined;
    }
    const client = new LauncherClient(l.dir.socket);
    this.ensureStream(key, client);
    let memory = this.targets.get(key);
    if (!memory) this.targets.set(key, (memory = {}));
    const podIP = this.o.runtime.podIPsOf(l)[0] ?? '';
    const step = await syncMigrationTarget(
      this.o.client,
      client,
      vmi,
      podIP,
      memory,
      { proxies: this.o.migrationProxies, qemuDir: l.dir.qemuDir, key: this.proxyKey(key, ms, 'target') },
      new Date(),
    );
    if (step.action.kind !== 'wait')
      this.o.log.info(keyFields('VirtualMachineInstance', key), `migration target: ${describe(step.action)}`);
    return step.again;
  }

  /** Volume hotplug (./hotplug-sync.ts); a failure keeps the volumeStatus as it is and looks again soon. */
  private async hotplug(key: string, vmi: Vmi, client: LauncherClient): Promise<HotplugResult> {
    try {
      return await syncHotplug(this.o.client, client, {
        metadata: vmi.metadata,
        spec: vmi.spec as HotplugSpec,
      });
    } catch (e) {
      this.o.log.warn(keyFields('VirtualMachineInstance', key), `hotplug: ${errorMessage(e)}`);
      return { again: true };
    }
  }

  private async write(vmi: Vmi, status: HandlerVmiStatus): Promise<void> {
    if (!vmiStatusDiffers(vmi.status ?? {}, status)) return;
    await applyVmiStatus(this.o.client, vmi, status);
  }

  private shutdown(key: string, client: LauncherClient, grace: number): void {
    if (this.shutdowns.has(key)) return;
    this.o.log.info(
      keyFields('VirtualMachineInstance', key),
      `deleted; shutting the guest down (grace ${grace}s)`,
    );
    const p = client
      .shutdown(grace)
      .then((r) => {
        this.o.log.info(
          keyFields('VirtualMachineInstance', key),
          `guest stopped (${r.how}${r.powerButtonPressed ? ', power button pressed' : ''})`,
        );
        // The launcher exits next and its runtime says so (notify); until then, no second request.
        return 1000;
      })
      .catch((e: unknown) => {
        // A launcher whose guest is already gone closes its socket: the pod runtime reports the exit.
        this.o.log.warn(keyFields('VirtualMachineInstance', key), `shutdown: ${errorMessage(e)}`);
        return 1000;
      })
      .then((delay) => {
        this.shutdowns.delete(key);
        this.queue.addAfter(key, delay);
      });
    this.shutdowns.set(key, p);
  }

  private ensureStream(key: string, client: LauncherClient): void {
    const cur = this.streams.get(key);
    if (cur && cur.socket === client.socketPath) return;
    cur?.stop();
    const entry = {
      socket: client.socketPath,
      stop: client.events(
        () => this.queue.add(key),
        () => {
          if (this.streams.get(key) === entry) this.streams.delete(key);
          this.queue.add(key);
        },
      ),
    };
    this.streams.set(key, entry);
  }

  private closeStream(key: string): void {
    this.streams.get(key)?.stop();
    this.streams.delete(key);
  }
}

/** One line for the log: the step taken, without the request's details. */
function describe(a: { kind: string; patch?: object }): string {
  return a.patch ? `${a.kind} ${JSON.stringify(a.patch)}` : a.kind;
}

function keyOf(v: Vmi): string {
  return `${v.metadata?.namespace ?? ''}/${v.metadata?.name ?? ''}`;
}
