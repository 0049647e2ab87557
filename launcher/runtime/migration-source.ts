/**
 * The source side of a live migration (the commands are ../plan/migration.ts, the timeout
 * rules ../plan/migration-monitor.ts):
 *
 *   start:    capabilities and parameters; for each node-local disk an NBD client node on the
 *             target's export and a mirror into it (phase Mirroring), until every mirror is
 *             ready; then `migrate` (phase Migrating). QEMU's MIGRATION events and a look at
 *             query-migrate every 500 ms drive what follows.
 *   switch:   with mirrors, QEMU stops in `pre-switchover` with the guest paused: each mirror is
 *             completed (the target has every write), then `migrate-continue`.
 *   timeouts: progress and completion timeouts as KubeVirt's monitor has them; completion
 *             switches to post-copy when allowed (phase PostCopy, mode PostCopy).
 *   end:      completed: the statistics are kept, QEMU is ended, the domain is Shutoff /
 *             Migrated. Failed or cancelled: the mirrors are cancelled, their NBD connections
 *             cut, their nodes deleted, and the guest runs on here (QEMU resumes it; the
 *             launcher resumes it if not).
 */
import { MIGRATION_SOCKETS, type MigrationStartRequest, type MigrationStatus } from '../api/protocol';
import {
  endMirror,
  migrationUri,
  mirrorCommands,
  qemuRelative,
  unixMigrationUri,
  mirroredDisks,
  sourceCapabilities,
  sourceParameters,
  yankNode,
  type MirroredDisk,
} from '../plan/migration';
import {
  acceptableCompletionSeconds,
  decide,
  initialMonitorState,
  migrationDataGB,
  observe,
  progressOf,
  type MonitorLimits,
  type MonitorState,
  type QueryMigrateInfo,
} from '../plan/migration-monitor';
import { MigrationConflictError, reconcileMirroredDisks } from '../plan/migration-request';
import type { QmpCommand } from '../plan/hotplug';
import type { QmpClient } from '../qmp/client';
import type { BlockInfo, BlockJobInfo, QmpEvent, QueryStatus } from '../qmp/protocol';
import {
  DEFAULT_MIRROR_END_MS,
  DEFAULT_POLL_MS,
  DEFAULT_SETTLE_MS,
  isFinal,
  Waker,
  type MigrationHost,
  type MigrationTiming,
} from './migration-host';

/** KubeVirt's answer to a cancel when nothing migrates. */
export const NOT_MIGRATING = 'failed to cancel migration - vmi is not migrating';

const IN_PROGRESS: readonly MigrationStatus['phase'][] = ['Mirroring', 'Migrating', 'PostCopy'];

/** QEMU's statuses in which post-copy runs: the guest already runs on the target. */
const POSTCOPY_STATUSES = ['postcopy-active', 'postcopy-paused', 'postcopy-recover'];

/** What started the end of a migration that did not complete. */
interface Abort {
  readonly reason: string;
}

