/**
 * What the pod-eviction rules (./pod-eviction.ts) read and write, with the api component's client
 * (RBAC: `get` on pods and virtualmachineinstances, `list` on kubevirts, `patch` on
 * virtualmachineinstances/status). Read at each eviction, not from a cache: evictions are rare,
 * and a drain must see the mark it made a moment ago. A 429 (a CRD just installed answers
 * "storage is (re)initializing") is asked again for up to RETRY_MS, inside the webhook's time
 * limit; any other failure goes back to the rules, which refuse the eviction (fail closed).
 */
import {
  retrying429,
  KUBEVIRTS,
  listOrNone,
  PODS,
  VIRTUAL_MACHINE_INSTANCES,
  type KubeClient,
} from '../../kube';
import { evacuationPatch, type PodEvictionLookup } from './pod-eviction';

const RETRY_MS = 3_000;

export function podEvictionLookupOf(client: KubeClient): PodEvictionLookup {
  return {
    pod: (namespace, name) => client.getIfExists<Record<string, unknown>>(PODS, namespace, name),
    vmi: (namespace, name) =>
      retrying429(
        () => client.getIfExists<Record<string, unknown>>(VIRTUAL_MACHINE_INSTANCES, namespace, name),
        RETRY_MS,
      ),
    kubevirts: () => listOrNone<Record<string, unknown>>(client, KUBEVIRTS, { retry429Ms: RETRY_MS }),
    markForEvacuation: async (mark) => {
      // The status subresource: the VMI's spec is the user's, and its status is what moves it.
      await client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, mark.namespace, mark.name, evacuationPatch(mark), {
        subresource: 'status',
        dryRun: mark.dryRun,
      });
    },
  };
}
