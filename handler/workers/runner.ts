/**
 * The worker-pod runner (kubelet's part for CDI worker pods in local mode): for each pod labelled
 * `app=containerized-data-importer` bound to this node it reads the pod as an import plan
 * (./import-plan.ts), resolves the claims' directories (a Block claim's loop device node), Secret
 * values and CA bundle (./resolve-plan.ts), runs its own `virtkit importer`
 * (./importer-process.ts) and reports the pod's status as kubelet would: Running with the
 * progress condition while it works, Succeeded with "Import Complete" when done; a failed run is
 * terminated with the importer's message and, restartPolicy being OnFailure, run again after
 * kubelet's crash-loop back-off. A malformed pod is reported Failed with the reason, never
 * crashed on. On deletion the child is stopped, the pod's files removed and the pod object
 * deleted (kubelet's final delete).
 *
 * A handler restart forgets the children: one that died with the old handler is simply run
 * again (the importer removes its own scratch files first); one still alive is stopped first.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CLONE_REQUEST_ANNOTATION,
  CLONE_SOURCE_POD_SUFFIX,
  cloneRequestValue,
  cloneSourcePodName,
} from '../../api/cdi/clone-source-pod';
import {
  CDI_APP_LABEL,
  CDI_APP_LABEL_VALUE,
  IMPORT_COMPLETE_MESSAGE,
  WORKER_CONTAINER,
} from '../../api/cdi/worker-pod';
import { confinedRealPath } from '../../common/confine';
import { keyFields, type Logger } from '../../common/log';
import { Informer, WorkQueue, errorMessage, PODS, PVCS, type KubeClient } from '../../kube';
import type { RegistryMirror } from '../images/policy';
import { ProgressThrottle } from '../importer/progress';
import { isSameProcess, type LauncherCommand } from '../pods/launcher-process';
import type { ContainerObservation } from '../pods/pod-status';
import { isTerminalPhase, podKey, type PodJson } from '../pods/pod-types';
import { removePodObject, writePodStatus } from '../pods/pod-writes';
import { runWorker } from '../work-loop';
import { crashLoopDelayMs, crashLoopMessage, type CrashLoopBackoff } from './crash-loop';
import { importerArgs } from './importer-args';
import type { ImporterLine } from './importer-output';
import { startImporter, stopImporter } from './importer-process';
import {
  ImportPlanError,
  isWorkerPod,
  parseImportPlan,
  UPLOAD_SOURCE,
  type ImportPlan,
  type WorkerPodJson,
} from './import-plan';
import { isUploadServerPod, parseUploadPlan } from './upload-plan';
import { isCloneSourcePod, parseCloneSourcePlan } from './clone-source-plan';
import type { ClaimJson } from '../volumes/plan';
import { PlanResolveError, resolvePlan } from './resolve-plan';
import { workerPodStatus, workerStatusDiffers, type LastTermination } from './worker-status';
import { metav1Time } from '../../api/k8s/meta';

/** A terminated failure is shown this long before the pod turns to CrashLoopBackOff. */
const TERMINATED_SHOWN_MS = 1000;
/** kubelet's default grace period. */
const DEFAULT_GRACE_SECONDS = 30;
/** The upload server's socket in the pod's runner directory. */
const UPLOAD_SOCKET = 'upload.sock';
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface WorkerRunnerOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** The handler's state dir: per-pod files go to <stateDir>/workers/<pod uid>/. */
  readonly stateDir: string;
  /** The node's local volume root: every claim directory must be under it. */
  readonly volumeRoot: string;
  readonly hostIP: string;
  /** How to run `virtkit` (the launcher's command, with `importer` instead). */
  readonly command: LauncherCommand;
  readonly registries: { readonly mirrors: readonly RegistryMirror[]; readonly insecure: readonly string[] };
  readonly log: Logger;
  /** @default kubelet's: 10 s doubling to 5 min */
  readonly crashLoop?: CrashLoopBackoff;
  /** Least time between two progress writes. @default 1000 */
  readonly progressIntervalMs?: number;
}

