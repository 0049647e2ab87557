/**
 * A running local cluster: the processes it started, in order, with their health checks.
 * `add` starts one more process and waits until it is healthy; `stop` ends them all in reverse
 * order. state.json is rewritten after every change so `status` and `down` in another process
 * always see the truth.
 */
import * as fs from 'fs';
import type { BinaryPaths } from './binaries';
import { KUBERNETES_VERSION } from './binaries';
import { ComponentExitedError, ComponentNotReadyError } from './errors';
import { probe, type HealthCheck, type TlsFiles } from './health';
import { logFile, pidFile, type Layout } from './layout';
import { isAlive, logTail, startProcess, stopPid, type ProcessSpec, type StartedProcess } from './process';
import { writeState, type ComponentRecord, type LocalRuntime } from './state';
import type { KubeletNodeRecord, RunningKubeletNode } from './kubelet/node';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Without a health endpoint, a process must survive this long to count as started. */
const SETTLE_MS = 1500;

export interface ClusterInfo {
  readonly layout: Layout;
  readonly binaries: BinaryPaths;
  readonly server: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly tls: TlsFiles;
  /** Where pods run: the handler's process runtime, or kubelet nodes. @default 'process' */
  readonly runtime?: LocalRuntime;
}

/** What the cluster started, in order: a process it supervises, or a kubelet node (two daemons and host changes). */
type Started =
  { readonly proc: StartedProcess; readonly record: ComponentRecord } | { readonly node: RunningKubeletNode };

export class LocalCluster {
  private readonly started: Started[] = [];
  private readonly startedAt = new Date().toISOString();

  constructor(
    readonly info: ClusterInfo,
    private readonly timeoutMs: number,
    private readonly log: (message: string) => void,
  ) {}

  get layout(): Layout {
    return this.info.layout;
  }
  get kubeconfig(): string {
    return this.info.layout.kubeconfig;
  }
  get server(): string {
    return this.info.server;
  }
  get pids(): number[] {
    return this.components.map((c) => c.pid);
  }
  /** Every process started, a node's containerd and kubelet included. */
  get components(): readonly ComponentRecord[] {
    return this.started.flatMap((s) => ('node' in s ? s.node.daemons : [s.record]));
  }
  get nodes(): readonly KubeletNodeRecord[] {
    return this.started.flatMap((s) => ('node' in s ? [s.node.record] : []));
  }

  /** A kubelet node that runs now: stopped with the cluster, before what was started earlier. */
  addNode(node: RunningKubeletNode): void {
    this.started.push({ node });
    this.save();
  }

  /** Start `spec` and wait until `health` answers 200 (or it survives SETTLE_MS). */
  async add(spec: ProcessSpec, health: HealthCheck | undefined): Promise<void> {
    const l = this.info.layout;
    const proc = startProcess(spec, logFile(l, spec.name), pidFile(l, spec.name));
    const record: ComponentRecord = {
      name: spec.name,
      pid: proc.pid,
      binary: spec.binary,
      logFile: proc.logFile,
      pidFile: proc.pidFile,
      ...(health ? { health } : {}),
    };
    this.started.push({ proc, record });
    this.save();
    this.log(`started ${spec.name} (pid ${proc.pid}), waiting until it is healthy`);
    await this.waitReady(proc, health);
    this.log(`${spec.name} is healthy`);
  }

  private assertRunning(): void {
    for (const s of this.started) {
      if ('node' in s) continue;
      const proc = s.proc;
      if (proc.exit || !isAlive(proc.pid)) {
        const exit = proc.exit ?? { code: null, signal: null };
        throw new ComponentExitedError(
          proc.name,
          exit.code,
          exit.signal,
          proc.logFile,
          logTail(proc.logFile),
        );
      }
    }
  }

  private async waitReady(proc: StartedProcess, health: HealthCheck | undefined): Promise<void> {
    if (!health) {
      await sleep(SETTLE_MS);
      this.assertRunning();
      return;
    }
    const deadline = Date.now() + this.timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      // Every process started so far must still run: a dead etcd shows up here while the API
      // server is still waiting for it.
      this.assertRunning();
      const result = await probe(health, this.info.tls);
      if (result.healthy) return;
      last = result.detail;
      if (Date.now() > deadline) {
        throw new ComponentNotReadyError(proc.name, health.url, this.timeoutMs, last, proc.logFile);
      }
      await sleep(250);
    }
  }

  private save(): void {
    writeState(this.info.layout.stateFile, {
      kubernetesVersion: KUBERNETES_VERSION,
      startedAt: this.startedAt,
      stateDir: this.info.layout.stateDir,
      kubeconfig: this.info.layout.kubeconfig,
      server: this.info.server,
      ports: this.info.ports,
      runtime: this.info.runtime ?? 'process',
      components: this.components,
      nodes: this.nodes,
    });
  }

  /** Stop every process this cluster started, newest first, and forget them. */
  async stop(): Promise<void> {
    while (this.started.length) {
      const last = this.started[this.started.length - 1]!;
      if ('node' in last) {
        this.log(`stopping kubelet node ${last.node.name}`);
        await last.node.stop();
      } else {
        this.log(`stopping ${last.proc.name} (pid ${last.proc.pid})`);
        await stopPid(last.proc.pid);
        fs.rmSync(last.proc.pidFile, { force: true });
      }
      this.started.pop();
      if (this.started.length) this.save();
    }
    fs.rmSync(this.info.layout.stateFile, { force: true });
  }
}
