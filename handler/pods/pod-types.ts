/** The parts of a Pod the handler's runtime reads, and how a launcher pod names its VMI. */
import { EPHEMERAL_PROVISIONING_ANNOTATION } from '../../api/cdi/worker-pod';

export interface PodJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
  };
  spec?: {
    nodeName?: string;
    terminationGracePeriodSeconds?: number;
    restartPolicy?: string;
    containers?: { name: string; image?: string }[];
    readinessGates?: { conditionType?: string }[];
  };
  status?: PodStatusJson;
}

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  /** null in a status patch removes it (conditions merge by type). */
  reason?: string | null;
  message?: string | null;
}

export interface ContainerStatusJson {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
}

export interface PodStatusJson {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: ContainerStatusJson[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  message?: string;
  reason?: string;
}

export const LAUNCHER_LABEL = 'kubevirt.io';
export const LAUNCHER_LABEL_VALUE = 'virt-launcher';
export const CREATED_BY_LABEL = 'kubevirt.io/created-by';
export const DOMAIN_ANNOTATION = 'kubevirt.io/domain';
export const COMPUTE_CONTAINER = 'compute';

/**
 * A pod that runs a VMI's launcher. KubeVirt's ephemeral provisioning pods carry the launcher
 * label too but run no VM (they only make the scheduler bind WaitForFirstConsumer claims): they
 * are not launcher pods here (handler/workers/placeholders.ts runs them).
 */
export function isLauncherPod(pod: PodJson): boolean {
  return pod.metadata?.labels?.[LAUNCHER_LABEL] === LAUNCHER_LABEL_VALUE && !isEphemeralProvisioningPod(pod);
}

export function isEphemeralProvisioningPod(pod: PodJson): boolean {
  return (
    pod.metadata?.labels?.[LAUNCHER_LABEL] === LAUNCHER_LABEL_VALUE &&
    pod.metadata?.annotations?.[EPHEMERAL_PROVISIONING_ANNOTATION] === 'true'
  );
}

export function podKey(pod: PodJson): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** The VMI a launcher pod runs: namespace/name from the domain annotation, uid from created-by. */
export function vmiOfPod(pod: PodJson): { namespace: string; name: string; uid?: string } | undefined {
  const name = pod.metadata?.annotations?.[DOMAIN_ANNOTATION];
  if (!name || !pod.metadata?.namespace) return undefined;
  const uid = pod.metadata.labels?.[CREATED_BY_LABEL];
  return { namespace: pod.metadata.namespace, name, ...(uid ? { uid } : {}) };
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
