import type { MigrationStartRequest, MigrationStatus } from '../api/protocol';
import { MigrationConflictError, MigrationRequestError } from '../plan/migration-request';
import type { LaunchPlan, PlannedDisk } from '../plan/types';
import { QmpClient } from '../qmp/client';
import {
  startFakeQmp,
  type FakeQmpPeer,
  type FakeQmpServer,
  type ReceivedCommand,
} from '../qmp/fake-server.test-helper';
import type { DomainReason } from './domain-types';
import type { MigrationHost } from './migration-host';
import { NOT_MIGRATING, SourceMigration } from './migration-source';

const MiB = 2 ** 20;

const disk = (name: string, volumeSource: string, readOnly = false): PlannedDisk => ({
  name,
  path: `/run/vm/disks/${name}.qcow2`,
  format: 'qcow2',
  bus: 'virtio',
  device: 'disk',
  readOnly,
  driveId: `drive-${name}`,
  volumeSource,
});

/** A scripted source QEMU: what query-migrate says next is the test's to decide. */
class SourceQemu {
  migration = 'none';
  running = true;
  runState = 'running';
  remaining = 100 * MiB;
  jobs = new Map<string, { ready: boolean }>();
  /** Commands that fail, by name, with QEMU's description. */
  failing = new Map<string, string>();
  /** What query-migrate adds (error-desc, statistics). */
  extra: Record<string, unknown> = {};
  /** Jobs hold on to a forced cancel until their NBD node is yanked (a target that stopped answering). */
  hungUntilYank = false;
  onMigrate: (() => void) | undefined;
  /** Answers of query-migrate that say `completed` before QEMU has worked out the totals. */
  unsettledCompletions = 0;

  respond = (cmd: ReceivedCommand, peer: FakeQmpPeer): void => {
    const fail = this.failing.get(cmd.execute);
    if (fail) return peer.fail(cmd, 'GenericError', fail);
    const args = cmd.arguments ?? {};
    switch (cmd.execute) {
      case 'query-status':
        return peer.reply(cmd, { running: this.running, status: this.runState });
      case 'query-block':
        return peer.reply(
          cmd,
          ['root', 'scratch', 'data'].map((n) => ({
            device: `drive-${n}`,
            inserted: { 'node-name': `#block-${n}`, image: { 'virtual-size': 1e10, 'actual-size': 300e6 } },
          })),
        );
      case 'blockdev-mirror':
        this.jobs.set(String(args['job-id']), { ready: false });
        peer.reply(cmd);
        setTimeout(() => {
          const job = this.jobs.get(String(args['job-id']));
          if (job) job.ready = true;
          peer.event('BLOCK_JOB_READY', { device: args['job-id'] });
        }, 20);
        return;
      case 'query-block-jobs':
        return peer.reply(
          cmd,
          [...this.jobs].map(([device, j]) => ({
            device,
            type: 'mirror',
            len: 4 * MiB,
            offset: j.ready ? 4 * MiB : MiB,
            ready: j.ready,
          })),
        );
      case 'migrate':
        this.migration = 'active';
        this.onMigrate?.();
        return peer.reply(cmd);
      case 'query-migrate':
        if (this.migration === 'completed' && this.unsettledCompletions > 0) {
          this.unsettledCompletions--;
          return peer.reply(cmd, { status: 'completed', 'total-time': 0, downtime: 0 });
        }
        return peer.reply(cmd, {
          status: this.migration,
          'total-time': 1200,
          ram: {
            total: 1024 * MiB,
            remaining: this.remaining,
            transferred: 900 * MiB,
            'dirty-sync-count': 2,
          },
          ...this.extra,
        });
      case 'block-job-cancel': {
        const id = String(args.device);
        peer.reply(cmd);
        if (args.force && this.hungUntilYank) return;
        this.jobs.delete(id);
        peer.event(args.force ? 'BLOCK_JOB_CANCELLED' : 'BLOCK_JOB_COMPLETED', {
          device: id,
          len: 1,
          offset: 1,
        });
        return;
      }
      case 'yank':
        if (this.hungUntilYank) this.jobs.clear();
        return peer.reply(cmd);
      case 'migrate-continue':
        // QEMU's migration thread moves on a little after the command returned.
        setTimeout(() => {
          this.migration = 'completed';
          this.extra = { downtime: 42, 'setup-time': 3, ...this.extra };
        }, 30);
        return peer.reply(cmd);
      case 'migrate_cancel':
        this.migration = 'cancelled';
        return peer.reply(cmd);
      case 'migrate-start-postcopy':
        this.migration = 'postcopy-active';
        this.running = false;
        this.runState = 'finish-migrate';
        return peer.reply(cmd);
      case 'cont':
        this.running = true;
        this.runState = 'running';
        return peer.reply(cmd);
      default:
        return peer.reply(cmd);
    }
  };
}

