/**
 * The target side of a live migration. The launcher started QEMU with `-incoming defer -S`
 * (LaunchResources.migrationTarget): QEMU waits for a migration, and the guest does not run
 * here until the handler says the source is done.
 *
 *   incoming: capabilities matching the source's; for the disks that live on node-local files
 *             an NBD server on the pod address (BLOCK_MIGRATION_PORT) exporting this side's
 *             fresh copies writable, for the source's mirrors; then `migrate-incoming` on
 *             MIGRATION_PORT (phase Incoming). With the `unix` transport both listen on unix
 *             sockets of QEMU's directory instead (MIGRATION_SOCKETS), which the handler
 *             reaches from the node's address.
 *   events:   QEMU's MIGRATION `completed` (phase Completed; the guest stays paused because of
 *             -S) or `postcopy-active` (phase PostCopy: the guest must run here now, since the
 *             source stopped it and pages come on demand, so the launcher resumes it at once).
 *   finish:   the NBD server stops, the guest is resumed (Running / Migrated).
 *
 * If the incoming migration fails QEMU exits by itself; the launcher then exits non-zero as
 * after a crash, and the target pod fails.
 */
import * as net from 'net';
import { MIGRATION_SOCKETS, type MigrationIncomingReady, type MigrationStatus } from '../api/protocol';
import {
  exportCommand,
  migrationUri,
  mirroredDisks,
  nbdServerStart,
  nbdServerStartUnix,
  qemuRelative,
  targetCapabilities,
  unixMigrationUri,
} from '../plan/migration';
import type { QueryMigrateInfo } from '../plan/migration-monitor';
import { MigrationConflictError, type CheckedIncomingRequest } from '../plan/migration-request';
import type { QmpClient } from '../qmp/client';
import { QmpCommandError } from '../qmp/errors';
import type { BlockInfo, QmpEvent, QueryStatus } from '../qmp/protocol';
import { DEFAULT_SETTLE_MS, Waker, type MigrationHost, type MigrationTiming } from './migration-host';

