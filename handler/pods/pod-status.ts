/**
 * Pure: the pod status kubelet would report for a launcher pod, from what the runtime saw of
 * its one container (the launcher process). Conditions keep their transition time while their
 * status does not change, so repeated reports are idempotent.
 */
import {
  COMPUTE_CONTAINER,
  type ContainerStatusJson,
  type PodCondition,
  type PodJson,
  type PodStatusJson,
} from './pod-types';
import { readinessGatesProblem } from './readiness-gates';

export type ContainerObservation =
  | { readonly kind: 'waiting'; readonly reason: string; readonly message?: string }
  | { readonly kind: 'running'; readonly startedAt: string; readonly ready: boolean; readonly pid: number }
  | {
      readonly kind: 'terminated';
      readonly startedAt?: string;
      readonly finishedAt: string;
      readonly exitCode: number;
      readonly signal?: number;
      readonly reason: string;
      readonly message?: string;
      readonly pid?: number;
    };

export interface PodObservation {
  readonly container: ContainerObservation;
  readonly hostIP: string;
  /**
   * The addresses of a pod with its own network (CNI set it up), reported as soon as they are
   * known; none before that, or when setting it up failed.
   */
  readonly podIPs?: readonly string[];
  /**
   * The address of a pod in the host's network (CDI workers, placeholders: the node's), reported
   * once its container has left waiting. Ignored when `podIPs` is given.
   */
  readonly podIP?: string;
  /**
   * False while the pod's sandbox (its network) could not be made: kubelet's
   * PodReadyToStartContainers=False. @default true
   */
  readonly sandboxReady?: boolean;
  /**
   * Why the sandbox could not be made (implies `sandboxReady: false`): the reason and message
   * of PodReadyToStartContainers=False, which the VMI controller copies to the VMI.
   */
  readonly sandboxFailure?: { readonly reason: string; readonly message: string };
  readonly startTime: string;
  readonly now: string;
}

export function phaseOf(c: ContainerObservation): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  if (c.kind === 'waiting') return 'Pending';
  if (c.kind === 'running') return 'Running';
  return c.exitCode === 0 ? 'Succeeded' : 'Failed';
}

function containerState(c: ContainerObservation): Record<string, Record<string, unknown>> {
  if (c.kind === 'waiting')
    return { waiting: { reason: c.reason, ...(c.message ? { message: c.message } : {}) } };
  if (c.kind === 'running') return { running: { startedAt: c.startedAt } };
  return {
    terminated: {
      exitCode: c.exitCode,
      ...(c.signal !== undefined ? { signal: c.signal } : {}),
      reason: c.reason,
      ...(c.message ? { message: c.message } : {}),
      ...(c.startedAt ? { startedAt: c.startedAt } : {}),
      finishedAt: c.finishedAt,
      ...(c.pid !== undefined ? { containerID: `virtkit://${c.pid}` } : {}),
    },
  };
}

