/**
 * The cluster's Kube-OVN Subnets, IPPools and IP objects for admission (I/O); none when the CRDs are
 * absent. A 429 (a CRD just installed answers "storage is (re)initializing" for a moment) is
 * asked again for up to RETRY_MS, inside the webhook's time limit, before admission fails closed.
 */
import type { IP, IPPool, Subnet } from '../../api/kubeovn/v1';
import { KUBE_OVN_IPPOOLS, KUBE_OVN_IPS, KUBE_OVN_SUBNETS, listOrNone, type KubeClient } from '../../kube';
import type { KubeOvnLookup } from './kube-ovn-addresses';

const RETRY_MS = 5_000;

export function kubeOvnLookupOf(client: KubeClient): KubeOvnLookup {
  return {
    subnets: () => listOrNone<Subnet>(client, KUBE_OVN_SUBNETS, { retry429Ms: RETRY_MS }),
    ips: () => listOrNone<IP>(client, KUBE_OVN_IPS, { retry429Ms: RETRY_MS }),
    pools: () => listOrNone<IPPool>(client, KUBE_OVN_IPPOOLS, { retry429Ms: RETRY_MS }),
  };
}
