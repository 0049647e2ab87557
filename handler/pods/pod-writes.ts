/**
 * kubelet's two writes to a pod object, shared by everything the handler runs as kubelet (launcher
 * pods, CDI worker pods, placeholder pods): the status through the status subresource, guarded by
 * the pod's uid, and the final delete with grace 0 once what ran for the pod has stopped. A pod
 * already gone is not an error.
 */
import { isNotFound, PODS, type KubeClient } from '../../kube';
import type { PodJson, PodStatusJson } from './pod-types';

export async function writePodStatus(client: KubeClient, pod: PodJson, status: PodStatusJson): Promise<void> {
  try {
    await client.strategicPatch(
      PODS,
      pod.metadata?.namespace,
      pod.metadata?.name ?? '',
      { metadata: { uid: pod.metadata?.uid }, status },
      { subresource: 'status' },
    );
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export async function removePodObject(client: KubeClient, pod: PodJson): Promise<void> {
  try {
    await client.delete(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', {
      uid: pod.metadata?.uid,
      gracePeriodSeconds: 0,
    });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