export function podStatus(pod: PodJson, obs: PodObservation): PodStatusJson {
  const c = obs.container;
  const previous = pod.status?.conditions ?? [];
  const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    const old = previous.find((p) => p.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime:
        old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : obs.now,
      ...(reason && !ok ? { reason } : {}),
      ...(message && !ok ? { message } : {}),
    };
  };
  // The status is a strategic merge patch (conditions merge by type), which keeps what the
  // patch leaves out: a reason or message no longer true is removed explicitly.
  const dropStaleWords = (x: PodCondition): PodCondition => {
    const stale = previous.find((p) => p.type === x.type);
    return {
      ...x,
      ...(stale?.reason && !x.reason ? { reason: null } : {}),
      ...(stale?.message && !x.message ? { message: null } : {}),
    };
  };
  const sandbox = obs.sandboxFailure;
  const sandboxCondition = dropStaleWords(
    cond(
      'PodReadyToStartContainers',
      !sandbox && obs.sandboxReady !== false,
      sandbox?.reason,
      sandbox?.message,
    ),
  );
  const containersReady = c.kind === 'running' && c.ready;
  // As kubelet: ready containers make the pod Ready only when its readiness gates are True too.
  const gates = containersReady ? readinessGatesProblem(pod) : undefined;
  const ready = containersReady && !gates;
  const notReadyReason = c.kind === 'terminated' ? 'PodCompleted' : 'ContainersNotReady';
  const readyCondition = dropStaleWords(
    cond('Ready', ready, gates?.reason ?? notReadyReason, gates?.message),
  );
  const image =
    pod.spec?.containers?.find((x) => x.name === COMPUTE_CONTAINER)?.image ??
    pod.spec?.containers?.[0]?.image ??
    'virtkit-launcher';
  const pid = c.kind === 'waiting' ? undefined : c.pid;
  const containerStatus: ContainerStatusJson = {
    name: pod.spec?.containers?.[0]?.name ?? COMPUTE_CONTAINER,
    image,
    imageID: '',
    ...(pid !== undefined ? { containerID: `virtkit://${pid}` } : {}),
    ready: containersReady,
    started: c.kind === 'running',
    restartCount: 0,
    state: containerState(c),
  };
  return {
    phase: phaseOf(c),
    conditions: [
      sandboxCondition,
      cond('Initialized', true),
      readyCondition,
      cond('ContainersReady', containersReady, notReadyReason),
      cond('PodScheduled', true),
    ],
    containerStatuses: [containerStatus],
    hostIP: obs.hostIP,
    hostIPs: [{ ip: obs.hostIP }],
    ...podAddresses(pod, obs),
    startTime: pod.status?.startTime ?? obs.startTime,
  };
}

function podAddresses(pod: PodJson, obs: PodObservation): Pick<PodStatusJson, 'podIP' | 'podIPs'> {
  const ips =
    obs.podIPs ?? (obs.podIP && (obs.container.kind !== 'waiting' || pod.status?.podIP) ? [obs.podIP] : []);
  return ips.length > 0 ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {};
}

/** True when `next` says something `current` does not (so a write is needed). */
export function statusDiffers(current: PodStatusJson | undefined, next: PodStatusJson): boolean {
  if (!current) return true;
  const strip = (s: PodStatusJson): unknown => ({
    phase: s.phase,
    conditions: (s.conditions ?? [])
      .filter((x) =>
        ['Ready', 'ContainersReady', 'Initialized', 'PodScheduled', 'PodReadyToStartContainers'].includes(
          x.type,
        ),
      )
      // The sandbox condition's reason and message say why it failed (the VMI shows them).
      .map((x) =>
        x.type === 'PodReadyToStartContainers' || x.type === 'Ready'
          ? `${x.type}=${x.status}:${x.reason ?? ''}:${x.message ?? ''}`
          : `${x.type}=${x.status}`,
      )
      .sort(),
    containers: (s.containerStatuses ?? []).map((x) => ({
      ready: x.ready,
      state: x.state,
      id: x.containerID,
    })),
    podIP: s.podIP,
    hostIP: s.hostIP,
  });
  return JSON.stringify(strip(current)) !== JSON.stringify(strip(next));
}

/** What a launcher's exit code means, for the container's terminated state. */
export function exitReason(exitCode: number, signal?: string | null): { reason: string; message: string } {
  if (signal) return { reason: 'Error', message: `the launcher was killed by ${signal}` };
  if (exitCode === 0) return { reason: 'Completed', message: 'the guest stopped' };
  if (exitCode === 1) return { reason: 'Error', message: 'QEMU crashed or was killed' };
  if (exitCode === 2)
    return { reason: 'Error', message: 'the VMI could not be launched; see the launcher log' };
  if (exitCode === 137) return { reason: 'Error', message: 'the launcher was killed' };
  return { reason: 'Error', message: `the launcher exited with code ${exitCode}` };
}
