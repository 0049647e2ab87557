/**
 * The exporter pod runner (kubelet's part for KubeVirt's exporter pods in local mode): for each
 * pod labelled `kubevirt.io=virt-exporter` bound to this node it reads the pod as a plan
 * (./pod-plan.ts), resolves each claim's directory or device on this node (confined to the
 * volume root, handler/workers/resolve-plan.ts), writes the TLS Secret's certificate and key, the
 * token and the manifests ConfigMap's keys into the pod's own 0700 directory as 0600 files (the
 * runner reads them with the handler's identity; nothing secret goes on a command line), and runs
 * `virtkit exporter` on a unix socket in that directory with flags it builds itself. The pod is
 * Running, and Ready once the server listens; the node API forwards export requests to the socket
 * (./node-proxy.ts). The server ends at its deadline (Succeeded); a malformed pod is Failed with
 * the reason. On deletion the child is stopped, the directory removed and the pod object deleted.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  internalHost,
  TLS_CA_KEY,
  TLS_CERT_KEY,
  TLS_KEY_KEY,
  TOKEN_KEY,
} from '../../api/export/exporter-pod';
import { EXPORTER_APP_LABEL, EXPORTER_APP_VALUE } from '../../api/export/exporter-pod';
import { confinedRealPath } from '../../common/confine';
import { keyFields, type Logger } from '../../common/log';
import { CONFIG_MAPS, errorMessage, Informer, PODS, SECRETS, WorkQueue, type KubeClient } from '../../kube';
import type { LauncherCommand } from '../pods/launcher-process';
import type { ContainerObservation } from '../pods/pod-status';
import { isTerminalPhase, podKey, type PodJson } from '../pods/pod-types';
import { removePodObject, writePodStatus } from '../pods/pod-writes';
import { runWorker } from '../work-loop';
import { startImporter, stopImporter } from '../workers/importer-process';
import { claimVolume, PlanResolveError } from '../workers/resolve-plan';
import { workerPodStatus, workerStatusDiffers } from '../workers/worker-status';
import {
  exporterArgs,
  ExporterPlanError,
  isExporterPod,
  parseExporterPlan,
  type ExporterPlan,
  type ExporterPodJson,
} from './pod-plan';
import { metav1Time } from '../../api/k8s/meta';

const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const SOCKET = 'exporter.sock';

export interface ExporterRunnerOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** Per-pod files go to <stateDir>/exporters/<pod uid>/. */
  readonly stateDir: string;
  readonly volumeRoot: string;
  readonly hostIP: string;
  /** How to run `virtkit` (the launcher's command). */
  readonly command: LauncherCommand;
  readonly log: Logger;
}

/** Where the node API reaches an export's server: its socket, the CA to check it with, the name it carries. */
export interface ExportEndpoint {
  readonly socket: string;
  readonly ca: Buffer;
  readonly servername: string;
}

type State =
  | { kind: 'idle' }
  | { kind: 'waiting'; reason: string; message: string }
  | { kind: 'running'; pid: number; startTicks: string; startedAt: string }
  | {
      kind: 'done';
      exitCode: number;
      reason: string;
      message: string;
      startedAt?: string;
      finishedAt: string;
    };

interface Run {
  readonly uid: string;
  readonly key: string;
  readonly dir: string;
  state: State;
  listening: boolean;
  plan?: ExporterPlan;
  ca?: Buffer;
}

const now = (): string => metav1Time();

function decode(data: Record<string, string> | undefined, key: string): Buffer | undefined {
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64');
}

export class ExporterPodRunner {
  readonly informer: Informer<PodJson>;
  private readonly queue = new WorkQueue('handler-exporter-pods', { baseMs: 500, maxMs: 30_000 });
  private readonly runs = new Map<string, Run>();
  private workers: Promise<void>[] = [];