type RunState =
  | { kind: 'idle' }
  | { kind: 'waiting'; reason: string; message: string }
  | { kind: 'running'; pid: number; startTicks: string; startedAt: string }
  | { kind: 'failed'; term: LastTermination; shownUntil: number }
  | { kind: 'backoff'; until: number; delayMs: number }
  | { kind: 'succeeded'; startedAt: string; finishedAt: string }
  | { kind: 'refused'; message: string; finishedAt: string };

interface WorkerRun {
  readonly uid: string;
  readonly key: string;
  readonly dir: string;
  state: RunState;
  restartCount: number;
  lastTerminated?: LastTermination;
  progress?: string;
  throttle: ProgressThrottle;
  result?: ImporterLine;
  stopping?: Promise<void>;
  /** An upload server pod's target claim and socket (./upload-plan.ts). */
  upload?: { readonly namespace: string; readonly claim: string; readonly socket: string };
  /** The upload source listens: the pod is Ready. */
  listening?: boolean;
}

const now = (): string => metav1Time();

export class WorkerPodRunner {
  readonly informer: Informer<PodJson>;
  private readonly queue = new WorkQueue('handler-worker-pods', { baseMs: 500, maxMs: 30_000 });
  private readonly runs = new Map<string, WorkerRun>();
  private workers: Promise<void>[] = [];

