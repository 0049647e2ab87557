/**
 * Pure: the handler's part of a live migration (virt-handler's), decided from the VMI's
 * `status.migrationState` and what the launcher on this node reports. Two roles, as in KubeVirt:
 *
 *   target  the node of the target pod (`migrationState.targetNode`): start QEMU waiting for the
 *           incoming migration, listen, publish the address, and once the source says it
 *           completed, resume the guest here and say the domain was detected;
 *   source  the node the VMI runs on: once the target published its address, start the
 *           migration, follow it, cancel it when an abort is requested, and report its end.
 *
 * Each step is one action plus the status fields to merge into `migrationState`; the I/O
 * (./migration-sync.ts) does it and asks again, so a restarted handler picks up where the
 * launchers are.
 */
import type { VirtualMachineInstanceMigrationState } from '../../api/kubevirt/v1/migration-state';
import type { VMIMConfigurationOptions } from '../../api/kubevirt/v1/migration-options';
import { parseQuantity } from '../../api/quantity';
import {
  BLOCK_MIGRATION_PORT,
  MIGRATION_PORT,
  type MigrationOptions,
  type MigrationStatus,
} from '../../launcher/api/protocol';
import type { DomainStatus } from '../../launcher/runtime/domain-types';
import { stamp } from './vmi-status';

export type MigrationState = VirtualMachineInstanceMigrationState;

/** KubeVirt's defaults, used when the controller's `migrationConfiguration` leaves a field out. */
export const DEFAULT_COMPLETION_TIMEOUT_PER_GIB = 150;
export const DEFAULT_PROGRESS_TIMEOUT_SECONDS = 150;
export const DEFAULT_MAX_DOWNTIME_MS = 300;

/** A migration that has ended one way or the other: nothing is left for the handlers to do. */
export function migrationEnded(ms: MigrationState | undefined): boolean {
  return ms?.completed === true || ms?.failed === true;
}

/** This node is the target of the VMI's current migration and the target pod is `pod`. */
export function isTargetOf(ms: MigrationState | undefined, node: string, pod: string): boolean {
  return !!ms && ms.targetNode === node && ms.targetPod === pod;
}

/** This node is the source of the VMI's current migration and `pod` is the source pod. */
export function isSourceOf(ms: MigrationState | undefined, node: string, pod: string): boolean {
  return !!ms && ms.sourceNode === node && ms.sourcePod === pod;
}

export type TargetAction =
  /** Nothing to do now (waiting for the source, or it ended). */
  | { readonly kind: 'wait' }
  /** Start the launcher's QEMU in incoming mode (POST /v1/sync of a migration target). */
  | { readonly kind: 'start' }
  /** Listen for the migration on the pod's address (POST /v1/migration/incoming). */
  | { readonly kind: 'listen'; readonly address: string; readonly allowPostCopy: boolean }
  /** Publish what the launcher listens on. */
  | { readonly kind: 'report'; readonly patch: MigrationState }
  /** The source completed: resume the guest here (POST /v1/migration/finish). */
  | { readonly kind: 'finish' };

export interface TargetInputs {
  readonly ms: MigrationState;
  readonly domain: Pick<DomainStatus, 'state' | 'reason'>;
  readonly migration: Pick<MigrationStatus, 'role' | 'phase'>;
  /** The target pod's address on the pod network ('' while it has none). */
  readonly podIP: string;
  /**
   * Where this node listens for the migration (this handler's memory of it): the node's address,
   * and each port of its proxy with the launcher socket it leads to, by KubeVirt's port numbers
   * (MIGRATION_PORT for the stream, BLOCK_MIGRATION_PORT for the NBD server).
   */
  readonly listening?: { readonly address: string; readonly ports: Readonly<Record<string, number>> };
  readonly now: Date;
}

