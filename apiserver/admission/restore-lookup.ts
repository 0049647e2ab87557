/**
 * The VirtualMachineRestores of a namespace for admission (I/O); none when the CRD is not
 * installed. A 429 (a CRD just installed answers "storage is (re)initializing") is asked again
 * for up to RETRY_MS, inside the webhook's time limit, before admission fails closed.
 */
import { isNotFound, isTooManyRequests, VIRTUAL_MACHINE_RESTORES, type KubeClient } from '../../kube';
import type { RestoreLookup } from './restores-in-progress';

const RETRY_MS = 5_000;

export function restoreLookupOf(client: KubeClient): RestoreLookup {
  return async (namespace) => {
    const until = Date.now() + RETRY_MS;
    for (;;) {
      try {
        return (await client.list<Record<string, unknown>>(VIRTUAL_MACHINE_RESTORES, namespace)).items;
      } catch (e) {
        if (isNotFound(e)) return [];
        if (!isTooManyRequests(e) || Date.now() >= until) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };
}