  constructor(private readonly o: ExporterRunnerOptions) {
    this.informer = new Informer<PodJson>(
      o.client.listWatch<PodJson>(PODS, `${EXPORTER_APP_LABEL}=${EXPORTER_APP_VALUE}`),
      {},
      { onError: (m) => o.log.warn({ kind: 'Pod' }, `exporter pods watch: ${m}`) },
    );
    const enqueue = (p: PodJson): void => {
      if (p.spec?.nodeName === o.nodeName || this.runs.has(p.metadata?.uid ?? '')) this.queue.add(podKey(p));
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_a, b) => enqueue(b), onDelete: enqueue });
  }

  private get baseDir(): string {
    return path.join(this.o.stateDir, 'exporters');
  }

  async start(workers = 2): Promise<void> {
    fs.mkdirSync(this.baseDir, { recursive: true, mode: 0o700 });
    this.informer.start();
    for (let i = 0; i < workers; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) => this.o.log.warn(keyFields('Pod', key), `exporter pod: ${errorMessage(e)}`),
        ),
      );
    await this.informer.waitForSync();
    const live = new Set(this.informer.cache.list().map((p) => p.metadata?.uid ?? ''));
    for (const uid of fs.readdirSync(this.baseDir))
      if (!live.has(uid)) fs.rmSync(path.join(this.baseDir, uid), { recursive: true, force: true });
  }

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

  /** The listening export server of export `namespace/name` on this node, or undefined. */
  exportEndpoint(namespace: string, name: string): ExportEndpoint | undefined {
    for (const r of this.runs.values())
      if (
        r.plan?.namespace === namespace &&
        r.plan.exportName === name &&
        r.state.kind === 'running' &&
        r.listening &&
        r.ca
      )
        return { socket: path.join(r.dir, SOCKET), ca: r.ca, servername: internalHost(namespace, name) };
    return undefined;
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const pod = this.informer.cache.get(key);
    if (!pod) {
      for (const r of [...this.runs.values()]) if (r.key === key) await this.forget(r, 30);
      return undefined;
    }
    if (pod.spec?.nodeName !== this.o.nodeName || !isExporterPod(pod as ExporterPodJson)) return undefined;
    const uid = pod.metadata?.uid ?? '';
    if (pod.metadata?.deletionTimestamp) {
      const r = this.runs.get(uid);
      if (r) await this.forget(r, pod.metadata.deletionGracePeriodSeconds ?? 30);
      await removePodObject(this.o.client, pod);
      return undefined;
    }
    let run = this.runs.get(uid);
    if (!run) {
      if (isTerminalPhase(pod.status?.phase) || !UID.test(uid)) return undefined;
      const dir = confinedRealPath(this.baseDir, uid, 'pod uid');
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      run = { uid, key, dir, state: { kind: 'idle' }, listening: false };
      this.runs.set(uid, run);
    }
    if (run.state.kind === 'idle' || run.state.kind === 'waiting') {
      const retry = await this.startRun(pod, run);
      await this.report(pod, run);
      return retry;
    }
    await this.report(pod, run);
    return undefined;
  }

  private async startRun(pod: PodJson, run: Run): Promise<number | undefined> {
    let plan: ExporterPlan;
    try {
      plan = parseExporterPlan(pod as ExporterPodJson);
    } catch (e) {
      if (!(e instanceof ExporterPlanError)) throw e;
      this.o.log.warn(keyFields('Pod', run.key), e.message);
      run.state = { kind: 'done', exitCode: 1, reason: 'Error', message: e.message, finishedAt: now() };
      return undefined;
    }
    const ns = plan.namespace;
    const write = (file: string, data: Buffer | string): string => {
      const p = path.join(run.dir, file);
      fs.writeFileSync(p, data, { mode: 0o600 });
      fs.chmodSync(p, 0o600);
      return p;
    };
    let args: string[];
    try {
      const paths: string[] = [];
      for (const v of plan.volumes) {
        const where = await claimVolume(this.o.client, ns, v.claim, v.volume, this.o.volumeRoot);
        if ('device' in where) {
          if (v.kind !== 'image' || !v.block)
            throw new PlanResolveError(
              'Error',
              `volume ${v.volume}: claim ${v.claim} is Block; serve it as an image`,
              false,
            );
          paths.push(where.device);
        } else paths.push(where.dir);
      }
      const certs = await this.o.client.getIfExists<{ data?: Record<string, string> }>(
        SECRETS,
        ns,
        plan.certSecret,
      );
      const cert = decode(certs?.data, TLS_CERT_KEY);
      const key = decode(certs?.data, TLS_KEY_KEY);
      const ca = decode(certs?.data, TLS_CA_KEY);
      if (!cert || !key || !ca)
        throw new PlanResolveError(
          'ContainerCreating',
          `waiting for Secret ${ns}/${plan.certSecret} with ${TLS_CERT_KEY}, ${TLS_KEY_KEY} and ${TLS_CA_KEY}`,
          true,
        );
      const tokens = await this.o.client.getIfExists<{ data?: Record<string, string> }>(
        SECRETS,
        ns,
        plan.tokenSecret,
      );
      const token = decode(tokens?.data, TOKEN_KEY);
      if (!token?.length)
        throw new PlanResolveError(
          'ContainerCreating',
          `waiting for Secret ${ns}/${plan.tokenSecret} with a non-empty key ${TOKEN_KEY}`,
          true,
        );
      let manifestDir: string | undefined;
      if (plan.manifestConfigMap) {
        const cm = await this.o.client.getIfExists<{ data?: Record<string, string> }>(
          CONFIG_MAPS,
          ns,
          plan.manifestConfigMap,
        );
        if (!cm)
          throw new PlanResolveError(
            'ContainerCreating',
            `waiting for ConfigMap ${ns}/${plan.manifestConfigMap}`,
            true,
          );
        manifestDir = path.join(run.dir, 'manifests');
        fs.rmSync(manifestDir, { recursive: true, force: true });
        fs.mkdirSync(manifestDir, { mode: 0o700 });
        for (const [k, v] of Object.entries(cm.data ?? {}))
          if (CONFIG_KEY.test(k) && k !== '.' && k !== '..') write(path.join('manifests', k), v);
      }
      run.ca = ca;
      args = exporterArgs(plan, {
        paths,
        socket: path.join(run.dir, SOCKET),
        certFile: write('tls.crt', cert),
        keyFile: write('tls.key', key),
        tokenFile: write('token', token),
        ...(manifestDir ? { manifestDir } : {}),
      });
    } catch (e) {
      if (!(e instanceof PlanResolveError)) throw e;
      const message = `exporter pod ${run.key}: ${e.message}`;
      if (!e.retry) {
        this.o.log.warn(keyFields('Pod', run.key), message);
        run.state = { kind: 'done', exitCode: 1, reason: 'Error', message, finishedAt: now() };
        return undefined;
      }
      run.state = { kind: 'waiting', reason: e.reason, message };
      return 2000;
    }
    run.plan = plan;
    run.listening = false;
    const startedAt = now();
    const child = startImporter(this.o.command, args, {}, path.join(run.dir, 'exporter.log'), {
      onLine: (line) => {
        if (line.kind === 'listening') {
          run.listening = true;
          this.queue.add(run.key);
        }
      },
      onExit: (code, signal) => {
        run.listening = false;
        if (run.state.kind !== 'running') return;
        run.state = {
          kind: 'done',
          exitCode: code ?? 137,
          reason: code === 0 ? 'Completed' : 'Error',
          message:
            code === 0
              ? 'the export server reached its deadline'
              : `the export server ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; see ${path.join(run.dir, 'exporter.log')}`,
          startedAt,
          finishedAt: now(),
        };
        this.queue.add(run.key);
      },
    });
    run.state = { kind: 'running', pid: child.pid, startTicks: child.startTicks, startedAt };
    this.o.log.info(keyFields('Pod', run.key), `export server started (pid ${child.pid})`);
    return undefined;
  }

  private observation(run: Run): ContainerObservation {
    const s = run.state;
    switch (s.kind) {
      case 'idle':
        return { kind: 'waiting', reason: 'ContainerCreating' };
      case 'waiting':
        return { kind: 'waiting', reason: s.reason, message: s.message };
      case 'running':
        return { kind: 'running', startedAt: s.startedAt, ready: run.listening, pid: s.pid };
      case 'done':
        return {
          kind: 'terminated',
          exitCode: s.exitCode,
          reason: s.reason,
          message: s.message,
          finishedAt: s.finishedAt,
          ...(s.startedAt ? { startedAt: s.startedAt } : {}),
        };
    }
  }

  private async report(pod: PodJson, run: Run): Promise<void> {
    const next = workerPodStatus(pod, {
      container: this.observation(run),
      restartCount: 0,
      final: run.state.kind === 'done',
      hostIP: this.o.hostIP,
      now: now(),
    });
    if (!workerStatusDiffers(pod.status, next)) return;
    await writePodStatus(this.o.client, pod, next);
  }

  private async forget(run: Run, graceSeconds: number): Promise<void> {
    const s = run.state;
    run.state = { kind: 'idle' };
    if (s.kind === 'running') await stopImporter(s.pid, s.startTicks, Math.min(graceSeconds, 30));
    fs.rmSync(run.dir, { recursive: true, force: true });
    this.runs.delete(run.uid);
  }
}
