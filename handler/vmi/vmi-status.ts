/**
 * Pure: the VMI status fields the handler owns (phase from Running on, its transition times,
 * the Ready and Paused conditions, interfaces (./interfaces.ts), machine and CPU topology, fsFreezeStatus),
 * computed from what the launcher reports. Conditions written by others are kept as they are.
 * The Paused condition follows the domain: a guest paused through the `pause` subresource (or
 * started with startStrategy Paused) is Paused=True until it runs again.
 */
import type { DomainStatus } from '../../launcher/runtime/domain-types';
import { PAUSED_READINESS } from '../pods/readiness-gates';
import type { GuestNetworkInterface } from '../../launcher/qga/protocol';
import { removeCondition, setCondition, type ConditionLike } from '../../kube';
import { interfaceStatuses, type InterfaceStatus } from './interfaces';
import { metav1Time } from '../../api/k8s/meta';

/**
 * A pause the user asked for (the `pause` subresource, or a start with startStrategy Paused),
 * as opposed to one from an I/O error or the way down.
 */
export function pausedByUser(domain: Pick<DomainStatus, 'state' | 'reason'>): boolean {
  return (
    domain.state === 'Paused' && (domain.reason === 'PausedUser' || domain.reason === 'PausedStartingUp')
  );
}

export interface VmiStatusIn {
  phase?: string;
  fsFreezeStatus?: string;
  phaseTransitionTimestamps?: { phase?: string; phaseTransitionTimestamp?: string }[];
  conditions?: ConditionLike[];
  reason?: string;
}

export type { InterfaceStatus } from './interfaces';

/** The fields the handler applies (server-side apply: exactly these, every time). */
export interface HandlerVmiStatus {
  phase: string;
  phaseTransitionTimestamps: { phase?: string; phaseTransitionTimestamp?: string }[];
  conditions: ConditionLike[];
  interfaces?: InterfaceStatus[];
  machine?: { type: string };
  currentCPUTopology?: { sockets: number; cores: number; threads: number };
  reason?: string;
  /** `frozen` while a freeze request holds the guest's filesystems (KubeVirt's field); absent otherwise. */
  fsFreezeStatus?: string;
  /** Each disk's target and the hotplug phases of hotpluggable volumes (./hotplug.ts). */
  volumeStatus?: unknown[];
  /** How the VMI would move: BlockMigration when a local disk must be copied, else LiveMigration. */
  migrationMethod?: string;
}

export function stamp(now: Date): string {
  return metav1Time(now);
}

function transitions(
  current: VmiStatusIn,
  phase: string,
  now: Date,
): HandlerVmiStatus['phaseTransitionTimestamps'] {
  const list = [...(current.phaseTransitionTimestamps ?? [])];
  if (current.phase !== phase) list.push({ phase, phaseTransitionTimestamp: stamp(now) });
  return list;
}

/** A domain in one of these states has a live guest. */
export function domainIsUp(d: DomainStatus): boolean {
  return d.state === 'Running' || d.state === 'Paused' || d.state === 'ShuttingDown';
}

/**
 * The launcher pod's readiness as KubeVirt copies it to the VMI: not ready while a
 * readinessProbe has not passed (kubelet's ContainersNotReady on the pod's Ready condition).
 */
export const NOT_READY_REASON = 'ContainersNotReady';
export const NOT_READY_MESSAGE = 'containers with unready status: [compute]';

