/**
 * The cluster's Kube-OVN Subnets and IP objects for admission (I/O); none when the CRDs are
 * absent. A 429 (a CRD just installed answers "storage is (re)initializing" for a moment) is
 * asked again for up to RETRY_MS, inside the webhook's time limit, before admission fails closed.
 */
import type { IP, Subnet } from '../../api/kubeovn/v1';
import {
  isNotFound,
  isTooManyRequests,
  KUBE_OVN_IPS,
  KUBE_OVN_SUBNETS,
  type KubeClient,
  type ResourceType,
} from '../../kube';
import type { KubeOvnLookup } from './kube-ovn-addresses';

const RETRY_MS = 5_000;
const PAUSE_MS = 250;

async function listOrNone<T>(client: KubeClient, rt: ResourceType): Promise<T[]> {
  const until = Date.now() + RETRY_MS;
  for (;;) {
    try {
      return (await client.list<T>(rt)).items;
    } catch (e) {
      if (isNotFound(e)) return [];
      if (!isTooManyRequests(e) || Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  }
}

export function kubeOvnLookupOf(client: KubeClient): KubeOvnLookup {
  return {
    subnets: () => listOrNone<Subnet>(client, KUBE_OVN_SUBNETS),
    ips: () => listOrNone<IP>(client, KUBE_OVN_IPS),
  };
}
