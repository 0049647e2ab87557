/**
 * KubeVirt's ephemeral provisioning pod (pure): the launcher pod a VMI would get (same volumes,
 * node selection, resources), annotated kubevirt.io/ephemeral-provisioning=true, under a name of
 * its own. It carries no VM: its only job is to be the first consumer of WaitForFirstConsumer
 * claims, so the scheduler picks a node and the claims bind before CDI fills them. In local mode
 * the node's runner reports it Running and starts nothing (api/cdi/worker-pod.ts); on a kubelet
 * node its container ends at once (EPHEMERAL_COMMAND) and the handler never takes it for a
 * launcher.
 */
import { EPHEMERAL_PROVISIONING_ANNOTATION } from '../../api/cdi/worker-pod';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { podSuffix, renderLauncherPod, type LauncherPodOptions, type PodSketch } from './launcher-pod';

export function ephemeralPodName(vmi: VirtualMachineInstance): string {
  const base = `virt-launcher-${vmi.metadata?.name ?? ''}`.slice(0, 253 - 6);
  return `${base}-${podSuffix(`${vmi.metadata?.uid ?? ''}/ephemeral-provisioning`)}`;
}

/**
 * What the ephemeral pod's compute container runs where kubelet runs it: a command that ends at
 * once, successfully (KubeVirt's prints "bound PVCs"), never a launcher: the pod is there to be
 * scheduled, not to run a VM.
 */
export const EPHEMERAL_COMMAND = ['virtkit', '--version'] as const;

export function renderEphemeralPod(vmi: VirtualMachineInstance, opts: LauncherPodOptions): PodSketch {
  const pod = renderLauncherPod(vmi, opts);
  pod.metadata.name = ephemeralPodName(vmi);
  pod.metadata.annotations = { ...pod.metadata.annotations, [EPHEMERAL_PROVISIONING_ANNOTATION]: 'true' };
  const spec = pod.spec as { containers: Record<string, unknown>[] };
  const compute = spec.containers[0]!;
  compute.command = [...EPHEMERAL_COMMAND];
  delete compute.args;
  // Nothing runs in it to probe.
  delete compute.readinessProbe;
  delete compute.livenessProbe;
  return pod;
}

export function isEphemeralPod(pod: { metadata?: { annotations?: Record<string, string> } }): boolean {
  return pod.metadata?.annotations?.[EPHEMERAL_PROVISIONING_ANNOTATION] === 'true';
}
