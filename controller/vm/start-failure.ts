/**
 * Crash-loop back-off, as KubeVirt does it: a VMI that ends (Succeeded or Failed) without ever
 * reaching Running counts as a failed start in status.startFailure; the next start waits
 * interval * failures^2 seconds plus up to half of that at random, capped at 300 s, with an
 * interval of max(10 s, cap / 30). A VMI that reached Running, or a run strategy that does not
 * restart by itself, clears the record. Pure: time and randomness are inputs.
 */
import type {
  RunStrategy,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineStartFailure,
} from '../../api/kubevirt/v1';
import { isFinal } from './run-strategy';
import { metav1Time } from '../../api/k8s/meta';

export const MAX_CRASH_LOOP_BACKOFF_SECONDS = 300;

export function startBackoffSeconds(
  failCount: number,
  maxDelay = MAX_CRASH_LOOP_BACKOFF_SECONDS,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, failCount);
  const interval = Math.max(10, Math.floor(maxDelay / 30));
  const base = interval * n * n;
  const extra = Math.floor(random() * (Math.floor(base / 2) + 1));
  return Math.min(maxDelay, base + extra);
}

export function everRan(vmi: VirtualMachineInstance | undefined): boolean {
  return !!vmi?.status?.phaseTransitionTimestamps?.some((t) => t.phase === 'Running');
}

const RESTARTING: readonly RunStrategy[] = ['Always', 'RerunOnFailure', 'Once'];

/** The startFailure the VM status should carry after observing `vmi`. */
export function nextStartFailure(
  vm: VirtualMachine,
  strategy: RunStrategy,
  vmi: VirtualMachineInstance | undefined,
  now: Date,
  random: () => number = Math.random,
): VirtualMachineStartFailure | undefined {
  const current = vm.status?.startFailure ?? undefined;
  if (everRan(vmi) || !RESTARTING.includes(strategy)) return undefined;
  if (!vmi || !isFinal(vmi)) return current;
  if (current?.lastFailedVMIUID === vmi.metadata?.uid) return current;
  const count = (current?.consecutiveFailCount ?? 0) + 1;
  const delay = startBackoffSeconds(count, MAX_CRASH_LOOP_BACKOFF_SECONDS, random);
  return {
    consecutiveFailCount: count,
    lastFailedVMIUID: vmi.metadata?.uid,
    retryAfterTimestamp: metav1Time(now.getTime() + delay * 1000),
  };
}

/** Milliseconds until a new start is allowed (0 when not backing off). */
export function backoffLeftMs(
  startFailure: VirtualMachineStartFailure | undefined | null,
  now: Date,
): number {
  const at = startFailure?.retryAfterTimestamp ? Date.parse(startFailure.retryAfterTimestamp) : NaN;
  return Number.isFinite(at) ? Math.max(0, at - now.getTime()) : 0;
}