export function targetAction(i: TargetInputs): TargetAction {
  const { ms, domain, migration } = i;
  if (ms.failed) return { kind: 'wait' };
  if (domain.state === 'NoState') return { kind: 'start' };
  if (domain.state === 'Running') {
    // The guest runs here: the migration is over on this side.
    if (ms.targetNodeDomainDetected) return { kind: 'wait' };
    return {
      kind: 'report',
      patch: { targetNodeDomainDetected: true, targetNodeDomainReadyTimestamp: stamp(i.now) },
    };
  }
  if (migration.role !== 'target' || migration.phase === 'None') {
    if (!i.podIP) return { kind: 'wait' };
    return {
      kind: 'listen',
      address: i.podIP,
      allowPostCopy: ms.migrationConfiguration?.allowPostCopy === true,
    };
  }
  if (!ms.targetNodeAddress && i.listening)
    return {
      kind: 'report',
      patch: {
        targetNodeAddress: i.listening.address,
        targetDirectMigrationNodePorts: { ...i.listening.ports },
      },
    };
  // The source says the guest moved: resume it here (the launcher checks its side completed).
  if (ms.completed) return { kind: 'finish' };
  return { kind: 'wait' };
}

export type SourceAction =
  | { readonly kind: 'wait' }
  | { readonly kind: 'start'; readonly request: SourceStart }
  | { readonly kind: 'cancel' }
  | { readonly kind: 'report'; readonly patch: MigrationState };

export interface SourceStart {
  readonly address: string;
  readonly migrationPort: number;
  readonly blockPort?: number;
  readonly options: MigrationOptions;
}

export interface SourceInputs {
  readonly ms: MigrationState;
  readonly migration: MigrationStatus;
  readonly guestMemoryBytes: number;
  readonly now: Date;
}

export function sourceAction(i: SourceInputs): SourceAction {
  const { ms, migration: m } = i;
  if (migrationEnded(ms)) return { kind: 'wait' };
  // The launcher's status is of its latest attempt; one that ended before this migration
  // started (a failed or cancelled earlier migration of the same guest) is not this one's.
  const earlier = m.role === 'source' && FINAL_PHASES.has(m.phase) && !belongsTo(ms, m);
  const ended = earlier ? undefined : endPatch(ms, m, i.now);
  if (ended) return { kind: 'report', patch: ended };
  const idle = m.role !== 'source' || m.phase === 'None' || earlier;
  if (ms.abortRequested) {
    if (idle)
      // Nothing was started on this side: the abort is done by not starting.
      return {
        kind: 'report',
        patch: {
          failed: true,
          abortStatus: 'Succeeded',
          failureReason: 'Migration aborted before it started',
          endTimestamp: ms.endTimestamp ?? stamp(i.now),
        },
      };
    if (m.abortStatus === undefined) return { kind: 'cancel' };
    if (ms.abortStatus !== m.abortStatus) return { kind: 'report', patch: { abortStatus: m.abortStatus } };
    return { kind: 'wait' };
  }
  if (idle) {
    if (ms.startTimestamp)
      return {
        kind: 'report',
        patch: {
          failed: true,
          failureReason:
            'The source launcher has no migration in progress although it was started (the launcher restarted?)',
          endTimestamp: stamp(i.now),
        },
      };
    if (!ms.targetNodeAddress) return { kind: 'wait' };
    // KubeVirt's map: the target node's port -> what it leads to (the stream or the NBD server).
    const entries = Object.entries(ms.targetDirectMigrationNodePorts ?? {});
    const nodePort = (role: number): number | undefined => {
      const e = entries.find(([, v]) => v === role);
      return e ? Number(e[0]) : undefined;
    };
    const blockPort = nodePort(BLOCK_MIGRATION_PORT);
    return {
      kind: 'start',
      request: {
        address: ms.targetNodeAddress,
        migrationPort: nodePort(MIGRATION_PORT) ?? Number(entries[0]?.[0] ?? MIGRATION_PORT),
        ...(blockPort !== undefined ? { blockPort } : {}),
        options: launcherOptions(ms.migrationConfiguration),
      },
    };
  }
  const patch: MigrationState = {};
  if (!ms.startTimestamp) patch.startTimestamp = m.startedAt ? stampOf(m.startedAt) : stamp(i.now);
  const mode = m.mode ?? 'PreCopy';
  if (ms.mode !== mode) patch.mode = mode;
  return Object.keys(patch).length ? { kind: 'report', patch } : { kind: 'wait' };
}

const FINAL_PHASES = new Set(['Completed', 'Failed', 'Cancelled']);

/**
 * Whether the launcher's attempt is the one of this migration: it was started for it (the
 * source wrote its start) and not before that start (timestamps have second precision).
 */
