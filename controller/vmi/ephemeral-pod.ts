/**
 * KubeVirt's ephemeral provisioning pod (pure): the launcher pod a VMI would get (same volumes,
 * node selection, resources), annotated kubevirt.io/ephemeral-provisioning=true, under a name of
 * its own. It carries no VM: its only job is to be the first consumer of WaitForFirstConsumer
 * claims, so the scheduler picks a node and the claims bind before CDI fills them. The node's
 * runner reports it Running and starts nothing (api/cdi/worker-pod.ts).
 */
import { EPHEMERAL_PROVISIONING_ANNOTATION } from '../../api/cdi/worker-pod';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { podSuffix, renderLauncherPod, type LauncherPodOptions, type PodSketch } from './launcher-pod';

export function ephemeralPodName(vmi: VirtualMachineInstance): string {
  const base = `virt-launcher-${vmi.metadata?.name ?? ''}`.slice(0, 253 - 6);
  return `${base}-${podSuffix(`${vmi.metadata?.uid ?? ''}/ephemeral-provisioning`)}`;
}

export function renderEphemeralPod(vmi: VirtualMachineInstance, opts: LauncherPodOptions): PodSketch {
  const pod = renderLauncherPod(vmi, opts);
  pod.metadata.name = ephemeralPodName(vmi);
  pod.metadata.annotations = { ...pod.metadata.annotations, [EPHEMERAL_PROVISIONING_ANNOTATION]: 'true' };
  return pod;
}

export function isEphemeralPod(pod: { metadata?: { annotations?: Record<string, string> } }): boolean {
  return pod.metadata?.annotations?.[EPHEMERAL_PROVISIONING_ANNOTATION] === 'true';
}
