/**
 * A pod's readiness gates (`spec.readinessGates`), judged as kubelet judges them once its
 * containers are ready: every gate's condition must be True, else the pod's Ready is False with
 * kubelet's reason and words. Local mode's pod runtime plays kubelet with it (./pod-status.ts);
 * the VMI's Ready says the same while the guest is paused (../vmi/vmi-status.ts), as KubeVirt's
 * VMI copies its launcher pod's Ready. Pure.
 */
import { UNPAUSED_POD_CONDITION } from '../../api/kubevirt/v1/launcher-pod-layout';

export const READINESS_GATES_NOT_READY = 'ReadinessGatesNotReady';

interface GatedPod {
  readonly spec?: { readonly readinessGates?: readonly { readonly conditionType?: string }[] };
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string }[] };
}

/** Undefined when every gate's condition is True; else kubelet's reason and message. */
export function readinessGatesProblem(pod: GatedPod): { reason: string; message: string } | undefined {
  const conditions = pod.status?.conditions ?? [];
  const unready: string[] = [];
  for (const gate of pod.spec?.readinessGates ?? []) {
    const type = gate.conditionType ?? '';
    const c = conditions.find((x) => x.type === type);
    if (!c)
      unready.push(`corresponding condition of pod readiness gate ${JSON.stringify(type)} does not exist.`);
    else if (c.status !== 'True')
      unready.push(`the status of pod readiness gate ${JSON.stringify(type)} is not "True", but ${c.status}`);
  }
  return unready.length ? { reason: READINESS_GATES_NOT_READY, message: unready.join(', ') } : undefined;
}

/** What a launcher pod's Ready says while its VMI is paused (its unpaused gate False). */
export const PAUSED_READINESS = readinessGatesProblem({
  spec: { readinessGates: [{ conditionType: UNPAUSED_POD_CONDITION }] },
  status: { conditions: [{ type: UNPAUSED_POD_CONDITION, status: 'False' }] },
})!;
