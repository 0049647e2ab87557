/**
 * The VirtualMachineRestores of a namespace for admission (I/O); none when the CRD is not
 * installed. A 429 (a CRD just installed answers "storage is (re)initializing") is asked again
 * for up to RETRY_MS, inside the webhook's time limit, before admission fails closed.
 */
import { listOrNone, VIRTUAL_MACHINE_RESTORES, type KubeClient } from '../../kube';
import type { RestoreLookup } from './restores-in-progress';

const RETRY_MS = 5_000;

export function restoreLookupOf(client: KubeClient): RestoreLookup {
  return (namespace) =>
    listOrNone<Record<string, unknown>>(client, VIRTUAL_MACHINE_RESTORES, {
      namespace,
      retry429Ms: RETRY_MS,
    });
}
