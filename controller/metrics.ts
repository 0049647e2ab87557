/**
 * Prometheus metrics, named as KubeVirt's virt-controller names them where one exists
 * (kubevirt_vmi_phase_count, kubevirt_vmi_phase_transition_time_from_creation_seconds,
 * kubevirt_vmi_phase_transition_time_seconds, kubevirt_number_of_vms,
 * kubevirt_virt_controller_leading_status, kubevirt_virt_controller_ready_status and the
 * kubevirt_workqueue_* family), served over HTTP with /healthz and /readyz beside /metrics.
 */
import * as http from 'http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueHooks } from '../kube';

/** Phase-transition buckets in seconds: sub-second starts up to an hour. */
export const PHASE_TRANSITION_BUCKETS = [
  0.5, 1, 2, 3, 4, 5, 6, 8, 10, 20, 30, 40, 50, 60, 90, 120, 180, 240, 300, 600, 1800, 3600,
];

export interface PhaseCountRow {
  readonly node: string;
  readonly phase: string;
  readonly os: string;
  readonly workload: string;
  readonly flavor: string;
  readonly instanceType: string;
  readonly preference: string;
}

export interface MetricsSources {
  /** The VMIs to count, one row each (read from the informer cache at scrape time). */
  vmiPhaseRows(): PhaseCountRow[];
  /** VirtualMachines per namespace. */
  vmsPerNamespace(): Map<string, number>;
  isLeader(): boolean;
  isReady(): boolean;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly fromCreation: Histogram<'phase'>;
  readonly betweenPhases: Histogram<'phase'>;
  private readonly depth: Gauge<'name'>;
  private readonly adds: Counter<'name'>;
  private readonly retries: Counter<'name'>;
  private readonly duration: Histogram<'name'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'kubevirt_vmi_phase_count',
      help: 'VMIs by node, phase, guest OS, workload, flavor, instance type and preference.',
      labelNames: ['node', 'phase', 'os', 'workload', 'flavor', 'instance_type', 'preference'],
      registers,
      collect(this: Gauge<string>) {
        this.reset();
        for (const r of sources.vmiPhaseRows()) {
          this.inc({
            node: r.node,
            phase: r.phase.toLowerCase(),
            os: r.os,
            workload: r.workload,
            flavor: r.flavor,
            instance_type: r.instanceType,
            preference: r.preference,
          });
        }
      },
    });
    new Gauge({
      name: 'kubevirt_number_of_vms',
      help: 'VirtualMachines per namespace.',
      labelNames: ['namespace'],
      registers,
      collect(this: Gauge<string>) {
        this.reset();
        for (const [namespace, n] of sources.vmsPerNamespace()) this.set({ namespace }, n);
      },
    });
    new Gauge({
      name: 'kubevirt_virt_controller_leading_status',
      help: '1 when this controller holds the leader lease and reconciles, else 0.',
      registers,
      collect(this: Gauge<string>) {
        this.set(sources.isLeader() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kubevirt_virt_controller_ready_status',
      help: '1 when this controller has synced its caches and can serve, else 0.',
      registers,
      collect(this: Gauge<string>) {
        this.set(sources.isReady() ? 1 : 0);
      },
    });
    this.fromCreation = new Histogram({
      name: 'kubevirt_vmi_phase_transition_time_from_creation_seconds',
      help: 'Seconds from the creation of a VMI to its entering each phase.',
      labelNames: ['phase'],
      buckets: PHASE_TRANSITION_BUCKETS,
      registers,
    });
    this.betweenPhases = new Histogram({
      name: 'kubevirt_vmi_phase_transition_time_seconds',
      help: 'Seconds a VMI spent in its previous phase before entering each phase.',
      labelNames: ['phase'],
      buckets: PHASE_TRANSITION_BUCKETS,
      registers,
    });
    this.depth = new Gauge({
      name: 'kubevirt_workqueue_depth',
      help: 'Keys waiting in each work queue.',
      labelNames: ['name'],
      registers,
    });
    this.adds = new Counter({
      name: 'kubevirt_workqueue_adds_total',
      help: 'Keys added to each work queue.',
      labelNames: ['name'],
      registers,
    });
    this.retries = new Counter({
      name: 'kubevirt_workqueue_retries_total',
      help: 'Rate-limited retries of each work queue.',
      labelNames: ['name'],
      registers,
    });
    this.duration = new Histogram({
      name: 'kubevirt_workqueue_work_duration_seconds',
      help: 'Seconds one reconcile of a key took, per work queue.',
      labelNames: ['name'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
      registers,
    });
  }

  queueHooks(name: string): QueueHooks {
    return {
      onAdd: () => this.adds.inc({ name }),
      onDepth: (d) => this.depth.set({ name }, d),
      onRetry: () => this.retries.inc({ name }),
      onWorkDuration: (s) => this.duration.observe({ name }, s),
    };
  }

  /** Serve /metrics, /healthz and /readyz; resolves with the bound port. */
  serve(
    port: number,
    host: string,
    isReady: () => boolean,
  ): Promise<{ port: number; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/metrics')) {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': this.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            res.writeHead(500);
            res.end(String(err));
          },
        );
        return;
      }
      if (url.startsWith('/healthz')) {
        res.writeHead(200);
        res.end('ok');
        return;
      }
      if (url.startsWith('/readyz')) {
        const ok = isReady();
        res.writeHead(ok ? 200 : 503);
        res.end(ok ? 'ok' : 'caches not synced');
        return;
      }
      res.writeHead(404);
      res.end('not found: try /metrics, /healthz or /readyz');
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const addr = server.address();
        resolve({
          port: typeof addr === 'object' && addr ? addr.port : port,
          close: () => new Promise((r) => server.close(() => r())),
        });
      });
    });
  }
}