function belongsTo(ms: MigrationState, m: MigrationStatus): boolean {
  if (!ms.startTimestamp) return false;
  if (!m.startedAt) return true;
  return Math.floor(Date.parse(m.startedAt) / 1000) >= Math.floor(Date.parse(ms.startTimestamp) / 1000);
}

/** The migration ended on the launcher: what the source reports. */
function endPatch(ms: MigrationState, m: MigrationStatus, now: Date): MigrationState | undefined {
  if (m.role !== 'source') return undefined;
  const end = m.endedAt ? stampOf(m.endedAt) : stamp(now);
  const start = ms.startTimestamp ?? (m.startedAt ? stampOf(m.startedAt) : end);
  if (m.phase === 'Completed')
    return { completed: true, startTimestamp: start, endTimestamp: end, ...(m.mode ? { mode: m.mode } : {}) };
  if (m.phase === 'Failed' || m.phase === 'Cancelled')
    return {
      failed: true,
      startTimestamp: start,
      endTimestamp: end,
      failureReason:
        m.failureReason ?? (m.phase === 'Cancelled' ? 'Migration cancelled' : 'Migration failed'),
      ...(ms.abortRequested ? { abortStatus: m.abortStatus ?? 'Succeeded' } : {}),
    };
  return undefined;
}

/** KubeVirt's handler Events of the source side: Migrating when it starts, Migrated when the guest moved. */
export function sourceEvent(
  step: { action: SourceAction; migration: MigrationStatus },
  targetNode: string,
): { type: 'Normal'; reason: string; message: string } | undefined {
  const { action, migration: m } = step;
  if (action.kind === 'start')
    return { type: 'Normal', reason: 'Migrating', message: 'VirtualMachineInstance is migrating.' };
  if (action.kind === 'report' && action.patch.completed) {
    // QEMU's own figures; a source that itself came in by migration reports 0 for both (QEMU
    // 7.2 does not measure them there), so its total is the launcher's clock and no downtime.
    const measured = (m.totalTimeMs ?? 0) > 0;
    const wall = m.startedAt && m.endedAt ? Date.parse(m.endedAt) - Date.parse(m.startedAt) : NaN;
    const figures = [
      measured
        ? `total ${m.totalTimeMs} ms`
        : Number.isFinite(wall)
          ? `total ${wall} ms (launcher clock)`
          : '',
      measured && m.downtimeMs !== undefined ? `downtime ${m.downtimeMs} ms` : '',
      m.ramTransferredBytes !== undefined
        ? `${Math.round(m.ramTransferredBytes / 1048576)} MiB of memory sent`
        : '',
    ].filter(Boolean);
    return {
      type: 'Normal',
      reason: 'Migrated',
      message: `The VirtualMachineInstance migrated to node ${targetNode}.${figures.length ? ` (${figures.join(', ')})` : ''}`,
    };
  }
  return undefined;
}

/**
 * The source launcher exited after its guest moved (its final status says `Migrated`) before
 * this handler saw the launcher report Completed: the migration completed.
 */
export function completedByExit(ms: MigrationState, now: Date): MigrationState {
  return { completed: true, endTimestamp: ms.endTimestamp ?? stamp(now) };
}

/** The launcher's options from the effective configuration the controller wrote. */
export function launcherOptions(c: VMIMConfigurationOptions | undefined): MigrationOptions {
  const bandwidth = c?.bandwidthPerMigration === undefined ? 0 : parseQuantity(c.bandwidthPerMigration);
  return {
    bandwidthBytesPerSecond: bandwidth !== undefined && bandwidth > 0 ? Math.floor(bandwidth) : 0,
    allowAutoConverge: c?.allowAutoConverge === true,
    allowPostCopy: c?.allowPostCopy === true,
    completionTimeoutPerGiB: positive(c?.completionTimeoutPerGiB, DEFAULT_COMPLETION_TIMEOUT_PER_GIB),
    progressTimeoutSeconds: positive(c?.progressTimeout, DEFAULT_PROGRESS_TIMEOUT_SECONDS),
    maxDowntimeMs: positive(c?.maxDowntimeMs, DEFAULT_MAX_DOWNTIME_MS),
  };
}

function positive(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
}

function stampOf(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : stamp(d);
}