/** A free TCP port on `address` (closed again before QEMU takes it). */
export function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: address, port: 0, exclusive: true }, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export class TargetMigration {
  private status: MigrationStatus = { role: 'target', phase: 'None' };
  private done = false;
  /** Post-copy began: the guest was resumed here before the migration completed. */
  private postCopyResumed = false;
  private ready: MigrationIncomingReady | undefined;
  private request: CheckedIncomingRequest | undefined;
  private nbdServer = false;
  private readonly waker = new Waker();

  constructor(
    private readonly host: MigrationHost,
    private readonly timing: MigrationTiming = {},
  ) {}

  current(): MigrationStatus {
    return this.status;
  }

  private set(patch: Partial<MigrationStatus>): void {
    const before = this.status;
    this.status = { ...before, ...patch };
    if (before.phase !== this.status.phase || before.mode !== this.status.mode)
      this.host.changed(this.status);
    this.waker.wake();
  }

  /** Listens to the QEMU that was just started (the Domain calls this once QMP is up). */
  attach(qmp: QmpClient): void {
    qmp.onEvent((e) => this.onEvent(e));
  }

  private onEvent(e: QmpEvent): void {
    if (e.event !== 'MIGRATION' || this.status.phase === 'None') return;
    const status = e.data?.status;
    if (status === 'completed') this.set({ phase: 'Completed', endedAt: new Date().toISOString() });
    else if (status === 'postcopy-active' && this.status.phase === 'Incoming') {
      this.set({ phase: 'PostCopy', mode: 'PostCopy' });
      this.postCopyResumed = true;
      // The source stopped the guest: it must run here from now on, fetching its pages.
      this.host.setResumeReason('Postcopy');
      void this.host
        .qmp('resume the post-copy guest of')
        .execute('cont')
        .catch(() => undefined);
    } else if (status === 'failed')
      this.set({
        phase: 'Failed',
        endedAt: new Date().toISOString(),
        failureReason: `Live migration failed: the incoming migration of ${this.host.label} failed; QEMU exits and the target pod fails (the source has the reason)`,
      });
  }

  /** Starts listening; asking again with the same request answers the same ports. */
  async incoming(req: CheckedIncomingRequest): Promise<MigrationIncomingReady> {
    const label = this.host.label;
    if (this.status.phase !== 'None') {
      const same =
        this.ready &&
        this.request &&
        this.request.transport === req.transport &&
        this.request.address === req.address &&
        this.request.allowPostCopy === req.allowPostCopy &&
        (req.migrationPort === 0 || req.migrationPort === this.ready.migrationPort);
      if (same && this.status.phase === 'Incoming') return this.ready!;
      throw new MigrationConflictError(
        `${label} is already a migration target (phase ${this.status.phase}, listening on ${this.ready?.address ?? '?'}:${this.ready?.migrationPort ?? '?'}); a launcher receives one migration`,
      );
    }
    const qmp = this.host.qmp('receive a migration for');
    const st = await qmp.execute<QueryStatus>('query-status');
    if (st.status !== 'inmigrate')
      throw new MigrationConflictError(
        `${label} cannot receive a migration: QEMU is ${st.status}, not waiting for one`,
      );
    try {
      await qmp.execute('migrate-set-capabilities', targetCapabilities(req.allowPostCopy).arguments);
    } catch (e) {
      if (!req.allowPostCopy || !(e instanceof QmpCommandError)) throw e;
      // QEMU checks on the target that it can serve post-copy's page faults (userfaultfd).
      throw new MigrationConflictError(
        `${label} cannot receive a post-copy migration on this node: ${e.description}. QEMU runs unprivileged and needs userfaultfd (sysctl vm.unprivileged_userfaultfd=1); enable it or turn allowPostCopy off`,
      );
    }
    const disks = mirroredDisks(this.host.plan.disks);
    let blockPort: number | undefined;
    // `unix`: QEMU listens on sockets of its own directory (its working directory: QEMU's user
    // reaches nothing above it, so the paths are relative), which the handler reaches from the
    // node; `tcp`: on the pod's address.
    const unix = req.transport === 'unix';
    if (disks.length) {
      if (!unix) blockPort = req.blockPort || (await freePort(req.address));
      const start = unix
        ? nbdServerStartUnix(qemuRelative(MIGRATION_SOCKETS.incomingBlock))
        : nbdServerStart(req.address, blockPort ?? 0);
      await qmp.execute(start.execute, start.arguments);
      this.nbdServer = true;
      try {
        const blocks = await qmp.execute<BlockInfo[]>('query-block');
        for (const disk of disks) {
          const node = blocks.find((b) => b.device === disk.driveId)?.inserted?.['node-name'];
          if (!node) throw new Error(`QEMU has no drive ${disk.driveId} for disk ${disk.name}`);
          const c = exportCommand(disk, node);
          await qmp.execute(c.execute, c.arguments);
        }
      } catch (e) {
        await this.stopNbd(qmp);
        throw e;
      }
    }
    try {
      await qmp.execute('migrate-incoming', {
        uri: unix
          ? unixMigrationUri(qemuRelative(MIGRATION_SOCKETS.incoming))
          : migrationUri(req.address, req.migrationPort),
      });
    } catch (e) {
      await this.stopNbd(qmp);
      throw e;
    }
    let migrationPort = req.migrationPort;
    if (!migrationPort && !unix) {
      const info = await qmp.execute<QueryMigrateInfo>('query-migrate');
      migrationPort = Number(info['socket-address']?.find((a) => a.type === 'inet')?.port ?? 0);
    }
    this.request = req;
    this.ready = unix
      ? { transport: 'unix', address: '', migrationPort: 0, mirroredDisks: disks.map((d) => d.name) }
      : {
          transport: 'tcp',
          address: req.address,
          migrationPort,
          ...(blockPort !== undefined ? { blockPort } : {}),
          mirroredDisks: disks.map((d) => d.name),
        };
    this.set({ phase: 'Incoming', startedAt: new Date().toISOString() });
    return this.ready;
  }

  /**
   * After the source reported Completed: waits (up to a minute) for QEMU here to have loaded
   * the last state, stops the NBD server and resumes the guest.
   */
  async finish(): Promise<void> {
    const until = Date.now() + (this.timing.settleMs ?? DEFAULT_SETTLE_MS);
    while (this.status.phase === 'Incoming' && Date.now() < until)
      await this.waker.sleep(Math.min(1000, Math.max(1, until - Date.now())));
    const phase = this.status.phase;
    if (phase !== 'Completed' && phase !== 'PostCopy')
      throw new MigrationConflictError(
        phase === 'None'
          ? `${this.host.label} has no incoming migration; POST ${'/v1/migration/incoming'} first`
          : `the incoming migration of ${this.host.label} has not completed (phase ${phase}); finish it after the source reported Completed`,
      );
    const qmp = this.host.qmp('finish the migration of');
    await this.stopNbd(qmp);
    const st = await qmp.execute<QueryStatus>('query-status');
    if (!st.running) {
      this.host.setResumeReason('Migrated');
      await qmp.execute('cont');
    } else this.host.runningBecause('Migrated'); // it ran here since post-copy began
    this.done = true;
  }

  /** The guest came in and runs here: this launcher is an ordinary one now (it may migrate out). */
  get finished(): boolean {
    return this.done;
  }

  /** The guest runs on this side: the migration was finished, or post-copy runs it here already. */
  get guestRunsHere(): boolean {
    return this.done || this.postCopyResumed;
  }

  private async stopNbd(qmp: QmpClient): Promise<void> {
    if (!this.nbdServer) return;
    this.nbdServer = false;
    await qmp.execute('nbd-server-stop').catch(() => undefined);
  }
}