export function runningStatus(
  current: VmiStatusIn,
  domain: DomainStatus,
  /** The launcher pod's addresses (status.podIPs): the pod network's interface reports them. */
  podIPs: readonly string[],
  now: Date,
  /**
   * The readinessProbe's verdict (or, on kubelet nodes, the launcher pod's Ready with kubelet's
   * reason and words); undefined without one (Ready as soon as the guest runs).
   */
  readiness?: { ready: boolean; reason?: string; message?: string },
  /** The guest agent's network interfaces; undefined without a connected agent. */
  agentInterfaces?: readonly GuestNetworkInterface[],
): HandlerVmiStatus {
  const t = stamp(now);
  const containersReady = readiness?.ready !== false;
  // Paused: the launcher pod's readiness gate is False (kubelet's words, which KubeVirt copies).
  const gate = containersReady && pausedByUser(domain) ? PAUSED_READINESS : undefined;
  const ready = containersReady && !gate;
  let conditions = setCondition(current.conditions, {
    type: 'Ready',
    status: ready ? 'True' : 'False',
    ...(ready
      ? {}
      : gate
        ? { reason: gate.reason, message: gate.message }
        : readiness?.reason
          ? // kubelet's own reason and words for the pod (a kubelet node's launcher pod).
            { reason: readiness.reason, ...(readiness.message ? { message: readiness.message } : {}) }
          : { reason: NOT_READY_REASON, message: NOT_READY_MESSAGE }),
    lastProbeTime: null,
    lastTransitionTime: t,
  });
  // KubeVirt reports a guest started with startStrategy Paused as paused by the user too.
  if (pausedByUser(domain)) {
    conditions = setCondition(conditions, {
      type: 'Paused',
      status: 'True',
      reason: 'PausedByUser',
      message: 'VMI was paused by user',
      lastProbeTime: null,
      lastTransitionTime: t,
    });
  } else {
    conditions = removeCondition(conditions, 'Paused');
  }
  // The domain's NICs with the pod's (or the attachment's) addresses, merged with what the
  // guest agent reports (./interfaces.ts).
  const interfaces = interfaceStatuses(domain.interfaces, podIPs, agentInterfaces);
  return {
    phase: 'Running',
    phaseTransitionTimestamps: transitions(current, 'Running', now),
    conditions,
    interfaces,
    currentCPUTopology: { sockets: 1, cores: domain.vcpus, threads: 1 },
    ...(domain.fsFreezeStatus ? { fsFreezeStatus: domain.fsFreezeStatus } : {}),
  };
}

/**
 * The guest is gone. A guest that was running and stopped cleanly (launcher exit 0: a guest
 * poweroff or a requested stop) ends Succeeded; anything else (QEMU crashed or was killed, the
 * launcher died or never launched) ends Failed.
 */
export function stoppedStatus(current: VmiStatusIn, exitCode: number, now: Date): HandlerVmiStatus {
  const phase = exitCode === 0 && current.phase === 'Running' ? 'Succeeded' : 'Failed';
  const message =
    exitCode === 0
      ? 'The guest stopped'
      : exitCode === 2
        ? 'The launcher could not start the guest'
        : `The launcher ended with exit code ${exitCode} (QEMU crashed or was killed)`;
  return {
    phase,
    phaseTransitionTimestamps: transitions(current, phase, now),
    conditions: setCondition(removeCondition(current.conditions, 'Paused'), {
      type: 'Ready',
      status: 'False',
      reason: 'GuestNotRunning',
      message,
      lastProbeTime: null,
      lastTransitionTime: stamp(now),
    }),
    ...(phase === 'Failed' ? { reason: exitCode === 2 ? 'LaunchFailed' : 'GuestCrashed' } : {}),
  };
}

/** True when applying `next` would change what `current` says (so a write is needed). */
export function vmiStatusDiffers(
  current: VmiStatusIn & { interfaces?: unknown; volumeStatus?: unknown; migrationMethod?: string },
  next: HandlerVmiStatus,
): boolean {
  const cond = (l: ConditionLike[] | undefined): string =>
    JSON.stringify((l ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']).sort());
  return (
    current.phase !== next.phase ||
    (current.fsFreezeStatus ?? '') !== (next.fsFreezeStatus ?? '') ||
    (current.migrationMethod ?? '') !== (next.migrationMethod ?? '') ||
    cond(current.conditions) !== cond(next.conditions) ||
    stable(current.interfaces ?? null) !== stable(next.interfaces ?? null) ||
    stable(current.volumeStatus ?? null) !== stable(next.volumeStatus ?? null)
  );
}

/** JSON with object keys sorted, so the API server's key order does not count as a change. */
export function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
