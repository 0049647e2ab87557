/**
 * A launcher pod's addresses that cannot be allocated (Kube-OVN's IPAM: a fixed address outside
 * the subnet, excluded or taken, a full subnet, a missing Subnet) show on the VMI as
 * Synchronized=False with the allocation's reason and message, and one Warning Event per new
 * message; no pod is made and the VMI stays Pending. The condition goes once the pod is created.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceStatus } from '../../api/kubevirt/v1';
import { KUBE_OVN_ADDRESS_REASONS, KubeOvnAddressError } from '../../api/kubeovn/ipam';
import { findCondition, removeCondition, setCondition, type EventSpec } from '../../kube';
import { metav1Time } from '../../api/k8s/meta';

/** RFC 3339 seconds, as the VMI's other conditions are stamped. */
const stamp = (now: Date) => metav1Time(now);

export interface AddressProblem {
  /** The Warning Event to record: only when the condition's message changed. */
  readonly event?: EventSpec;
}

/**
 * Run `allocate`; when it throws a KubeOvnAddressError, set the condition on `status` (in place)
 * and answer the problem. Other errors propagate (the work queue retries with back-off).
 */
export async function addressProblem(
  vmi: VirtualMachineInstance,
  status: VirtualMachineInstanceStatus,
  now: Date,
  allocate: () => Promise<void>,
): Promise<AddressProblem | undefined> {
  try {
    await allocate();
    return undefined;
  } catch (e) {
    if (!(e instanceof KubeOvnAddressError)) throw e;
    // The VMI stays Pending: it was about to be Scheduling, but no pod exists to schedule.
    status.phase = 'Pending';
    status.phaseTransitionTimestamps = (status.phaseTransitionTimestamps ?? []).filter(
      (t) => t.phase !== 'Scheduling',
    );
    const message = `VirtualMachineInstance ${vmi.metadata?.namespace ?? ''}/${vmi.metadata?.name ?? ''}: ${e.message}`;
    const prev = findCondition(status.conditions, 'Synchronized');
    const changed = prev?.status !== 'False' || prev.reason !== e.reason || prev.message !== message;
    status.conditions = setCondition(status.conditions, {
      type: 'Synchronized',
      status: 'False',
      reason: e.reason,
      message,
      lastProbeTime: null,
      lastTransitionTime: changed ? stamp(now) : (prev?.lastTransitionTime ?? stamp(now)),
    });
    return changed ? { event: { type: 'Warning', reason: e.reason, message } } : {};
  }
}

/** Drop a Synchronized condition this module set. */
export function clearAddressProblem(status: VirtualMachineInstanceStatus): void {
  const prev = findCondition(status.conditions, 'Synchronized');
  if (prev?.reason && (KUBE_OVN_ADDRESS_REASONS as readonly string[]).includes(prev.reason))
    status.conditions = removeCondition(status.conditions, 'Synchronized');
}
