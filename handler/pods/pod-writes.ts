/**
 * kubelet's two writes to a pod object, shared by everything the handler runs as kubelet (launcher
 * pods, CDI worker pods, placeholder pods): the status through the status subresource, guarded by
 * the pod's uid, and the final delete with grace 0 once what ran for the pod has stopped; and the
 * annotations Multus writes in local mode (network-status). A pod already gone is not an error.
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

/**
 * Sets annotations on the pod (Multus's network-status), guarded by the pod's uid, with the
 * strategic merge patch the status writes use: other annotations stay as they are.
 */
export async function writePodAnnotations(
  client: KubeClient,
  pod: PodJson,
  annotations: Readonly<Record<string, string>>,
): Promise<void> {
  try {
    await client.strategicPatch(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', {
      metadata: { uid: pod.metadata?.uid, annotations },
    });
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
