/**
 * The pod status kubelet would report for a worker pod (pure), from what the runner saw of its
 * one container: the launcher pods' status (handler/pods/pod-status.ts) plus what a pod that is
 * restarted OnFailure shows: restartCount, lastState.terminated with the last failure's
 * message, phase Running through a crash-loop back-off, and virtkit's progress condition.
 */
import { PROGRESS_CONDITION } from '../../api/cdi/worker-pod';
import { podStatus, type ContainerObservation } from '../pods/pod-status';
import type { PodCondition, PodJson, PodStatusJson } from '../pods/pod-types';

export interface LastTermination {
  readonly exitCode: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt?: string;
  readonly finishedAt: string;
}

export interface WorkerObservation {
  readonly container: ContainerObservation;
  readonly restartCount: number;
  readonly lastTerminated?: LastTermination;
  /** "45.20%", the importer's last progress. */
  readonly progress?: string;
  /** A failed container that will not be run again (a refused pod). */
  readonly final?: boolean;
  readonly hostIP: string;
  readonly now: string;
}

export function workerPhase(o: WorkerObservation): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const c = o.container;
  if (c.kind === 'running') return 'Running';
  if (c.kind === 'terminated') {
    if (c.exitCode === 0) return 'Succeeded';
    return o.final ? 'Failed' : 'Running';
  }
  return c.reason === 'CrashLoopBackOff' || o.restartCount > 0 ? 'Running' : 'Pending';
}

export function workerPodStatus(pod: PodJson, o: WorkerObservation): PodStatusJson {
  const base = podStatus(pod, {
    container: o.container,
    hostIP: o.hostIP,
    podIP: o.hostIP,
    startTime: o.now,
    now: o.now,
  });
  const [cs] = base.containerStatuses ?? [];
  const containerStatuses = cs
    ? [
        {
          ...cs,
          image: pod.spec?.containers?.[0]?.image ?? 'virtkit-importer',
          restartCount: o.restartCount,
          ...(o.lastTerminated
            ? {
                lastState: {
                  terminated: {
                    exitCode: o.lastTerminated.exitCode,
                    reason: o.lastTerminated.reason,
                    ...(o.lastTerminated.message ? { message: o.lastTerminated.message } : {}),
                    ...(o.lastTerminated.startedAt ? { startedAt: o.lastTerminated.startedAt } : {}),
                    finishedAt: o.lastTerminated.finishedAt,
                  },
                },
              }
            : {}),
        },
      ]
    : [];
  const conditions: PodCondition[] = [...(base.conditions ?? [])];
  if (o.progress !== undefined) {
    const old = pod.status?.conditions?.find((c) => c.type === PROGRESS_CONDITION);
    conditions.push({
      type: PROGRESS_CONDITION,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: old?.status === 'True' && old.lastTransitionTime ? old.lastTransitionTime : o.now,
      reason: 'Importing',
      message: o.progress,
    });
  }
  return { ...base, phase: workerPhase(o), conditions, containerStatuses };
}

/** True when `next` says something `current` does not (so a write is needed). */
export function workerStatusDiffers(current: PodStatusJson | undefined, next: PodStatusJson): boolean {
  if (!current) return true;
  // Only the conditions this runner writes: others (DisruptionTarget...) are not ours to compare.
  const ours = new Set((next.conditions ?? []).map((c) => c.type));
  const strip = (s: PodStatusJson): unknown => ({
    phase: s.phase,
    conditions: (s.conditions ?? [])
      .filter((c) => ours.has(c.type))
      .map((c) => `${c.type}=${c.status}:${c.message ?? ''}`)
      .sort(),
    containers: (s.containerStatuses ?? []).map((c) => {
      const x = c as typeof c & { lastState?: unknown };
      return { ready: x.ready, state: x.state, restarts: x.restartCount, last: x.lastState ?? null };
    }),
    hostIP: s.hostIP,
  });
  return JSON.stringify(strip(current)) !== JSON.stringify(strip(next));
}