let server: FakeQmpServer;
let qmp: QmpClient;
let qemu: SourceQemu;
let phases: string[];
let reasons: { pause: DomainReason[]; resume: (DomainReason | undefined)[] };
let migratedAway: jest.Mock;
let hotplugged: string[];
let clock: number;

function host(disks: PlannedDisk[]): MigrationHost {
  return {
    label: 'VirtualMachineInstance prod/web',
    plan: { disks, guestMemoryBytes: 1024 * MiB } as unknown as LaunchPlan,
    qmp: () => qmp,
    hotpluggedDisks: () => hotplugged,
    changed: (m: MigrationStatus) => phases.push(`${m.phase}${m.mode === 'PostCopy' ? '/PostCopy' : ''}`),
    setPauseReason: (r) => reasons.pause.push(r),
    setResumeReason: (r) => reasons.resume.push(r),
    runningBecause: () => undefined,
    migratedAway,
  };
}

const request: MigrationStartRequest = {
  address: '10.244.1.7',
  migrationPort: 49152,
  blockPort: 49153,
  mirroredDisks: ['root', 'scratch'],
  options: {
    bandwidthBytesPerSecond: 0,
    allowAutoConverge: false,
    allowPostCopy: false,
    completionTimeoutPerGiB: 150,
    progressTimeoutSeconds: 150,
    maxDowntimeMs: 300,
  },
};

const DISKS = [
  disk('root', 'containerDisk'),
  disk('scratch', 'emptyDisk'),
  disk('data', 'persistentVolumeClaim'),
];

function source(disks = DISKS): SourceMigration {
  return new SourceMigration(host(disks), { pollMs: 5, mirrorEndMs: 2000, settleMs: 3000, now: () => clock });
}

/** The commands QEMU received, without the periodic queries. */
async function commands(): Promise<ReceivedCommand[]> {
  return (await server.peer).received.filter(
    (c) => !['qmp_capabilities', 'query-migrate', 'query-block-jobs'].includes(c.execute),
  );
}

beforeEach(async () => {
  qemu = new SourceQemu();
  phases = [];
  reasons = { pause: [], resume: [] };
  hotplugged = [];
  clock = 0;
  migratedAway = jest.fn(() => Promise.resolve());
  server = await startFakeQmp((cmd, peer) => qemu.respond(cmd, peer));
  qmp = await QmpClient.connect(server.socketPath);
});

afterEach(async () => {
  qmp.close();
  await server.close();
});

