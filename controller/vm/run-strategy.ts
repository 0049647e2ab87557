/** Which run strategy a VM follows, and what its state change requests ask for. Pure. */
import type { RunStrategy, VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';

/**
 * spec.runStrategy, or the deprecated spec.running mapped as KubeVirt maps it (true = Always,
 * false = Halted); a VM with neither is Halted. Admission rejects a VM that sets both.
 */
export function effectiveRunStrategy(vm: VirtualMachine): RunStrategy {
  if (vm.spec.runStrategy) return vm.spec.runStrategy;
  return vm.spec.running === true ? 'Always' : 'Halted';
}

/** The first pending request is a Start. Only the first request is ever acted upon. */
export function hasStartRequest(vm: VirtualMachine): boolean {
  return vm.status?.stateChangeRequests?.[0]?.action === 'Start';
}

/** The first request is a Start with data paused: "true" (virtctl start --paused). */
export function hasStartPausedRequest(vm: VirtualMachine): boolean {
  const first = vm.status?.stateChangeRequests?.[0];
  return first?.action === 'Start' && first.data?.paused === 'true';
}

/** The first request is a Stop aimed at this very VMI (by UID). */
export function hasStopRequestFor(vm: VirtualMachine, vmi: VirtualMachineInstance): boolean {
  const first = vm.status?.stateChangeRequests?.[0];
  return first?.action === 'Stop' && first.uid !== undefined && first.uid === vmi.metadata?.uid;
}

export function isFinal(vmi: VirtualMachineInstance | undefined): boolean {
  const p = vmi?.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

export function isUnprocessed(vmi: VirtualMachineInstance): boolean {
  const p = vmi.status?.phase;
  return p === undefined || p === 'Pending';
}

export function isMarkedForDeletion(
  obj: { metadata?: { deletionTimestamp?: string | null } } | undefined,
): boolean {
  return !!obj?.metadata?.deletionTimestamp;
}

/**
 * Whether the first request has been dealt with and can be removed: a Stop once its VMI is gone
 * (or it names no VMI, or another one), a Start once a live VMI exists.
 */
export function firstRequestDone(vm: VirtualMachine, vmi: VirtualMachineInstance | undefined): boolean {
  const first = vm.status?.stateChangeRequests?.[0];
  if (!first) return false;
  if (first.action === 'Stop') return !vmi || first.uid === undefined || first.uid !== vmi.metadata?.uid;
  return vmi !== undefined && !isMarkedForDeletion(vmi) && !isFinal(vmi);
}
