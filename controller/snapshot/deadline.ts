/**
 * A snapshot's failure deadline, as KubeVirt keeps it: `spec.failureDeadline` (a Go duration;
 * 5 minutes when left out, `0s` for none) counted from the snapshot's creationTimestamp. Past
 * it, a snapshot still in progress fails. The same duration is the freeze's unfreezeTimeout,
 * after which the guest thaws by itself should the controller never ask. Pure.
 */
import { parseGoDuration } from '../../api/kubevirt/v1/vmi-subresources';
import type { VirtualMachineSnapshot } from '../../api/snapshot/v1beta1';

/** KubeVirt's DefaultFailureDeadline. */
export const DEFAULT_FAILURE_DEADLINE_MS = 5 * 60_000;

/**
 * The failure deadline in milliseconds (0: none). A value that is no Go duration (admission
 * refuses those; see api/snapshot/v1beta1/rules.ts) counts as the default.
 */
export function failureDeadlineMs(snapshot: VirtualMachineSnapshot): number {
  const text = snapshot.spec?.failureDeadline;
  if (text === undefined) return DEFAULT_FAILURE_DEADLINE_MS;
  const ns = parseGoDuration(text);
  return ns === undefined ? DEFAULT_FAILURE_DEADLINE_MS : Math.trunc(ns / 1e6);
}

/**
 * Milliseconds left before the deadline (0 or less once it has passed), or undefined when the
 * snapshot has no deadline (`failureDeadline: 0s`).
 */
export function timeUntilDeadlineMs(snapshot: VirtualMachineSnapshot, now: Date): number | undefined {
  const deadline = failureDeadlineMs(snapshot);
  if (deadline === 0) return undefined;
  const created = Date.parse(snapshot.metadata?.creationTimestamp ?? '');
  // Not stored yet (no creationTimestamp): the whole deadline is ahead.
  if (!Number.isFinite(created)) return deadline;
  return created + deadline - now.getTime();
}

/** Whether the deadline has passed (never, without one). */
export function pastDeadline(snapshot: VirtualMachineSnapshot, now: Date): boolean {
  const left = timeUntilDeadlineMs(snapshot, now);
  return left !== undefined && left <= 0;
}

/** Go's time.Duration.String() of `ms` milliseconds: `5m0s`, `1h0m0s`, `30s`, `1.5s`, `250ms`, `0s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const secs = `${Number.isInteger(s) ? s : Number(s.toFixed(3))}s`;
  if (h) return `${sign}${h}h${m}m${secs}`;
  if (m) return `${sign}${m}m${secs}`;
  return `${sign}${secs}`;
}
