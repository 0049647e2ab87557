/**
 * Waiting for something in the cluster to become available, as `virtkit up` does: poll a check
 * until it says available or a deadline passes, then fail with the caller's error built from the
 * last answer (what is missing, and where to look). Shared by the APIServices of the process
 * runtime and by the install of the kubelet runtime (Deployments, DaemonSet, APIServices).
 */
import { APISERVICES, type KubeClient } from '../../kube';
import {
  APISERVICE_NAME,
  apiServiceAvailability,
  type Availability,
} from '../../apiserver/subresources/registration';
import { UPLOAD_APISERVICE_NAME } from '../../apiserver/upload/registration';

/** Polls `check` every `pollMs` until it is available; past `deadline`, throws `timedOut(last)`. */
export async function awaitAvailable(
  check: () => Promise<Availability>,
  deadline: number,
  timedOut: (last: Availability) => Error,
  pollMs = 500,
): Promise<Availability> {
  for (;;) {
    const state = await check();
    if (state.available) return state;
    if (Date.now() > deadline) throw timedOut(state);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Waits until the aggregator reaches `virtkit api` for both its APIServices
 * (subresources.kubevirt.io and upload.cdi.kubevirt.io).
 */
export async function awaitApiServices(
  client: KubeClient,
  deadline: number,
  timedOut: (name: string, last: Availability) => Error,
  pollMs?: number,
): Promise<void> {
  for (const name of [APISERVICE_NAME, UPLOAD_APISERVICE_NAME])
    await awaitAvailable(
      async () => apiServiceAvailability(await client.get(APISERVICES, undefined, name)),
      deadline,
      (last) => timedOut(name, last),
      pollMs,
    );
}
