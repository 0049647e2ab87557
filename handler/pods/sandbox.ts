/**
 * Pure: how a pod whose sandbox (its network namespace and address) could not be made is
 * reported, in kubelet's words: the container waits in `ContainerCreating`, a Warning Event
 * `FailedCreatePodSandBox` says why, and the runtime tries again with back-off. The pod's
 * PodReadyToStartContainers condition is False with the failure's own reason (e.g.
 * `NetworkAttachmentDefinitionNotFound`) and the same message: the VMI controller
 * (controller/vmi/phase.ts) turns that into the VMI's Synchronized=False and a Warning Event.
 */

export const SANDBOX_WAITING_REASON = 'ContainerCreating';
export const SANDBOX_FAILED_EVENT_REASON = 'FailedCreatePodSandBox';
/** First retry after a failed set-up, doubling up to SANDBOX_RETRY_MAX_MS. */
export const SANDBOX_RETRY_BASE_MS = 1000;
export const SANDBOX_RETRY_MAX_MS = 30_000;

export interface SandboxFailure {
  readonly waitingReason: string;
  readonly eventReason: string;
  /** The PodReadyToStartContainers=False reason: the cause's own, or FailedCreatePodSandBox. */
  readonly reason: string;
  readonly message: string;
}

/**
 * The container's waiting state, the pod's condition and the Event of a failed set-up (`why`
 * names the pod and the cause; `reason` is the cause's, e.g. a CniError's).
 */
export function sandboxFailure(why: string, reason?: string): SandboxFailure {
  return {
    waitingReason: SANDBOX_WAITING_REASON,
    eventReason: SANDBOX_FAILED_EVENT_REASON,
    reason: reason || SANDBOX_FAILED_EVENT_REASON,
    message: `Failed to create pod sandbox: ${why}`,
  };
}

/** When to try again after the `failures`-th failure in a row (1-based): 1 s, 2 s, 4 s ... 30 s. */
export function sandboxRetryMs(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(SANDBOX_RETRY_MAX_MS, SANDBOX_RETRY_BASE_MS * 2 ** Math.min(n - 1, 20));
}