describe('SourceMigration (against a scripted QEMU)', () => {
  it('mirrors the node-local disks, migrates once they are ready, completes them at the switchover, ends QEMU', async () => {
    // QEMU pauses the guest and waits at pre-switchover once the RAM is nearly sent.
    qemu.onMigrate = () => setTimeout(() => (qemu.migration = 'pre-switchover'), 30);
    qemu.unsettledCompletions = 2;
    const m = source();
    const answered = await m.start(request);
    expect(answered).toMatchObject({ role: 'source', phase: 'Mirroring', mode: 'PreCopy' });
    await m.settled();
    expect(m.current()).toMatchObject({
      phase: 'Completed',
      mode: 'PreCopy',
      totalTimeMs: 1200,
      downtimeMs: 42,
      setupTimeMs: 3,
      ramTotalBytes: 1024 * MiB,
    });
    expect(m.current().endedAt).toEqual(expect.any(String));
    expect(phases).toEqual(['Mirroring', 'Migrating', 'Completed']);
    expect(migratedAway).toHaveBeenCalledTimes(1);
    // The guest pauses for the switchover as KubeVirt reports it.
    expect(reasons.pause).toEqual(['PausedMigration']);
    const sent = await commands();
    expect(sent.map((c) => c.execute)).toEqual([
      'query-status',
      'migrate-set-capabilities',
      'migrate-set-parameters',
      'query-block',
      'blockdev-add',
      'blockdev-mirror',
      'blockdev-add',
      'blockdev-mirror',
      'migrate',
      'block-job-cancel',
      'block-job-cancel',
      'migrate-continue',
    ]);
    expect(sent[1]!.arguments!.capabilities).toContainEqual({
      capability: 'pause-before-switchover',
      state: true,
    });
    expect(sent[4]!.arguments).toMatchObject({
      driver: 'nbd',
      server: { type: 'inet', host: '10.244.1.7', port: '49153' },
      export: 'migration-root',
    });
    expect(sent[8]!.arguments).toEqual({ uri: 'tcp:10.244.1.7:49152' });
    // Completing, not cancelling: the target has every write.
    expect(sent[9]!.arguments).toEqual({ device: 'mig-root' });
    // Sent once, though the next looks still saw pre-switchover.
    expect(sent[11]!.arguments).toEqual({ state: 'pre-switchover' });
  });

  it("unix transport: the stream and the mirrors go to the handler's sockets in QEMU's directory", async () => {
    qemu.onMigrate = () => setTimeout(() => (qemu.migration = 'pre-switchover'), 30);
    const m = source();
    const { address: _a, migrationPort: _m, blockPort: _b, ...rest } = request;
    await m.start({ ...rest, transport: 'unix' });
    await m.settled();
    expect(m.current().phase).toBe('Completed');
    const sent = await commands();
    expect(sent.find((c) => c.execute === 'blockdev-add')!.arguments).toMatchObject({
      driver: 'nbd',
      server: { type: 'unix', path: './nbd-out.sock' },
    });
    expect(sent.find((c) => c.execute === 'migrate')!.arguments).toEqual({ uri: 'unix:./mig-out.sock' });
  });

  it('migrates at once when nothing is node-local, without pausing before the switchover', async () => {
    qemu.onMigrate = () => setTimeout(() => (qemu.migration = 'completed'), 20);
    const m = source([disk('data', 'persistentVolumeClaim')]);
    expect(await m.start({ ...request, blockPort: undefined, mirroredDisks: [] })).toMatchObject({
      phase: 'Migrating',
    });
    await m.settled();
    expect(m.current().phase).toBe('Completed');
    const sent = await commands();
    expect(sent.map((c) => c.execute)).toEqual([
      'query-status',
      'migrate-set-capabilities',
      'migrate-set-parameters',
      'migrate',
    ]);
    expect(sent[1]!.arguments!.capabilities).toContainEqual({
      capability: 'pause-before-switchover',
      state: false,
    });
  });

  it('cancels on request: migrate_cancel, mirrors cancelled by force, connections cut, nodes deleted, guest resumed', async () => {
    const m = source();
    await m.start({ ...request, options: { ...request.options, bandwidthBytesPerSecond: 1024 } });
    await waitUntil(() => m.current().phase === 'Migrating');
    // QEMU left the guest paused (as at the switchover): the launcher resumes it.
    qemu.running = false;
    qemu.runState = 'postmigrate';
    const cancelled = await m.cancel();
    expect(cancelled).toMatchObject({ phase: 'Cancelled', abortStatus: 'Succeeded' });
    expect(cancelled.failureReason).toMatch(
      /^Live migration aborted: the migration of VirtualMachineInstance prod\/web was cancelled on request/,
    );
    expect(phases).toEqual(['Mirroring', 'Migrating', 'Migrating', 'Cancelled']); // Aborting in between
    const tail = (await commands()).map((c) => c.execute).slice(-9);
    expect(tail).toEqual([
      'migrate_cancel',
      'block-job-cancel',
      'block-job-cancel',
      'yank',
      'yank',
      'blockdev-del',
      'blockdev-del',
      'query-status',
      'cont',
    ]);
    expect(reasons.resume).toContain('MigrationCanceled');
    expect(migratedAway).not.toHaveBeenCalled();
    await expect(m.cancel()).rejects.toThrow(new RegExp(`^${NOT_MIGRATING}`));
  });

  it('does not wait forever for a target that stopped answering: the NBD connections are yanked', async () => {
    qemu.hungUntilYank = true;
    const m = source();
    await m.start(request);
    // The cancel comes while `migrate` is on its way: the RAM migration is cancelled once it runs.
    await new Promise<void>((r) => (qemu.onMigrate = r));
    expect(await m.cancel()).toMatchObject({ phase: 'Cancelled', abortStatus: 'Succeeded' });
    expect(qemu.jobs.size).toBe(0);
    expect((await commands()).map((c) => c.execute)).toContain('migrate_cancel');
  });

  it('gives up after progressTimeout when the remaining data stops shrinking, naming the timeout', async () => {
    const m = source();
    await m.start({ ...request, options: { ...request.options, progressTimeoutSeconds: 3 } });
    await new Promise<void>((r) => (qemu.onMigrate = r));
    // Every look at the migration is a second later; nothing more gets through.
    const tick = setInterval(() => (clock += 1000), 5);
    try {
      await m.settled();
    } finally {
      clearInterval(tick);
    }
    expect(m.current().phase).toBe('Failed');
    expect(m.current().abortStatus).toBeUndefined();
    expect(m.current().failureReason).toMatch(
      /^Live migration stuck for \d+ seconds and has been aborted: the data left to send for VirtualMachineInstance prod\/web \(100\.0 MiB\) did not shrink within progressTimeout 3 s/,
    );
    expect((await commands()).map((c) => c.execute)).toContain('migrate_cancel');
  });

  it('switches to post-copy at the completion timeout when allowed; an abort then fails', async () => {
    const m = source();
    await m.start({
      ...request,
      options: {
        ...request.options,
        allowPostCopy: true,
        completionTimeoutPerGiB: 1,
        progressTimeoutSeconds: 0,
      },
    });
    await new Promise<void>((r) => (qemu.onMigrate = r));
    // 1 s per GB of 1 GiB memory plus 0.6 GB of disks: 2 s.
    clock = 3000;
    await waitUntil(() => m.current().phase === 'PostCopy');
    expect(m.current().mode).toBe('PostCopy');
    expect((await commands()).map((c) => c.execute)).toContain('migrate-start-postcopy');
    expect(reasons.pause).toContain('PausedPostcopy');
    expect(await m.cancel()).toMatchObject({ phase: 'PostCopy', abortStatus: 'Failed' });
    qemu.migration = 'completed';
    await m.settled();
    expect(m.current()).toMatchObject({ phase: 'Completed', mode: 'PostCopy' });
    expect(phases).toEqual([
      'Mirroring',
      'Migrating',
      'Migrating/PostCopy',
      'PostCopy/PostCopy',
      'PostCopy/PostCopy',
      'Completed/PostCopy',
    ]);
  });

  it("cancels at the completion timeout without post-copy, with KubeVirt's message", async () => {
    const m = source();
    await m.start({ ...request, options: { ...request.options, completionTimeoutPerGiB: 1 } });
    await new Promise<void>((r) => (qemu.onMigrate = r));
    clock = 3000;
    await m.settled();
    expect(m.current().failureReason).toMatch(
      /^Live migration is not completed after 2 seconds and has been aborted/,
    );
  });

  it("fails with QEMU's own reason, and when a disk copy breaks", async () => {
    const m = source();
    await m.start(request);
    await new Promise<void>((r) => (qemu.onMigrate = r));
    qemu.extra = { 'error-desc': 'Unable to write to socket: Connection reset by peer' };
    qemu.migration = 'failed';
    await m.settled();
    expect(m.current().failureReason).toBe(
      'Live migration failed: VirtualMachineInstance prod/web: Unable to write to socket: Connection reset by peer',
    );

    const again = source();
    qemu.migration = 'none';
    qemu.extra = {};
    qemu.onMigrate = undefined;
    const peer = await server.peer;
    const before = peer.received.length;
    // A mirror ends on its own with an error before it is ready.
    const original = qemu.respond;
    qemu.respond = (cmd, p) => {
      if (cmd.execute !== 'blockdev-mirror') return original(cmd, p);
      p.reply(cmd);
      setTimeout(
        () =>
          p.event('BLOCK_JOB_COMPLETED', { device: cmd.arguments!['job-id'], error: 'Input/output error' }),
        10,
      );
    };
    await again.start(request);
    await again.settled();
    expect(again.current().failureReason).toBe(
      'Live migration failed: VirtualMachineInstance prod/web: the copy of disk root to the target failed: Input/output error',
    );
    expect(peer.received.slice(before).map((c) => c.execute)).not.toContain('migrate');
  });

  it('answers Failed when QEMU refuses the setup (target unreachable), leaving nothing behind', async () => {
    qemu.failing.set('blockdev-add', "Failed to connect to '10.244.1.7:49153': Connection refused");
    const m = source();
    const answered = await m.start(request);
    expect(answered).toMatchObject({ phase: 'Failed' });
    expect(answered.failureReason).toMatch(/Connection refused/);
    expect((await commands()).map((c) => c.execute)).not.toContain('migrate');
  });

  it('refuses what it must not do, before any command', async () => {
    hotplugged = ['hot'];
    await expect(source().start(request)).rejects.toThrow(MigrationConflictError);
    await expect(source().start(request)).rejects.toThrow(/disks hot were hotplugged/);
    hotplugged = [];
    await expect(source().start({ ...request, mirroredDisks: ['root'] })).rejects.toThrow(
      MigrationRequestError,
    );
    await expect(source().start({ ...request, blockPort: undefined })).rejects.toThrow(
      /blockPort: is required/,
    );
    await expect(source().cancel()).rejects.toThrow(new RegExp(`^${NOT_MIGRATING}`));
    expect(await commands()).toEqual([]);

    const m = source();
    await m.start(request);
    await expect(m.start(request)).rejects.toThrow(/is migrating already \(phase Mirroring\)/);
    await m.cancel();
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
}
