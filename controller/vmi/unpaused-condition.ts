/**
 * KubeVirt's readiness gate of launcher pods (UNPAUSED_POD_CONDITION): the VMI controller keeps
 * the pod condition `kubevirt.io/virtual-machine-unpaused` False while the VMI is Paused and True
 * otherwise. The pod carries it as a readiness gate (./launcher-pod.ts), so kubelet (or local
 * mode's handler, which plays kubelet) keeps a paused VM's pod not Ready, and the VMI's Ready,
 * which follows the pod's, says why. Pure: the JSON patch of the pod's status, or none.
 */
import { metav1Time } from '../../api/k8s/meta';
import { UNPAUSED_POD_CONDITION } from '../../api/kubevirt/v1/launcher-pod-layout';

interface PodLike {
  metadata?: { deletionTimestamp?: string };
  status?: { phase?: string; conditions?: readonly { type: string; status: string }[] };
}

interface VmiLike {
  status?: { phase?: string; conditions?: readonly { type: string; status: string }[] };
}

export interface PodCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly lastProbeTime: string;
  readonly lastTransitionTime: string;
}

/** KubeVirt's words for the two states. */
export function unpausedCondition(paused: boolean, now: Date): PodCondition {
  const t = metav1Time(now);
  return {
    type: UNPAUSED_POD_CONDITION,
    status: paused ? 'False' : 'True',
    reason: paused ? 'Paused' : 'NotPaused',
    message: paused ? 'the virtual machine is paused' : 'the virtual machine is not paused',
    lastProbeTime: t,
    lastTransitionTime: t,
  };
}

const FINAL = ['Succeeded', 'Failed'];

/**
 * The JSON patch (of the pod's status subresource) that brings `pod`'s condition in line with
 * `vmi`, or undefined when it already is or the pod or VMI has ended. As KubeVirt: a paused VMI
 * turns a True condition False (a missing one stays missing: kubelet already counts a missing
 * gate as not ready); anything else makes it True. The `test` guards the index against a
 * concurrent rewrite of the list (kubelet's status writes): the patch then fails and the
 * reconcile retries.
 */
export function unpausedConditionPatch(vmi: VmiLike, pod: PodLike, now: Date): unknown[] | undefined {
  if (pod.metadata?.deletionTimestamp || FINAL.includes(pod.status?.phase ?? '')) return undefined;
  if (FINAL.includes(vmi.status?.phase ?? '')) return undefined;
  const paused = (vmi.status?.conditions ?? []).some((c) => c.type === 'Paused' && c.status === 'True');
  const conditions = pod.status?.conditions;
  const i = (conditions ?? []).findIndex((c) => c.type === UNPAUSED_POD_CONDITION);
  const current = i >= 0 ? conditions![i]!.status : undefined;
  if (paused ? current !== 'True' : current === 'True') return undefined;
  const value = unpausedCondition(paused, now);
  if (!conditions) return [{ op: 'add', path: '/status/conditions', value: [value] }];
  if (i < 0) return [{ op: 'add', path: '/status/conditions/-', value }];
  return [
    { op: 'test', path: `/status/conditions/${i}/type`, value: UNPAUSED_POD_CONDITION },
    { op: 'replace', path: `/status/conditions/${i}`, value },
  ];
}
