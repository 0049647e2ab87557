/**
 * What the two sides of a live migration (./migration-source.ts, ./migration-target.ts) need from
 * the Domain they belong to, so each side is a small class the Domain drives and the unit tests
 * can drive against a scripted QMP peer.
 */
import type { MigrationStatus } from '../api/protocol';
import type { LaunchPlan } from '../plan/types';
import type { QmpClient } from '../qmp/client';
import type { DomainReason } from './domain-types';

export interface MigrationHost {
  /** `VirtualMachineInstance ns/name`, for messages. */
  readonly label: string;
  readonly plan: LaunchPlan;
  /** The QMP connection of the running QEMU; throws DomainNotRunningError when there is none. */
  qmp(action: string): QmpClient;
  /** Names of the disks hotplugged since boot (the target would not have them). */
  hotpluggedDisks(): readonly string[];
  /** The migration's status changed (the Domain tells its event stream). */
  changed(status: MigrationStatus): void;
  /** What the next STOP / RESUME of the guest mean, in KubeVirt's reasons. */
  setPauseReason(reason: DomainReason): void;
  setResumeReason(reason: DomainReason | undefined): void;
  /** The guest runs already and its reason changes (post-copy over: Running / Migrated). */
  runningBecause(reason: DomainReason): void;
  /** The guest moved to the target: QEMU is ended and the domain is Shutoff / Migrated. */
  migratedAway(): Promise<void>;
}

/** Timing knobs (tests make them short). */
export interface MigrationTiming {
  /** Between looks at query-migrate and query-block-jobs; 500 ms. */
  readonly pollMs?: number;
  /** How long a mirror may take to complete or cancel; 60 s. */
  readonly mirrorEndMs?: number;
  /** How long cancel and finish wait for the migration to reach its end; 60 s. */
  readonly settleMs?: number;
  /** The clock the progress and completion timeouts are measured with, in milliseconds; Date.now. */
  readonly now?: () => number;
}

export const DEFAULT_POLL_MS = 500;
export const DEFAULT_MIRROR_END_MS = 60_000;
export const DEFAULT_SETTLE_MS = 60_000;

/** Phases after which nothing more happens on a side. */
export function isFinal(phase: MigrationStatus['phase']): boolean {
  return phase === 'Completed' || phase === 'Failed' || phase === 'Cancelled';
}

/** A wake-up signal: `sleep` resolves after `ms` or at the next `wake()`, whichever comes first. */
export class Waker {
  private readonly sleepers = new Set<() => void>();

  wake(): void {
    for (const done of [...this.sleepers]) done();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
