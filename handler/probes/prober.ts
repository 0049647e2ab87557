/**
 * The node's prober (kubelet's part for launcher pods): for each running VMI with a
 * readinessProbe or livenessProbe it runs the probe on its schedule (./plan.ts, ./check.ts),
 * counts results against the thresholds, and tells the handler when readiness changes (the
 * launcher pod's and the VMI's Ready follow it) or when liveness fails (the handler stops the
 * guest, as kubelet kills a container that fails its liveness probe). A paused guest is not
 * probed: its results are neither counted nor held against it. Kubelet's Events go to the
 * launcher pod: `Unhealthy` for a failed run, `Killing` for a liveness failure.
 */
import { keyFields, type Logger } from '../../common/log';
import type { LauncherClient } from '../../launcher/api/client';
import type { EventRecorder } from '../../kube';
import { runProbe } from './check';
import {
  initialProbeState,
  nextProbeState,
  probePlan,
  ProbePlanError,
  type ProbeKind,
  type ProbePlan,
  type ProbeState,
} from './plan';

/** What VmiSync tells the prober about a running VMI each time it looks at it. */
export interface ProbeTarget {
  readonly key: string;
  readonly uid: string;
  readonly readinessProbe?: unknown;
  readonly livenessProbe?: unknown;
  readonly launcher: LauncherClient;
  /** The VMI's address (the Host header of httpGet probes). */
  readonly address: string;
  readonly paused: boolean;
  /** The launcher pod, for kubelet's Events. */
  readonly pod?: { readonly apiVersion?: string; readonly kind?: string; readonly metadata?: object };
}

/** The readiness VmiSync and the pod runtime report. */
export interface Readiness {
  readonly ready: boolean;
  /** Why not, while not: the reason (kubelet's on a pod's Ready) and the words. */
  readonly reason?: string;
  readonly message?: string;
}

export interface ProberOptions {
  readonly log: Logger;
  readonly recorder?: EventRecorder;
  /** A VMI's readiness changed: its pod and VMI status are to be written again. */
  readonly onReadinessChange: (key: string) => void;
  /** A VMI failed its liveness probe: stop its guest. */
  readonly onLivenessFailure: (key: string, launcher: LauncherClient, message: string) => void;
}

interface Running {
  plan?: ProbePlan;
  /** The probe as written, to notice a change. */
  source: string;
  state: ProbeState;
  timer?: NodeJS.Timeout;
  inflight: boolean;
  planError?: string;
}

interface VmiProbes {
  uid: string;
  target: ProbeTarget;
  probes: Partial<Record<ProbeKind, Running>>;
  killed?: boolean;
}

export class Prober {
  private readonly vmis = new Map<string, VmiProbes>();

  constructor(private readonly o: ProberOptions) {}

  /** A running VMI as it is now: starts, keeps or changes its probes. */
  update(target: ProbeTarget): void {
    let v = this.vmis.get(target.key);
    if (v && v.uid !== target.uid) {
      this.stop(target.key);
      v = undefined;
    }
    if (!v) {
      v = { uid: target.uid, target, probes: {} };
      this.vmis.set(target.key, v);
    }
    v.target = target;
    for (const kind of ['readiness', 'liveness'] as const) {
      const spec = kind === 'readiness' ? target.readinessProbe : target.livenessProbe;
      const source = spec === undefined ? '' : JSON.stringify(spec);
      const cur = v.probes[kind];
      if (cur && cur.source === source) continue;
      if (cur?.timer) clearTimeout(cur.timer);
      delete v.probes[kind];
      if (!source) continue;
      const running: Running = { source, state: initialProbeState(kind), inflight: false };
      try {
        running.plan = probePlan(kind, spec as Parameters<typeof probePlan>[1]);
      } catch (e) {
        if (!(e instanceof ProbePlanError)) throw e;
        running.planError = e.message;
        running.state = { passing: kind === 'liveness', successes: 0, failures: 0, message: e.message };
        this.o.log.warn(keyFields('VirtualMachineInstance', target.key), e.message);
      }
      v.probes[kind] = running;
      if (running.plan) this.schedule(target.key, kind, running.plan.initialDelayMs);
      // The pod's readiness now comes from this probe (not ready until it passes).
      if (kind === 'readiness') this.o.onReadinessChange(target.key);
    }
  }

  /** Readiness of a VMI: undefined without a readinessProbe (Ready as soon as it runs). */
  readiness(key: string): Readiness | undefined {
    const r = this.vmis.get(key)?.probes.readiness;
    if (!r) return undefined;
    return r.state.passing ? { ready: true } : { ready: false, message: r.state.message };
  }

  /** The VMI stopped or went: its probes end. */
  stop(key: string): void {
    const v = this.vmis.get(key);
    if (!v) return;
    for (const p of Object.values(v.probes)) if (p?.timer) clearTimeout(p.timer);
    this.vmis.delete(key);
  }

  stopAll(): void {
    for (const key of [...this.vmis.keys()]) this.stop(key);
  }

  private schedule(key: string, kind: ProbeKind, delayMs: number): void {
    const p = this.vmis.get(key)?.probes[kind];
    if (!p) return;
    p.timer = setTimeout(() => void this.tick(key, kind), delayMs);
    p.timer.unref();
  }

  private async tick(key: string, kind: ProbeKind): Promise<void> {
    const v = this.vmis.get(key);
    const p = v?.probes[kind];
    if (!v || !p?.plan || p.inflight) return;
    const plan = p.plan;
    if (!v.target.paused && !v.killed) {
      p.inflight = true;
      const result = await runProbe(plan, v.target.launcher, v.target.address);
      p.inflight = false;
      // Stopped or changed meanwhile: this result belongs to nobody.
      if (this.vmis.get(key) !== v || v.probes[kind] !== p) return;
      const before = p.state;
      p.state = nextProbeState(before, result, plan);
      if (!result.ok)
        void this.event(v, 'Warning', 'Unhealthy', `${title(kind)} probe failed: ${result.message ?? ''}`);
      if (before.passing !== p.state.passing) {
        this.o.log.info(
          keyFields('VirtualMachineInstance', key),
          `${kind} probe ${p.state.passing ? 'passes' : `fails: ${p.state.message ?? ''}`}`,
        );
        if (kind === 'readiness') this.o.onReadinessChange(key);
        else if (!p.state.passing) {
          v.killed = true;
          void this.event(
            v,
            'Normal',
            'Killing',
            `Container compute failed liveness probe, will be stopped: ${p.state.message ?? ''}`,
          );
          this.o.onLivenessFailure(key, v.target.launcher, p.state.message ?? 'liveness probe failed');
          return;
        }
      }
    }
    this.schedule(key, kind, plan.periodMs);
  }

  private async event(
    v: VmiProbes,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const pod = v.target.pod;
    if (!pod || !this.o.recorder) return;
    try {
      await this.o.recorder.record(pod, { type, reason, message });
    } catch {
      // Events are best effort.
    }
  }
}

const title = (kind: ProbeKind): string => (kind === 'readiness' ? 'Readiness' : 'Liveness');
