/**
 * The source's migration monitor as pure functions of progress samples, with KubeVirt's
 * semantics (virt-launcher's live migration monitor):
 *
 * - progress timeout: the data still to send (guest memory plus what the disk mirrors have not
 *   copied yet) must shrink from one sample to the next at least once every
 *   `progressTimeoutSeconds`; otherwise the migration is stuck (usually the network) and is
 *   cancelled, whatever the other options say;
 * - completion timeout: `completionTimeoutPerGiB` seconds per GB of data to move (guest memory
 *   plus the allocated size of the mirrored disks, in GB rounded up, as KubeVirt counts it).
 *   Past it the migration switches to post-copy when allowed, else it is cancelled;
 * - in post-copy nothing is timed out: the guest already runs on the target, cancelling would
 *   lose it.
 *
 * 0 turns a timeout off. The messages are KubeVirt's, followed by what the launcher saw.
 */
import type { MigrationPhase, MigrationStatus } from '../api/protocol';

/** One look at the migration (query-migrate and query-block-jobs). */
export interface ProgressSample {
  /** Milliseconds on a monotonic clock. */
  readonly atMs: number;
  /** Bytes still to send: remaining RAM plus what the mirrors have not copied. */
  readonly remainingBytes: number;
}

export interface MonitorState {
  readonly startedAtMs: number;
  /** When the remaining data last shrank (or the migration started). */
  readonly lastProgressAtMs: number;
  /** The remaining data at the previous sample. */
  readonly previousRemaining?: number;
  /** Post-copy was requested (once). */
  readonly postCopyRequested: boolean;
}

export function initialMonitorState(startedAtMs: number): MonitorState {
  return { startedAtMs, lastProgressAtMs: startedAtMs, postCopyRequested: false };
}

/** The state after `sample`: progress when the remaining data is below the previous sample's. */
export function observe(state: MonitorState, sample: ProgressSample): MonitorState {
  const progressed = state.previousRemaining === undefined || sample.remainingBytes < state.previousRemaining;
  return {
    ...state,
    lastProgressAtMs: progressed ? sample.atMs : state.lastProgressAtMs,
    previousRemaining: sample.remainingBytes,
  };
}

const GB = 1_000_000_000;

/** KubeVirt's migration data size: memory plus mirrored disk bytes, in GB rounded up. */
export function migrationDataGB(guestMemoryBytes: number, mirroredDiskBytes: number): number {
  return Math.ceil((guestMemoryBytes + mirroredDiskBytes) / GB);
}

/** Seconds the migration may take before the completion timeout fires (0: never). */
export function acceptableCompletionSeconds(completionTimeoutPerGiB: number, dataGB: number): number {
  return completionTimeoutPerGiB * dataGB;
}

export type MonitorDecision =
  | { readonly kind: 'continue' }
  /** Switch to post-copy now (the completion timeout fired and post-copy is allowed). */
  | { readonly kind: 'postcopy' }
  /** Cancel: the migration fails with `reason`. */
  | { readonly kind: 'abort'; readonly timeout: 'progress' | 'completion'; readonly reason: string };

export interface MonitorLimits {
  readonly progressTimeoutSeconds: number;
  readonly acceptableCompletionSeconds: number;
  readonly allowPostCopy: boolean;
}

/**
 * What to do after `state` has taken in the latest sample at `nowMs`. `phase` is the source's:
 * during Mirroring post-copy cannot start yet (there is no RAM migration), so a completion
 * timeout with post-copy allowed waits for `migrate` and switches then.
 */
export function decide(
  state: MonitorState,
  nowMs: number,
  limits: MonitorLimits,
  phase: MigrationPhase,
  vmi: string,
): MonitorDecision {
  if (phase === 'PostCopy' || state.postCopyRequested) return { kind: 'continue' };
  const elapsed = Math.floor((nowMs - state.startedAtMs) / 1000);
  const completionDue =
    limits.acceptableCompletionSeconds > 0 && elapsed > limits.acceptableCompletionSeconds;
  if (completionDue && limits.allowPostCopy)
    return phase === 'Migrating' ? { kind: 'postcopy' } : { kind: 'continue' };
  const stuck = Math.floor((nowMs - state.lastProgressAtMs) / 1000);
  if (limits.progressTimeoutSeconds > 0 && stuck > limits.progressTimeoutSeconds)
    return {
      kind: 'abort',
      timeout: 'progress',
      reason: `Live migration stuck for ${stuck} seconds and has been aborted: the data left to send for ${vmi} (${describeRemaining(state.previousRemaining)}) did not shrink within progressTimeout ${limits.progressTimeoutSeconds} s; check the network between the nodes`,
    };
  if (completionDue)
    return {
      kind: 'abort',
      timeout: 'completion',
      reason: `Live migration is not completed after ${limits.acceptableCompletionSeconds} seconds and has been aborted: ${vmi} did not converge within completionTimeoutPerGiB; allow post-copy or auto-converge, raise the bandwidth, or raise completionTimeoutPerGiB`,
    };
  return { kind: 'continue' };
}

function describeRemaining(bytes: number | undefined): string {
  if (bytes === undefined) return 'unknown';
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The part of QEMU's query-migrate answer the launcher reads. */
export interface QueryMigrateInfo {
  readonly status?: string;
  readonly 'total-time'?: number;
  readonly 'expected-downtime'?: number;
  readonly downtime?: number;
  readonly 'setup-time'?: number;
  readonly 'error-desc'?: string;
  readonly ram?: {
    readonly total: number;
    readonly remaining: number;
    readonly transferred: number;
    readonly 'dirty-pages-rate'?: number;
    readonly 'dirty-sync-count'?: number;
  };
  /** The target's listening addresses (migrate-incoming with port 0 picks one). */
  readonly 'socket-address'?: readonly {
    readonly type: string;
    readonly host?: string;
    readonly port?: string;
  }[];
}

/** The progress fields of a MigrationStatus from one query-migrate answer. */
export function progressOf(info: QueryMigrateInfo): Partial<MigrationStatus> {
  const ram = info.ram;
  return {
    ...(ram
      ? {
          ramTotalBytes: ram.total,
          ramRemainingBytes: ram.remaining,
          ramTransferredBytes: ram.transferred,
          ...(ram['dirty-pages-rate'] !== undefined ? { dirtyPagesRate: ram['dirty-pages-rate'] } : {}),
          ...(ram['dirty-sync-count'] !== undefined ? { iterations: ram['dirty-sync-count'] } : {}),
        }
      : {}),
    ...(info['total-time'] !== undefined ? { totalTimeMs: info['total-time'] } : {}),
    ...(info.downtime !== undefined ? { downtimeMs: info.downtime } : {}),
    ...(info['setup-time'] !== undefined ? { setupTimeMs: info['setup-time'] } : {}),
  };
}
