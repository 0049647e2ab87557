/**
 * The local pod runtime (kubelet's part in local mode): for each launcher pod bound to this
 * node it prepares the pod's directory, gives the pod its network (its own namespace and an
 * address, CNI ADD through ../network/cni, the sandbox containerd would make), starts `virtkit
 * launcher --wait-for-sync` as a host process inside that namespace, reports pod status, stops
 * the process with the pod's grace period when the pod is deleted, tears its network down (CNI
 * DEL) and then removes the pod object. restartPolicy Never: nothing is ever restarted.
 * Launchers found in the state dir at start-up are adopted, not restarted; the networks of pods
 * that went while the handler was down are torn down then.
 */
import { keyFields, type Logger } from '../../common/log';
import { runWorker } from '../work-loop';
import { LauncherClient } from '../../launcher/api/client';
import { isSameProcess, startLauncher, stopLauncher, type LauncherCommand } from './launcher-process';
import {
  inferExitCode,
  PodDir,
  recordedPods,
  type ExitRecord,
  type FinalStatus,
  type PodRecord,
} from './pod-dir';
import { exitReason, podStatus, statusDiffers, type ContainerObservation } from './pod-status';
import {
  isLauncherPod,
  isTerminalPhase,
  LAUNCHER_LABEL,
  LAUNCHER_LABEL_VALUE,
  podKey,
  vmiOfPod,
  type PodJson,
} from './pod-types';
import { PodPrepareError, preparePod, type PodImages } from './prepare';
import { sandboxFailure, sandboxRetryMs } from './sandbox';
import {
  CniError,
  PodNetworkError,
  type PodIdentity,
  type PodNetwork,
  type PodNetworkStatus,
} from '../network/cni';
import { networkStatusAnnotation, networkStatusEntries } from '../network/multus';
import { podNetworksOf } from '../network/kubeovn';
import { whereaboutsNetworks, type WhereaboutsFiles } from '../network/whereabouts';
import { MULTUS_NETWORK_STATUS_ANNOTATION } from '../../api/multus/pod-interfaces';
import { removePodObject, writePodAnnotations, writePodStatus } from './pod-writes';
import type { SpecGuard } from '../vmi/spec-guard';
import { newestLauncherOf, type VmiLaunchers } from '../vmi/launchers';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../api/kubevirt/v1/defaults';
import { Informer, WorkQueue, errorMessage, PODS, type EventRecorder, type KubeClient } from '../../kube';
import { metav1Time } from '../../api/k8s/meta';

/** One launcher process this node runs (or ran) for a pod. */
export interface LocalLauncher {
  readonly record: PodRecord;
  readonly dir: PodDir;
  pid?: number;
  startTicks?: string;
  exit?: ExitRecord;
  /** The control socket answered. */
  ready: boolean;
  /** A stop is under way (pod deleted). */
  stopping?: Promise<void>;
  /** Started by this handler process (exit code observed), or adopted after a restart. */
  adopted: boolean;
}

export interface PodRuntimeOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  readonly stateDir: string;
  /** status.hostIP; also the address of launchers a handler without pod networks started. */
  readonly hostIP: string;
  /** Every pod's network namespace and address (CNI), set up before its launcher starts. */
  readonly network: PodNetwork;
  /**
   * Wire pods' Kube-OVN allocations (the `ovn.kubernetes.io/*` annotations and kube-ovn
   * NetworkAttachmentDefinitions) on a Linux bridge per Subnet (../network/kubeovn). Off where
   * the real Kube-OVN's CNI wires pods. @default true
   */
  readonly kubeOvn?: boolean;
  /**
   * Awaited after the network of a pod on Kube-OVN Subnets is set up and before its launcher
   * starts (the tunnels of a Subnet bridge the ADD may have made). It must not throw.
   */
  readonly afterNetworkSetUp?: () => Promise<void>;
  /**
   * The node's whereabouts files (../network/whereabouts): NADs with whereabouts IPAM are
   * pointed at them. Without them, whereabouts looks for its flat file in its default places,
   * as on a host where its DaemonSet installed one. Either way a NAD's node-local paths go.
   */
  readonly whereabouts?: WhereaboutsFiles;
  /** Where a pod's sandbox failure is reported (Warning FailedCreatePodSandBox on the pod). */
  readonly recorder?: EventRecorder;
  readonly launcherCommand: LauncherCommand;
  /** Judges each pod's VMI (api/ validation, feature gates) before anything is prepared. */
  readonly guard: SpecGuard;
  readonly log: Logger;
  /** Told whenever a launcher of a VMI changes (started, ready, exited). */
  readonly onLauncherChange: (vmi: { namespace: string; name: string }) => void;
  /** Registry images for container disks (without it, only local disk files work). */
  readonly images?: PodImages;
  /**
   * The readinessProbe's verdict for a VMI (../probes/prober.ts): false keeps the pod's
   * container, and so the pod, not Ready. undefined (no probe) leaves readiness to the launcher.
   */
  readonly readiness?: (vmi: { namespace: string; name: string }) => boolean | undefined;
}