function run(qmp: QmpClient, c: QmpCommand): Promise<unknown> {
  return qmp.execute(c.execute, c.arguments);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class SourceMigration {
  private status: MigrationStatus = { role: 'source', phase: 'None' };
  private request: MigrationStartRequest | undefined;
  private disks: readonly MirroredDisk[] = [];
  /** NBD client nodes added, to delete on the way out. */
  private nodes: string[] = [];
  /** Mirror jobs running (started and not ended). */
  private readonly jobs = new Set<string>();
  /** Set while the mirrors are being completed at the switchover (their ends are expected). */
  private switchingOver = false;
  /** migrate-continue was sent: a later look that still sees pre-switchover must not send it again. */
  private continued = false;
  private cancelRequested = false;
  /** Why the launcher itself cancelled (a timeout, a failed mirror). */
  private abort: Abort | undefined;
  private wasRunning = true;
  private monitor: MonitorState = initialMonitorState(0);
  private limits: MonitorLimits = {
    progressTimeoutSeconds: 0,
    acceptableCompletionSeconds: 0,
    allowPostCopy: false,
  };
  private readonly waker = new Waker();
  private offEvents: (() => void) | undefined;
  /** The monitor loop of the current attempt. */
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: MigrationHost,
    private readonly timing: MigrationTiming = {},
  ) {}

  private now(): number {
    return (this.timing.now ?? Date.now)();
  }

  current(): MigrationStatus {
    return this.status;
  }

  /** Resolves when the current attempt has reached its end (tests, shutdown). */
  settled(): Promise<void> {
    return this.loop;
  }

  /** KubeVirt's failure message, naming the VMI and what went wrong. */
  private failed(detail: string): string {
    return `Live migration failed: ${this.host.label}: ${detail}`;
  }

  /** KubeVirt's message for an abort that was asked for. */
  private aborted(): string {
    return `Live migration aborted: the migration of ${this.host.label} was cancelled on request; the guest runs on in its source pod`;
  }

  private set(patch: Partial<MigrationStatus>): void {
    const before = this.status;
    this.status = { ...before, ...patch };
    if (
      before.phase !== this.status.phase ||
      before.mode !== this.status.mode ||
      before.abortStatus !== this.status.abortStatus
    )
      this.host.changed(this.status);
  }

  /**
   * Starts migrating to the target the request names; answers once mirroring started or
   * `migrate` was issued. A request the launcher refuses throws (400/409) and changes nothing;
   * a failure of QEMU while setting up answers the Failed status.
   */
  async start(req: MigrationStartRequest): Promise<MigrationStatus> {
    const label = this.host.label;
    if (IN_PROGRESS.includes(this.status.phase))
      throw new MigrationConflictError(
        `${label} is migrating already (phase ${this.status.phase}); wait for the end or cancel it first`,
      );
    if (this.status.phase === 'Completed')
      throw new MigrationConflictError(`${label} has migrated away already; its guest runs on the target`);
    const qmp = this.host.qmp('migrate');
    const hotplugged = this.host.hotpluggedDisks();
    if (hotplugged.length)
      throw new MigrationConflictError(
        `cannot migrate ${label}: disks ${hotplugged.join(', ')} were hotplugged and the target would not have them; detach them first`,
      );
    const planned = mirroredDisks(this.host.plan.disks);
    reconcileMirroredDisks(
      planned.map((d) => d.name),
      req,
      label,
    );

    this.request = req;
    this.disks = planned;
    this.nodes = [];
    this.jobs.clear();
    this.cancelRequested = false;
    this.abort = undefined;
    this.switchingOver = false;
    this.continued = false;
    this.offEvents?.();
    this.offEvents = qmp.onEvent((e) => this.onEvent(e));
    this.set({
      role: 'source',
      phase: planned.length ? 'Mirroring' : 'Migrating',
      mode: 'PreCopy',
      startedAt: new Date().toISOString(),
      endedAt: undefined,
      failureReason: undefined,
      abortStatus: undefined,
      totalTimeMs: undefined,
      downtimeMs: undefined,
      setupTimeMs: undefined,
    });
    try {
      this.wasRunning = (await qmp.execute<QueryStatus>('query-status')).running;
      await run(qmp, sourceCapabilities(req.options, planned.length > 0));
      await run(qmp, sourceParameters(req.options));
      const diskBytes = planned.length ? await this.allocatedBytes(qmp) : 0;
      this.limits = {
        progressTimeoutSeconds: req.options.progressTimeoutSeconds,
        acceptableCompletionSeconds: acceptableCompletionSeconds(
          req.options.completionTimeoutPerGiB,
          migrationDataGB(this.host.plan.guestMemoryBytes, diskBytes),
        ),
        allowPostCopy: req.options.allowPostCopy,
      };
      this.monitor = initialMonitorState(this.now());
      for (const disk of planned) {
        const [add, mirror] = mirrorCommands(
          disk,
          req.transport === 'unix'
            ? { socket: qemuRelative(MIGRATION_SOCKETS.outgoingBlock) }
            : { address: req.address ?? '', port: req.blockPort ?? 0 },
        );
        await run(qmp, add!);
        this.nodes.push(disk.nbdNode);
        await run(qmp, mirror!);
        this.jobs.add(disk.jobId);
      }
      if (!planned.length) await this.migrate(qmp);
    } catch (e) {
      await this.end('Failed', this.failed(message(e)));
      return this.status;
    }
    this.loop = this.watch(qmp).catch((e: unknown) => this.end('Failed', this.failed(message(e))));
    return this.status;
  }

  /**
   * Cancels the migration (KubeVirt's abort): answers once it ended here, the guest running on
   * this node. In post-copy the guest already runs on the target: the abort fails.
   */
  async cancel(): Promise<MigrationStatus> {
    if (!IN_PROGRESS.includes(this.status.phase))
      throw new MigrationConflictError(
        `${NOT_MIGRATING}: ${this.host.label} has no migration in progress (phase ${this.status.phase})`,
      );
    if (this.status.phase === 'PostCopy' || this.monitor.postCopyRequested) {
      this.set({ abortStatus: 'Failed' });
      return this.status;
    }
    if (!this.cancelRequested) {
      this.cancelRequested = true;
      this.set({ abortStatus: 'Aborting' });
      if (this.status.phase === 'Migrating')
        await this.host
          .qmp('cancel the migration of')
          .execute('migrate_cancel')
          .catch(() => undefined);
      this.waker.wake();
    }
    const until = Date.now() + (this.timing.settleMs ?? DEFAULT_SETTLE_MS);
    while (!isFinal(this.status.phase) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return this.status;
  }

  private onEvent(e: QmpEvent): void {
    if (e.event.startsWith('BLOCK_JOB_')) {
      const job = typeof e.data?.device === 'string' ? e.data.device : '';
      if (!this.jobs.has(job)) return;
      if ((e.event === 'BLOCK_JOB_COMPLETED' || e.event === 'BLOCK_JOB_CANCELLED') && !this.switchingOver) {
        // A mirror ended on its own: the target lost writes, the migration cannot go on.
        this.jobs.delete(job);
        const disk = this.disks.find((d) => d.jobId === job)?.name ?? job;
        const why = typeof e.data?.error === 'string' ? e.data.error : 'it ended before the switchover';
        this.abort ??= { reason: this.failed(`the copy of disk ${disk} to the target failed: ${why}`) };
      }
      this.waker.wake();
    } else if (e.event === 'MIGRATION') this.waker.wake();
  }

  /** The bytes the mirrored disks hold on this node (KubeVirt counts them into the completion timeout). */
  private async allocatedBytes(qmp: QmpClient): Promise<number> {
    const blocks = await qmp.execute<BlockInfo[]>('query-block');
    let bytes = 0;
    for (const d of this.disks)
      bytes += blocks.find((b) => b.device === d.driveId)?.inserted?.image?.['actual-size'] ?? 0;
    return bytes;
  }

  private async migrate(qmp: QmpClient): Promise<void> {
    const req = this.request!;
    // The guest pauses at the switchover, and resumes here if the migration is cancelled then.
    this.host.setPauseReason('PausedMigration');
    this.host.setResumeReason('MigrationCanceled');
    const uri =
      req.transport === 'unix'
        ? unixMigrationUri(qemuRelative(MIGRATION_SOCKETS.outgoing))
        : migrationUri(req.address ?? '', req.migrationPort ?? 0);
    await qmp.execute('migrate', { uri });
    this.set({ phase: 'Migrating' });
  }

  private async watch(qmp: QmpClient): Promise<void> {
    while (!isFinal(this.status.phase)) {
      if (this.status.phase === 'Mirroring') await this.stepMirroring(qmp);
      else await this.stepMigrating(qmp);
      if (!isFinal(this.status.phase)) await this.waker.sleep(this.timing.pollMs ?? DEFAULT_POLL_MS);
    }
    this.offEvents?.();
    this.offEvents = undefined;
  }

  /** Bytes the mirrors have not copied yet, and whether every one of them is ready. */
  private async mirrorState(qmp: QmpClient): Promise<{ remaining: number; ready: boolean }> {
    if (!this.jobs.size) return { remaining: 0, ready: true };
    const jobs = (await qmp.execute<BlockJobInfo[]>('query-block-jobs')).filter((j) =>
      this.jobs.has(j.device),
    );
    return {
      remaining: jobs.reduce((sum, j) => sum + Math.max(0, j.len - j.offset), 0),
      ready: jobs.length === this.jobs.size && jobs.every((j) => j.ready),
    };
  }

  private async stepMirroring(qmp: QmpClient): Promise<void> {
    const mirrors = await this.mirrorState(qmp);
    // After the look, not before: a cancel or a broken mirror may have come in meanwhile.
    if (this.cancelRequested) return this.end('Cancelled', this.aborted());
    if (this.abort) return this.end('Failed', this.abort.reason);
    if (await this.check(qmp, mirrors.remaining)) return;
    if (mirrors.ready) await this.migrate(qmp);
  }

  private async stepMigrating(qmp: QmpClient): Promise<void> {
    const info = await qmp.execute<QueryMigrateInfo>('query-migrate');
    this.set(progressOf(info));
    switch (info.status) {
      case 'pre-switchover':
        return this.switchover(qmp);
      case 'completed':
        return this.complete(await this.finalStats(qmp, info));
      case 'failed':
        return this.end(
          'Failed',
          this.abort?.reason ?? this.failed(info['error-desc'] ?? 'QEMU gave no reason (see its qemu.log)'),
        );
      case 'cancelled':
        if (this.cancelRequested) return this.end('Cancelled', this.aborted());
        return this.end('Failed', this.abort?.reason ?? this.failed('QEMU cancelled it'));
      case 'cancelling':
        return;
    }
    if (info.status && POSTCOPY_STATUSES.includes(info.status)) {
      this.set({ phase: 'PostCopy', mode: 'PostCopy' });
      return;
    }
    if (this.abort || this.cancelRequested) {
      // Asked while `migrate` was on its way (the cancel found no RAM migration to cancel yet).
      await qmp.execute('migrate_cancel');
      return;
    }
    const mirrors = await this.mirrorState(qmp);
    await this.check(qmp, (info.ram?.remaining ?? 0) + mirrors.remaining);
  }

  /** Applies the timeout rules to a new sample; true when the migration is being ended. */
  private async check(qmp: QmpClient, remainingBytes: number): Promise<boolean> {
    const now = this.now();
    this.monitor = observe(this.monitor, { atMs: now, remainingBytes });
    const decision = decide(this.monitor, now, this.limits, this.status.phase, this.host.label);
    if (decision.kind === 'postcopy') {
      this.monitor = { ...this.monitor, postCopyRequested: true };
      this.host.setPauseReason('PausedPostcopy');
      await qmp.execute('migrate-start-postcopy');
      // KubeVirt reports the mode as soon as it asked for post-copy.
      this.set({ mode: 'PostCopy' });
      return false;
    }
    if (decision.kind !== 'abort') return false;
    this.abort = { reason: decision.reason };
    if (this.status.phase === 'Mirroring') await this.end('Failed', decision.reason);
    else await qmp.execute('migrate_cancel');
    return true;
  }

  /**
   * QEMU paused the guest and waits: complete every mirror (a ready mirror cancelled without
   * force finishes with the target holding every write), then let QEMU send the last state.
   */
  private async switchover(qmp: QmpClient): Promise<void> {
    if (this.continued) return;
    this.switchingOver = true;
    try {
      for (const disk of this.disks) {
        if (!this.jobs.has(disk.jobId)) continue;
        const ended = qmp.waitForEvent(
          'BLOCK_JOB_COMPLETED',
          this.timing.mirrorEndMs ?? DEFAULT_MIRROR_END_MS,
          (e) => e.data?.device === disk.jobId,
        );
        try {
          await run(qmp, endMirror(disk, false));
        } catch (e) {
          ended.catch(() => undefined);
          throw e;
        }
        const done = await ended;
        this.jobs.delete(disk.jobId);
        if (typeof done.data?.error === 'string') throw new Error(`disk ${disk.name}: ${done.data.error}`);
      }
      this.continued = true;
      await qmp.execute('migrate-continue', { state: 'pre-switchover' });
    } catch (e) {
      this.abort ??= {
        reason: this.failed(`the disk copies could not be completed at the switchover: ${message(e)}`),
      };
      await qmp.execute('migrate_cancel').catch(() => undefined);
    } finally {
      this.switchingOver = false;
    }
  }

  /**
   * QEMU reports `completed` a moment before it has worked out the totals (total-time and
   * downtime are 0 in between): ask again, briefly, until they are there.
   */
  private async finalStats(qmp: QmpClient, info: QueryMigrateInfo): Promise<QueryMigrateInfo> {
    for (let i = 0; i < 20 && !info['total-time']; i++) {
      await new Promise((r) => setTimeout(r, 25));
      info = await qmp.execute<QueryMigrateInfo>('query-migrate');
    }
    return info;
  }

  private async complete(info: QueryMigrateInfo): Promise<void> {
    this.set({
      phase: 'Completed',
      endedAt: new Date().toISOString(),
      ...progressOf(info),
      ...(this.cancelRequested ? { abortStatus: 'Failed' as const } : {}),
    });
    // The NBD nodes go with QEMU, which ends now.
    this.nodes = [];
    this.offEvents?.();
    this.offEvents = undefined;
    await this.host.migratedAway();
  }

  /**
   * The migration did not complete: mirrors cancelled (force), their nodes deleted, the guest
   * running again here, then the final phase.
   */
  private async end(phase: 'Failed' | 'Cancelled', reason: string): Promise<void> {
    if (isFinal(this.status.phase)) return;
    let qmp: QmpClient | undefined;
    try {
      qmp = this.host.qmp('end the migration of');
    } catch {
      qmp = undefined; // QEMU is gone: nothing to clean up in it
    }
    if (qmp) {
      for (const disk of this.disks)
        if (this.jobs.has(disk.jobId)) await run(qmp, endMirror(disk, true)).catch(() => undefined);
      // Cut the NBD connections first: a target that stopped answering would otherwise hold a
      // cancelled mirror's last writes, and the flush of blockdev-del, forever, and with them
      // QEMU's main loop and the guest.
      for (const node of this.nodes) await run(qmp, yankNode(node)).catch(() => undefined);
      await this.waitJobsGone(qmp);
      for (const node of this.nodes)
        await qmp.execute('blockdev-del', { 'node-name': node }).catch(() => undefined);
      this.nodes = [];
      try {
        const st = await qmp.execute<QueryStatus>('query-status');
        // QEMU resumes a guest it paused for the migration; if it did not, the launcher does.
        if (!st.running && this.wasRunning && ['postmigrate', 'finish-migrate', 'paused'].includes(st.status))
          await qmp.execute('cont');
        // A RESUME for this end came before these answers: the next one is someone else's.
        this.host.setResumeReason(undefined);
      } catch {
        // QEMU went away meanwhile; the exit is reported by the Domain
      }
    }
    this.host.setPauseReason('PausedUser');
    this.offEvents?.();
    this.offEvents = undefined;
    this.set({
      phase,
      failureReason: reason,
      endedAt: new Date().toISOString(),
      ...(this.cancelRequested ? { abortStatus: 'Succeeded' as const } : {}),
    });
  }

  private async waitJobsGone(qmp: QmpClient): Promise<void> {
    const until = Date.now() + (this.timing.mirrorEndMs ?? DEFAULT_MIRROR_END_MS);
    while (this.jobs.size && Date.now() < until) {
      const jobs = await qmp.execute<BlockJobInfo[]>('query-block-jobs').catch(() => []);
      for (const j of [...this.jobs]) if (!jobs.some((x) => x.device === j)) this.jobs.delete(j);
      if (this.jobs.size) await new Promise((r) => setTimeout(r, 50));
    }
  }
}
