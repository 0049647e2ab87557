/**
 * Pure: how a pod whose sandbox (its network namespace and address) could not be made is
 * reported, in kubelet's words: the container waits in `ContainerCreating`, a Warning Event
 * `FailedCreatePodSandBox` says why, and the runtime tries again with back-off.
 */

export const SANDBOX_WAITING_REASON = 'ContainerCreating';
export const SANDBOX_FAILED_EVENT_REASON = 'FailedCreatePodSandBox';
/** First retry after a failed set-up, doubling up to SANDBOX_RETRY_MAX_MS. */
export const SANDBOX_RETRY_BASE_MS = 1000;
export const SANDBOX_RETRY_MAX_MS = 30_000;

export interface SandboxFailure {
  readonly waitingReason: string;
  readonly eventReason: string;
  readonly message: string;
}

/** The container's waiting state and the Event of a failed set-up (`why` names the pod and the cause). */
export function sandboxFailure(why: string): SandboxFailure {
  return {
    waitingReason: SANDBOX_WAITING_REASON,
    eventReason: SANDBOX_FAILED_EVENT_REASON,
    message: `Failed to create pod sandbox: ${why}`,
  };
}

/** When to try again after the `failures`-th failure in a row (1-based): 1 s, 2 s, 4 s ... 30 s. */
export function sandboxRetryMs(failures: number): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(SANDBOX_RETRY_MAX_MS, SANDBOX_RETRY_BASE_MS * 2 ** Math.min(n - 1, 20));
}