export class PodRuntime implements VmiLaunchers {
  readonly informer: Informer<PodJson>;
  private readonly queue = new WorkQueue('handler-pods', { baseMs: 500, maxMs: 30_000 });
  private readonly launchers = new Map<string, LocalLauncher>();
  private livenessTimer?: NodeJS.Timeout;
  /** Pods whose network could not be set up: how often in a row, and the last message (one Event per new message). */
  private readonly sandboxFailures = new Map<string, { count: number; message: string }>();
  private workers: Promise<void>[] = [];

  constructor(private readonly o: PodRuntimeOptions) {
    this.informer = new Informer<PodJson>(
      o.client.listWatch<PodJson>(PODS, `${LAUNCHER_LABEL}=${LAUNCHER_LABEL_VALUE}`),
      {},
      {
        onError: (m) => o.log.warn({ kind: 'Pod' }, `watch: ${m}`),
      },
    );
    const enqueue = (p: PodJson): void => {
      if (p.spec?.nodeName === o.nodeName || this.launchers.has(p.metadata?.uid ?? ''))
        this.queue.add(podKey(p));
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  }

  async start(workers = 2): Promise<void> {
    this.adoptRecorded();
    // Networks of pods that went while the handler was down (and namespaces a crash left).
    await this.collectNetworks(this.launchers.keys());
    this.informer.start();
    for (let i = 0; i < workers; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) => {
            this.o.log.warn(keyFields('Pod', key), `${errorMessage(e)}`);
          },
        ),
      );
    await this.informer.waitForSync();
    // Launchers whose pod vanished while the handler was down: reconcile them too.
    for (const l of this.launchers.values()) this.queue.add(`${l.record.namespace}/${l.record.name}`);
    this.livenessTimer = setInterval(() => this.checkAdopted(), 1000);
  }

  async stop(): Promise<void> {
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    this.queue.shutDown();
    await this.informer.stop();
    await Promise.all(this.workers);
  }

  /**
   * Look again at every pod of this node that has no launcher yet (the feature gates changed:
   * a refused VMI may be allowed now, or the other way round).
   */
  retryWaiting(): void {
    for (const p of this.informer.cache.list()) {
      if (p.spec?.nodeName !== this.o.nodeName || isTerminalPhase(p.status?.phase)) continue;
      if (!this.launchers.has(p.metadata?.uid ?? '')) this.queue.add(podKey(p));
    }
  }

  /** The launcher of a VMI on this node (the newest that has not been stopped for deletion). */
  /** Writes the status of a VMI's launcher pods again (its readiness changed). */
  refreshVmi(vmi: { namespace: string; name: string }): void {
    for (const l of this.launchers.values())
      if (l.record.vmi.namespace === vmi.namespace && l.record.vmi.name === vmi.name)
        this.queue.add(`${l.record.namespace}/${l.record.name}`);
  }

  launcherForVmi(namespace: string, name: string, uid?: string): LocalLauncher | undefined {
    return newestLauncherOf(
      this.launchers.values(),
      (l) => ({ vmi: l.record.vmi, startedAt: l.record.startedAt ?? '' }),
      namespace,
      name,
      uid,
    );
  }

  /**
   * The addresses of a launcher's pod: those CNI gave it (kept in its record); the node's for a
   * launcher a handler without pod networks started (it runs in the host's network).
   */
  podIPsOf(l: { readonly record: { readonly podIPs?: readonly string[] } }): readonly string[] {
    return l.record.podIPs ?? [this.o.hostIP];
  }

  isAlive(l: LocalLauncher): boolean {
    return l.pid !== undefined && !l.exit && isSameProcess(l.pid, l.startTicks ?? '');
  }

  /** Returns a delay (ms) when the pod should be looked at again. */
  private async reconcile(key: string): Promise<number | undefined> {
    const pod = this.informer.cache.get(key);
    if (!pod) return this.podGone(key);
    if (pod.spec?.nodeName !== this.o.nodeName || !isLauncherPod(pod)) return undefined;
    const uid = pod.metadata?.uid ?? '';
    let l = this.launchers.get(uid);

    if (pod.metadata?.deletionTimestamp) {
      if (l && this.isAlive(l)) {
        this.beginStop(
          l,
          key,
          pod.metadata.deletionGracePeriodSeconds ??
            pod.spec?.terminationGracePeriodSeconds ??
            DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
        );
        return undefined;
      }
      if (l?.stopping) await l.stopping;
      // The sandbox goes after its container (kubelet's StopPodSandbox): DEL frees the address.
      await this.tearDownNetwork(pod);
      await removePodObject(this.o.client, pod);
      return undefined;
    }

    if (!l) {
      if (isTerminalPhase(pod.status?.phase)) return undefined;
      if (pod.status?.phase === 'Running') {
        // The pod ran here but its record is gone (state dir wiped): it cannot be re-adopted.
        await this.report(
          pod,
          {
            kind: 'terminated',
            finishedAt: now(),
            exitCode: 137,
            reason: 'ContainerStatusUnknown',
            message: 'the handler has no record of this launcher (was the state dir removed?)',
          },
          pod.status?.podIPs?.map((x) => x.ip) ?? [],
        );
        return undefined;
      }
      const started = await this.startPod(pod);
      if (typeof started === 'number') return started;
      l = started;
    }

    const obs = await this.observe(l);
    await this.report(pod, obs, this.podIPsOf(l));
    // A finished pod keeps its IP in status (as kubelet's does), but not its network.
    if (obs.kind === 'terminated') await this.tearDownNetwork(pod);
    if (obs.kind === 'running' && !obs.ready) return 250;
    return undefined;
  }

  /** The launcher started for the pod, or when to try again (ms). */
  private async startPod(pod: PodJson): Promise<LocalLauncher | number> {
    const uid = pod.metadata?.uid ?? '';
    const dir = PodDir.forPod(this.o.stateDir, uid);
    try {
      await preparePod(this.o.client, pod, dir, this.o.guard, this.o.images);
    } catch (e) {
      if (!(e instanceof PodPrepareError)) throw e;
      this.o.log.info(keyFields('Pod', podKey(pod)), `waiting: ${e.message}`);
      await this.report(pod, { kind: 'waiting', reason: e.reason, message: e.message }, []);
      return e.retryMs ?? 2000;
    }
    const network = await this.setUpNetwork(pod);
    if (typeof network === 'number') return network;
    const vmi = vmiOfPod(pod)!;
    const record: PodRecord = {
      uid,
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      vmi,
      startedAt: now(),
      podIPs: network.podIPs,
      netns: network.netns,
    };
    dir.writeRecord(record);
    const proc = startLauncher(
      this.o.launcherCommand,
      ['--workdir', dir.workDir, '--vmi', dir.vmiFile, '--resources', dir.resourcesFile, '--wait-for-sync'],
      dir.logFile,
      network.netnsPath,
    );
    dir.writePid(proc.pid, proc.startTicks);
    const l: LocalLauncher = {
      record,
      dir,
      pid: proc.pid,
      startTicks: proc.startTicks,
      ready: false,
      adopted: false,
    };
    this.launchers.set(uid, l);
    this.o.log.info(
      keyFields('Pod', podKey(pod)),
      `launcher started (pid ${proc.pid}, dir ${dir.dir}, network namespace ${network.netns}, IP ${network.podIPs.join(', ') || 'none'})`,
    );
    proc.child.on('exit', (code, signal) => {
      const exit = exitOf(code, signal, dir.readFinalStatus());
      l.exit = exit;
      try {
        dir.writeExit(exit);
      } catch (e) {
        // The pod (and its directory) can be gone already: it is removed once the process is
        // seen dead, which may be before Node reports the exit. Never a crash of the handler.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          this.o.log.warn(
            keyFields('Pod', podKey(pod)),
            `recording the launcher's exit: ${(e as Error).message}`,
          );
      }
      this.o.log.info(
        { kind: 'Pod', namespace: record.namespace, name: record.name, uid: record.uid },
        `launcher exited (${signal ?? `code ${code}`})`,
      );
      this.changed(l);
    });
    return l;
  }

  /**
   * CNI ADD for the pod (containerd's RunPodSandbox): its status, or when to try again after a
   * failure, which leaves the pod waiting in ContainerCreating with kubelet's words and one
   * Warning Event FailedCreatePodSandBox per new message. Nothing is left half-wired (setUp
   * undoes a failed ADD), and the launcher does not start.
   */
  private async setUpNetwork(pod: PodJson): Promise<PodNetworkStatus | number> {
    const uid = pod.metadata?.uid ?? '';
    const id = identityOf(pod);
    try {
      // Multus's part (the NetworkAttachmentDefinitions the pod's annotations select) and
      // Kube-OVN's (the Subnets its controller allocated addresses on).
      const networks = await podNetworksOf(this.o.client, pod, {
        kubeOvn: this.o.kubeOvn ?? true,
        stateDir: this.o.stateDir,
        handlerTag: this.o.network.tag,
        log: this.o.log,
      })
        .then((n) => whereaboutsNetworks(n, this.o.whereabouts))
        .catch((e: unknown) => {
          throw e instanceof CniError ? new PodNetworkError(id, 'setUp', e) : e;
        });
      const status = await this.o.network.setUp(id, networks);
      if (networks.kubeOvnBridges > 0) await this.o.afterNetworkSetUp?.();
      this.sandboxFailures.delete(uid);
      await this.writeNetworkStatus(pod, status);
      return status;
    } catch (e) {
      if (!(e instanceof PodNetworkError)) throw e;
      const before = this.sandboxFailures.get(uid);
      const failure = sandboxFailure(e.message, e.reason);
      const count = (before?.count ?? 0) + 1;
      this.sandboxFailures.set(uid, { count, message: failure.message });
      this.o.log.warn(keyFields('Pod', podKey(pod)), `${failure.message} (${e.reason})`);
      if (before?.message !== failure.message)
        await this.o.recorder?.record(
          { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata },
          { type: 'Warning', reason: failure.eventReason, message: failure.message },
        );
      await this.report(
        pod,
        { kind: 'waiting', reason: failure.waitingReason, message: failure.message },
        [],
        { reason: failure.reason, message: failure.message },
      );
      return sandboxRetryMs(count);
    }
  }

  /**
   * Multus's k8s.v1.cni.cncf.io/network-status on the pod: what each attachment got (nothing is
   * written when the pod says so already). A failure is thrown before the launcher starts, so the
   * pod comes back and writes it again (set-up is then the cached one).
   */
  private async writeNetworkStatus(pod: PodJson, status: PodNetworkStatus): Promise<void> {
    const value = networkStatusAnnotation(networkStatusEntries(status));
    if (pod.metadata?.annotations?.[MULTUS_NETWORK_STATUS_ANNOTATION] === value) return;
    await writePodAnnotations(this.o.client, pod, { [MULTUS_NETWORK_STATUS_ANNOTATION]: value });
  }

  /**
   * CNI DEL for the pod (idempotent: nothing runs when it has no network here). A failure is
   * thrown, so the pod's key comes back with back-off and DEL runs again.
   */
  private async tearDownNetwork(pod: PodJson | PodIdentity): Promise<void> {
    const id = 'uid' in pod ? pod : identityOf(pod);
    this.sandboxFailures.delete(id.uid);
    await this.o.network.tearDown(id);
  }

  /**
   * CNI DEL for every pod of this handler that is not live: neither in `live` nor among the
   * pods it knows. Failures are logged (the next collection tries again), never thrown.
   */
  private async collectNetworks(live: Iterable<string>): Promise<void> {
    const uids = new Set(live);
    for (const uid of this.launchers.keys()) uids.add(uid);
    for (const p of this.informer.cache.list()) if (p.metadata?.uid) uids.add(p.metadata.uid);
    const report = await this.o.network.gc(uids);
    for (const e of report.errors) this.o.log.warn({ kind: 'Pod' }, `pod network gc: ${e.message}`);
  }

  private async observe(l: LocalLauncher): Promise<ContainerObservation> {
    const startedAt = l.record.startedAt ?? now();
    if (l.exit || !this.isAlive(l)) {
      const exit = l.exit ?? this.inferExit(l);
      const why = exitReason(exit.code, exit.signal);
      return {
        kind: 'terminated',
        startedAt,
        finishedAt: exit.finishedAt,
        exitCode: exit.code,
        reason: why.reason,
        message: why.message,
        pid: l.pid,
      };
    }
    if (!l.ready) {
      try {
        await new LauncherClient(l.dir.socket).version();
        l.ready = true;
        this.o.onLauncherChange(l.record.vmi);
      } catch {
        // not listening yet
      }
    }
    const probed = this.o.readiness?.(l.record.vmi);
    return { kind: 'running', startedAt, ready: l.ready && probed !== false, pid: l.pid ?? 0 };
  }

  private inferExit(l: LocalLauncher): ExitRecord {
    const exit: ExitRecord = l.dir.readExit() ?? {
      code: inferExitCode(l.dir.readFinalStatus()),
      signal: null,
      finishedAt: now(),
      inferred: true,
    };
    l.exit = exit;
    l.dir.writeExit(exit);
    return exit;
  }

  private async report(
    pod: PodJson,
    container: ContainerObservation,
    podIPs: readonly string[],
    /** Why the pod's sandbox could not be made (PodReadyToStartContainers=False); none when it is up. */
    sandboxFailure?: { readonly reason: string; readonly message: string },
  ): Promise<void> {
    const next = podStatus(pod, {
      container,
      hostIP: this.o.hostIP,
      podIPs,
      sandboxReady: !sandboxFailure,
      sandboxFailure,
      startTime: now(),
      now: now(),
    });
    if (!statusDiffers(pod.status, next)) return;
    await writePodStatus(this.o.client, pod, next);
  }

  private beginStop(l: LocalLauncher, key: string, graceSeconds: number): void {
    if (l.stopping) return;
    this.o.log.info(keyFields('Pod', key), `deleted; stopping the launcher (grace ${graceSeconds}s)`);
    l.stopping = stopLauncher(l.pid ?? 0, l.startTicks ?? '', graceSeconds)
      .catch((e: unknown) => this.o.log.warn(keyFields('Pod', key), `stop failed: ${errorMessage(e)}`))
      .finally(() => {
        if (!l.exit) this.inferExit(l);
        this.queue.add(key);
      });
  }

  /** The pod object is gone: stop its launcher if one still runs, then forget it. */
  private async podGone(key: string): Promise<undefined> {
    for (const [uid, l] of this.launchers) {
      if (`${l.record.namespace}/${l.record.name}` !== key) continue;
      if (this.isAlive(l)) {
        this.beginStop(l, key, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
        await l.stopping;
      }
      // Once the launcher is gone; a failed DEL throws and the key comes back (the record stays).
      await this.tearDownNetwork(l.record);
      this.launchers.delete(uid);
      l.dir.remove();
      this.o.log.info(keyFields('Pod', key), `removed (uid ${uid})`);
      this.o.onLauncherChange(l.record.vmi);
    }
    // A pod removed before its launcher started may still have a network (set up, then the
    // launcher's start failed, or the pod vanished in between): DEL for every pod not known.
    await this.collectNetworks([]);
    return undefined;
  }

  /** Launchers in the state dir from a previous handler process: adopt the living, note the dead. */
  private adoptRecorded(): void {
    for (const uid of recordedPods(this.o.stateDir)) {
      const dir = PodDir.forPod(this.o.stateDir, uid);
      const record = dir.readRecord();
      if (!record) {
        dir.remove();
        continue;
      }
      const pid = dir.readPid();
      const l: LocalLauncher = {
        record,
        dir,
        pid: pid?.pid,
        startTicks: pid?.startTicks,
        ready: false,
        adopted: true,
        exit: dir.readExit(),
      };
      this.launchers.set(uid, l);
      const alive = this.isAlive(l);
      if (!alive && !l.exit) this.inferExit(l);
      this.o.log.info(
        { kind: 'Pod', namespace: record.namespace, name: record.name, uid: record.uid },
        alive ? `adopted running launcher (pid ${pid?.pid})` : 'found a finished launcher',
      );
    }
  }

  private checkAdopted(): void {
    for (const l of this.launchers.values()) {
      if (l.adopted && !l.exit && !this.isAlive(l)) {
        const exit = this.inferExit(l);
        this.o.log.info(
          { kind: 'Pod', namespace: l.record.namespace, name: l.record.name, uid: l.record.uid },
          `adopted launcher exited (code ${exit.code}, inferred)`,
        );
        this.changed(l);
      }
    }
  }

  private changed(l: LocalLauncher): void {
    this.queue.add(`${l.record.namespace}/${l.record.name}`);
    this.o.onLauncherChange(l.record.vmi);
  }
}

function identityOf(pod: PodJson): PodIdentity {
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
  };
}

function now(): string {
  return metav1Time();
}

/**
 * The exit to report. A launcher that had already written its final status when a signal
 * (the pod's SIGTERM) caught it on its way out ended as that status says, not by the signal.
 */
function exitOf(
  code: number | null,
  signal: NodeJS.Signals | null,
  final: FinalStatus | undefined,
): ExitRecord {
  if (signal && final) return { code: inferExitCode(final), signal: null, finishedAt: now(), inferred: true };
  return { code: code ?? 128 + signalNumber(signal), signal, finishedAt: now(), inferred: false };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (!signal) return 0;
  const table: Partial<Record<NodeJS.Signals, number>> = {
    SIGKILL: 9,
    SIGTERM: 15,
    SIGINT: 2,
    SIGABRT: 6,
    SIGSEGV: 11,
  };
  return table[signal] ?? 0;
}