  constructor(private readonly o: WorkerRunnerOptions) {
    this.informer = new Informer<PodJson>(
      o.client.listWatch<PodJson>(PODS, `${CDI_APP_LABEL}=${CDI_APP_LABEL_VALUE}`),
      {},
      { onError: (m) => o.log.warn({ kind: 'Pod' }, `worker pods watch: ${m}`) },
    );
    const enqueue = (p: PodJson): void => {
      if (p.spec?.nodeName === o.nodeName || this.runs.has(p.metadata?.uid ?? '')) this.queue.add(podKey(p));
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_a, b) => enqueue(b), onDelete: enqueue });
  }

  private get workersDir(): string {
    return path.join(this.o.stateDir, 'workers');
  }

  async start(workers = 2): Promise<void> {
    fs.mkdirSync(this.workersDir, { recursive: true, mode: 0o700 });
    this.informer.start();
    for (let i = 0; i < workers; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) => this.o.log.warn(keyFields('Pod', key), `worker pod: ${errorMessage(e)}`),
        ),
      );
    await this.informer.waitForSync();
    this.removeOrphanDirs();
  }

  /** Stops watching; children are stopped too (an import is not adopted across restarts, it is rerun). */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.informer.stop();
    await Promise.all(this.workers);
    await Promise.all(
      [...this.runs.values()].map((r) =>
        r.state.kind === 'running' ? stopImporter(r.state.pid, r.state.startTicks, 5) : undefined,
      ),
    );
  }

  /**
   * The socket of the running, listening upload server of claim `namespace/claim` on this node
   * (the node API streams uploads there), or undefined when there is none.
   */
  uploadSocket(namespace: string, claim: string): string | undefined {
    for (const run of this.runs.values())
      if (
        run.upload?.namespace === namespace &&
        run.upload.claim === claim &&
        run.state.kind === 'running' &&
        run.listening
      )
        return run.upload.socket;
    return undefined;
  }

  /**
   * Whether claim `namespace/claim` is a clone's target (CDI's k8s.io/CloneRequest): its upload
   * server then takes the source's raw bytes as they are.
   */
  private async isCloneTarget(namespace: string, claim: string): Promise<boolean> {
    const c = await this.o.client.getIfExists<ClaimJson>(PVCS, namespace, claim);
    return c?.metadata?.annotations?.[CLONE_REQUEST_ANNOTATION] !== undefined;
  }

  /**
   * Where a clone source pod may send: only to the target claim that asked for a clone of this
   * pod's claim (its k8s.io/CloneRequest names it) and whose uid this pod's name carries (the
   * controller made the pod for it), through that claim's ready upload server on this node.
   * Anything else is refused: a pod made by someone else must not push data into a claim.
   */
  private async cloneTargetSocket(
    plan: ImportPlan,
    target: { readonly namespace: string; readonly claim: string },
  ): Promise<string> {
    const ref = `PersistentVolumeClaim ${target.namespace}/${target.claim}`;
    const claim = await this.o.client.getIfExists<ClaimJson>(PVCS, target.namespace, target.claim);
    if (!claim)
      throw new PlanResolveError(
        'Error',
        `the clone target ${ref} does not exist (its DataVolume was deleted?); this source pod is left over: delete it`,
        false,
      );
    const asked = claim.metadata?.annotations?.[CLONE_REQUEST_ANNOTATION];
    const mine = cloneRequestValue(plan.namespace, plan.targetClaim);
    if (asked !== mine || cloneSourcePodName(claim.metadata?.uid ?? '') !== plan.name)
      throw new PlanResolveError(
        'Error',
        `${ref} did not ask for this clone (its ${CLONE_REQUEST_ANNOTATION} is ${JSON.stringify(asked ?? null)}, this pod sends ${mine}, and a source pod is named <target claim uid>${CLONE_SOURCE_POD_SUFFIX}); only the DataVolume controller's source pod for that claim may send to it`,
        false,
      );
    const socket = this.uploadSocket(target.namespace, target.claim);
    if (!socket)
      throw new PlanResolveError(
        'ContainerCreating',
        `waiting for the upload server of the clone target ${ref} to be ready on this node`,
        true,
      );
    return socket;
  }

  /** Per-pod directories whose pod is gone (the handler was down when it was deleted). */
  private removeOrphanDirs(): void {
    const live = new Set(this.informer.cache.list().map((p) => p.metadata?.uid ?? ''));
    for (const uid of fs.readdirSync(this.workersDir)) {
      if (live.has(uid)) continue;
      const dir = path.join(this.workersDir, uid);
      this.killRecorded(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const pod = this.informer.cache.get(key);
    if (!pod) return this.podGone(key);
    if (pod.spec?.nodeName !== this.o.nodeName || !isWorkerPod(pod as WorkerPodJson)) return undefined;
    const uid = pod.metadata?.uid ?? '';
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);

    let run = this.runs.get(uid);
    if (!run) {
      if (isTerminalPhase(pod.status?.phase)) return undefined; // finished before this handler started
      if (!UID.test(uid)) return undefined; // never a path from a malformed uid
      run = this.newRun(pod, uid, key);
      this.runs.set(uid, run);
    }

    const s = run.state;
    if (s.kind === 'running' || s.kind === 'succeeded' || s.kind === 'refused') {
      await this.report(pod, run);
      return undefined;
    }
    if (s.kind === 'failed') {
      const left = s.shownUntil - Date.now();
      if (left > 0) {
        await this.report(pod, run);
        return left;
      }
      // Into the crash-loop back-off: the failure moves to lastState, the count goes up.
      run.lastTerminated = s.term;
      run.restartCount += 1;
      const delayMs = crashLoopDelayMs(run.restartCount, this.o.crashLoop);
      run.state = { kind: 'backoff', until: Date.now() + delayMs, delayMs };
      await this.report(pod, run);
      return delayMs;
    }
    if (s.kind === 'backoff' && Date.now() < s.until) {
      await this.report(pod, run);
      return s.until - Date.now();
    }
    return this.startRun(pod, run);
  }

  private newRun(pod: PodJson, uid: string, key: string): WorkerRun {
    const dir = confinedRealPath(this.workersDir, uid, 'pod uid');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A child of an earlier handler still at work is stopped: this one runs the import again.
    this.killRecorded(dir);
    const cs = pod.status?.containerStatuses?.[0] as
      { restartCount?: number; lastState?: { terminated?: LastTermination } } | undefined;
    return {
      uid,
      key,
      dir,
      state: { kind: 'idle' },
      restartCount: cs?.restartCount ?? 0,
      ...(cs?.lastState?.terminated ? { lastTerminated: cs.lastState.terminated } : {}),
      throttle: new ProgressThrottle(this.o.progressIntervalMs ?? 1000),
    };
  }

  private async startRun(pod: PodJson, run: WorkerRun): Promise<number | undefined> {
    let plan;
    try {
      const pj = pod as WorkerPodJson;
      plan = isUploadServerPod(pj)
        ? parseUploadPlan(pj)
        : isCloneSourcePod(pj)
          ? parseCloneSourcePlan(pj)
          : parseImportPlan(pj);
    } catch (e) {
      if (!(e instanceof ImportPlanError)) throw e;
      this.o.log.warn(keyFields('Pod', run.key), e.message);
      run.state = { kind: 'refused', message: e.message, finishedAt: now() };
      await this.report(pod, run);
      return undefined;
    }
    let resolved;
    let cloneTargetSocket: string | undefined;
    let rawUpload = false;
    try {
      resolved = await resolvePlan(this.o.client, plan, this.o.volumeRoot, run.dir);
      if (plan.cloneTarget) cloneTargetSocket = await this.cloneTargetSocket(plan, plan.cloneTarget);
      if (plan.source === UPLOAD_SOURCE)
        rawUpload = await this.isCloneTarget(plan.namespace, plan.targetClaim);
    } catch (e) {
      if (!(e instanceof PlanResolveError)) throw e;
      const message = `worker pod ${run.key}: ${e.message}`;
      if (!e.retry) {
        this.o.log.warn(keyFields('Pod', run.key), message);
        run.state = { kind: 'refused', message, finishedAt: now() };
        await this.report(pod, run);
        return undefined;
      }
      this.o.log.info(keyFields('Pod', run.key), `waiting: ${message}`);
      run.state = { kind: 'waiting', reason: e.reason, message };
      await this.report(pod, run);
      return 2000;
    }
    // An upload server listens on a socket in the pod's own 0700 runner directory.
    const socket = plan.source === UPLOAD_SOURCE ? path.join(run.dir, UPLOAD_SOCKET) : undefined;
    run.upload = socket ? { namespace: plan.namespace, claim: plan.targetClaim, socket } : undefined;
    run.listening = false;
    const args = importerArgs(
      plan,
      {
        ...(socket ? { socket } : {}),
        ...(cloneTargetSocket ? { socket: cloneTargetSocket } : {}),
        ...(rawUpload ? { rawUpload } : {}),
        targetDir: resolved.targetDir,
        ...(resolved.targetDevice ? { targetDevice: resolved.targetDevice } : {}),
        ...(resolved.sourceDir ? { sourceDir: resolved.sourceDir } : {}),
        ...(resolved.sourceDevice ? { sourceDevice: resolved.sourceDevice } : {}),
        ...(resolved.caFile ? { caFile: resolved.caFile } : {}),
      },
      this.o.registries,
    );
    run.result = undefined;
    run.throttle = new ProgressThrottle(this.o.progressIntervalMs ?? 1000);
    const startedAt = now();
    const child = startImporter(this.o.command, args, resolved.env, path.join(run.dir, 'importer.log'), {
      onLine: (line) => this.onLine(run, line),
      onExit: (code, signal) => this.onExit(run, startedAt, code, signal),
    });
    fs.writeFileSync(path.join(run.dir, 'importer.pid'), `${child.pid} ${child.startTicks}\n`, {
      mode: 0o600,
    });
    run.state = { kind: 'running', pid: child.pid, startTicks: child.startTicks, startedAt };
    this.o.log.info(
      keyFields('Pod', run.key),
      `importer started (pid ${child.pid}, source ${plan.source}, run ${run.restartCount + 1})`,
    );
    await this.report(pod, run);
    return undefined;
  }

  private onLine(run: WorkerRun, line: ImporterLine): void {
    if (line.kind === 'listening') {
      run.listening = true;
      this.queue.add(run.key);
      return;
    }
    if (line.kind !== 'progress') {
      run.result = line;
      return;
    }
    const p = run.throttle.next(line.progress, Date.now(), line.progress === '100.00%');
    if (p === undefined) return;
    run.progress = p;
    this.queue.add(run.key);
  }

  private onExit(
    run: WorkerRun,
    startedAt: string,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    fs.rmSync(path.join(run.dir, 'importer.pid'), { force: true });
    run.listening = false;
    if (run.state.kind !== 'running') return; // stopped for deletion
    const finishedAt = now();
    if (code === 0 && run.result?.kind === 'succeeded') {
      run.state = { kind: 'succeeded', startedAt, finishedAt };
      this.o.log.info(keyFields('Pod', run.key), 'import complete');
    } else {
      const message =
        run.result?.kind === 'failed'
          ? run.result.message
          : `the importer ${signal ? `was killed by ${signal}` : `exited with code ${code}`} without a result; see ${path.join(run.dir, 'importer.log')}`;
      const exitCode = code ?? 137;
      run.state = {
        kind: 'failed',
        term: { exitCode: exitCode === 0 ? 1 : exitCode, reason: 'Error', message, startedAt, finishedAt },
        shownUntil: Date.now() + TERMINATED_SHOWN_MS,
      };
      this.o.log.info(keyFields('Pod', run.key), `import failed: ${message}`);
    }
    this.queue.add(run.key);
  }

  private observation(pod: PodJson, run: WorkerRun): ContainerObservation {
    const s = run.state;
    switch (s.kind) {
      case 'idle':
        return { kind: 'waiting', reason: 'ContainerCreating' };
      case 'waiting':
        return { kind: 'waiting', reason: s.reason, message: s.message };
      case 'running':
        // An upload server is Ready once it listens (CDI's readiness probe of its healthz).
        return {
          kind: 'running',
          startedAt: s.startedAt,
          ready: !run.upload || run.listening === true,
          pid: s.pid,
        };
      case 'failed':
        return { kind: 'terminated', ...s.term };
      case 'backoff':
        return {
          kind: 'waiting',
          reason: 'CrashLoopBackOff',
          message: crashLoopMessage(
            s.delayMs,
            WORKER_CONTAINER,
            pod.metadata?.namespace ?? '',
            pod.metadata?.name ?? '',
          ),
        };
      case 'succeeded':
        return {
          kind: 'terminated',
          exitCode: 0,
          reason: 'Completed',
          message: IMPORT_COMPLETE_MESSAGE,
          startedAt: s.startedAt,
          finishedAt: s.finishedAt,
        };
      case 'refused':
        return {
          kind: 'terminated',
          exitCode: 1,
          reason: 'Error',
          message: s.message,
          finishedAt: s.finishedAt,
        };
    }
  }

  private async report(pod: PodJson, run: WorkerRun): Promise<void> {
    const next = workerPodStatus(pod, {
      container: this.observation(pod, run),
      restartCount: run.restartCount,
      ...(run.lastTerminated ? { lastTerminated: run.lastTerminated } : {}),
      ...(run.progress !== undefined ? { progress: run.progress } : {}),
      final: run.state.kind === 'refused',
      hostIP: this.o.hostIP,
      now: now(),
    });
    if (!workerStatusDiffers(pod.status, next)) return;
    await writePodStatus(this.o.client, pod, next);
  }

  /** kubelet's part of a deletion: stop the child within the grace period, clean up, delete the object. */
  private async podDeleted(pod: PodJson): Promise<undefined> {
    const uid = pod.metadata?.uid ?? '';
    const run = this.runs.get(uid);
    if (run) {
      const grace =
        pod.metadata?.deletionGracePeriodSeconds ??
        pod.spec?.terminationGracePeriodSeconds ??
        DEFAULT_GRACE_SECONDS;
      await this.forget(run, grace);
    }
    await removePodObject(this.o.client, pod);
    return undefined;
  }

  /** The pod object is gone: stop what still runs for it and forget it. */
  private async podGone(key: string): Promise<undefined> {
    for (const run of [...this.runs.values()])
      if (run.key === key) await this.forget(run, DEFAULT_GRACE_SECONDS);
    return undefined;
  }

  private async forget(run: WorkerRun, graceSeconds: number): Promise<void> {
    const s = run.state;
    run.state = { kind: 'idle' };
    if (s.kind === 'running') {
      this.o.log.info(keyFields('Pod', run.key), `deleted; stopping the importer (grace ${graceSeconds}s)`);
      run.stopping ??= stopImporter(s.pid, s.startTicks, graceSeconds);
      await run.stopping;
    }
    fs.rmSync(run.dir, { recursive: true, force: true });
    this.runs.delete(run.uid);
  }

  /** Stops an importer recorded in `dir` by an earlier handler, if it still runs (same pid and start time). */
  private killRecorded(dir: string): void {
    let recorded: string[];
    try {
      recorded = fs.readFileSync(path.join(dir, 'importer.pid'), 'utf8').trim().split(/\s+/);
    } catch {
      return;
    }
    const pid = Number(recorded[0]);
    const ticks = recorded[1] ?? '';
    if (!Number.isInteger(pid) || pid <= 1 || !ticks || !isSameProcess(pid, ticks)) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
