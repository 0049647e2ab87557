/**
 * Whether the real Kube-OVN runs in the cluster (I/O): a running pod labelled
 * `app=kube-ovn-controller` (the label of Kube-OVN's controller Deployment, in its install script
 * and its Helm chart) in any namespace. When it runs, it allocates every address itself and
 * virtkit's IPAM steps aside, so two allocators never hand out one Subnet.
 */
import { PODS, type KubeClient } from '../../kube';

/** The label Kube-OVN's controller pods carry. */
export const KUBE_OVN_CONTROLLER_SELECTOR = 'app=kube-ovn-controller';

interface PodLike {
  metadata?: { name?: string; namespace?: string; deletionTimestamp?: string };
  status?: { phase?: string };
}

/** `<namespace>/<name>` of a running Kube-OVN controller pod, or undefined when none runs. */
export async function runningKubeOvnController(client: KubeClient): Promise<string | undefined> {
  const pods = await client.list<PodLike>(PODS, undefined, { labelSelector: KUBE_OVN_CONTROLLER_SELECTOR });
  const live = pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
  return live ? `${live.metadata?.namespace ?? ''}/${live.metadata?.name ?? ''}` : undefined;
}
