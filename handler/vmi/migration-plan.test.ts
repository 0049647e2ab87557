import {
  launcherOptions,
  sourceEvent,
  sourceAction,
  targetAction,
  type MigrationState,
  type SourceInputs,
  type TargetInputs,
} from './migration-plan';
import type { MigrationStatus } from '../../launcher/api/protocol';

const now = new Date('2026-12-03T10:00:00.400Z');
const base: MigrationState = {
  migrationUid: 'm1',
  sourceNode: 'n1',
  sourcePod: 'virt-launcher-a-1',
  targetNode: 'n2',
  targetPod: 'virt-launcher-a-2',
};

function target(over: Partial<TargetInputs>): ReturnType<typeof targetAction> {
  return targetAction({
    ms: base,
    domain: { state: 'Paused', reason: 'PausedMigration' },
    migration: { role: 'none', phase: 'None' },
    podIP: '10.244.2.7',
    now,
    ...over,
  } as TargetInputs);
}

function source(ms: MigrationState, migration: Partial<MigrationStatus>): ReturnType<typeof sourceAction> {
  return sourceAction({
    ms,
    migration: { role: 'source', phase: 'None', ...migration } as MigrationStatus,
    guestMemoryBytes: 256 << 20,
    now,
  } as SourceInputs);
}

describe('the target side of a migration', () => {
  it('starts QEMU for the incoming guest first, then listens on the pod address', () => {
    expect(target({ domain: { state: 'NoState', reason: 'Unknown' } })).toEqual({ kind: 'start' });
    expect(target({ ms: { ...base, migrationConfiguration: { allowPostCopy: true } } })).toEqual({
      kind: 'listen',
      address: '10.244.2.7',
      allowPostCopy: true,
    });
  });

  it('waits while the pod has no address yet', () => {
    expect(target({ podIP: '' })).toEqual({ kind: 'wait' });
  });

  it("publishes the node's address and its proxy's ports (KubeVirt's node port -> launcher port map), once", () => {
    const listening = { address: '192.168.1.20', ports: { '40001': 49152, '40002': 49153 } };
    expect(target({ migration: { role: 'target', phase: 'Incoming' }, listening })).toEqual({
      kind: 'report',
      patch: {
        targetNodeAddress: '192.168.1.20',
        targetDirectMigrationNodePorts: { '40001': 49152, '40002': 49153 },
      },
    });
    expect(
      target({
        ms: { ...base, targetNodeAddress: '192.168.1.20' },
        migration: { role: 'target', phase: 'Incoming' },
        listening,
      }),
    ).toEqual({ kind: 'wait' });
  });

  it('resumes the guest once the source says the migration completed, then reports the domain', () => {
    const ms = { ...base, targetNodeAddress: '10.244.2.7', completed: true };
    expect(target({ ms, migration: { role: 'target', phase: 'Completed' } })).toEqual({ kind: 'finish' });
    expect(
      target({
        ms,
        domain: { state: 'Running', reason: 'Unpaused' },
        migration: { role: 'target', phase: 'Completed' },
      }),
    ).toEqual({
      kind: 'report',
      patch: { targetNodeDomainDetected: true, targetNodeDomainReadyTimestamp: '2026-12-03T10:00:00Z' },
    });
  });

  it('does nothing once the migration failed', () => {
    expect(
      target({ ms: { ...base, failed: true }, domain: { state: 'NoState', reason: 'Unknown' } }),
    ).toEqual({
      kind: 'wait',
    });
  });
});

describe('the source side of a migration', () => {
  const ready: MigrationState = {
    ...base,
    targetNodeAddress: '192.168.1.20',
    targetDirectMigrationNodePorts: { '40001': 49152, '40002': 49153 },
    migrationConfiguration: {
      bandwidthPerMigration: '64Mi',
      allowAutoConverge: true,
      completionTimeoutPerGiB: 20,
    },
  };

  it('waits for the target to publish its address', () => {
    expect(source(base, {})).toEqual({ kind: 'wait' });
  });

  it("starts the migration to the published node's ports (the stream's and the NBD server's) with the effective options", () => {
    expect(source(ready, {})).toEqual({
      kind: 'start',
      request: {
        address: '192.168.1.20',
        migrationPort: 40001,
        blockPort: 40002,
        options: {
          bandwidthBytesPerSecond: 64 * 1024 * 1024,
          allowAutoConverge: true,
          allowPostCopy: false,
          completionTimeoutPerGiB: 20,
          progressTimeoutSeconds: 150,
          maxDowntimeMs: 300,
        },
      },
    });
  });

  it('reports the start and the mode while it runs', () => {
    expect(
      source(ready, { phase: 'Migrating', mode: 'PreCopy', startedAt: '2026-12-03T09:59:59.100Z' }),
    ).toEqual({
      kind: 'report',
      patch: { startTimestamp: '2026-12-03T09:59:59Z', mode: 'PreCopy' },
    });
    const started = { ...ready, startTimestamp: '2026-12-03T09:59:59Z', mode: 'PreCopy' as const };
    expect(source(started, { phase: 'Migrating', mode: 'PreCopy' })).toEqual({ kind: 'wait' });
    expect(source(started, { phase: 'PostCopy', mode: 'PostCopy' })).toEqual({
      kind: 'report',
      patch: { mode: 'PostCopy' },
    });
  });

  it('reports completion and failure with the launcher reason', () => {
    const started = { ...ready, startTimestamp: '2026-12-03T09:59:59Z' };
    expect(
      source(started, { phase: 'Completed', mode: 'PreCopy', endedAt: '2026-12-03T10:00:03.900Z' }),
    ).toEqual({
      kind: 'report',
      patch: {
        completed: true,
        startTimestamp: '2026-12-03T09:59:59Z',
        endTimestamp: '2026-12-03T10:00:03Z',
        mode: 'PreCopy',
      },
    });
    const failed = source(started, { phase: 'Failed', failureReason: 'connection reset by the target' });
    expect(failed).toMatchObject({
      kind: 'report',
      patch: { failed: true, failureReason: 'connection reset by the target' },
    });
  });

  it('cancels on an abort request and reports the abort status', () => {
    const started = { ...ready, startTimestamp: '2026-12-03T09:59:59Z', abortRequested: true };
    expect(source(started, { phase: 'Migrating' })).toEqual({ kind: 'cancel' });
    expect(source(started, { phase: 'Cancelled', abortStatus: 'Succeeded' })).toMatchObject({
      kind: 'report',
      patch: { failed: true, abortStatus: 'Succeeded' },
    });
    expect(source({ ...ready, abortRequested: true }, {})).toMatchObject({
      kind: 'report',
      patch: { failed: true, abortStatus: 'Succeeded' },
    });
  });

  it('fails a migration whose launcher forgot it', () => {
    expect(source({ ...ready, startTimestamp: '2026-12-03T09:59:59Z' }, { role: 'none' })).toMatchObject({
      kind: 'report',
      patch: { failed: true },
    });
  });

  it('starts anew over an earlier failed attempt of the same launcher, and never reports its end', () => {
    const earlier = {
      phase: 'Failed',
      failureReason: 'Broken pipe',
      startedAt: '2026-12-03T09:50:00Z',
    } as const;
    expect(source(ready, earlier)).toMatchObject({ kind: 'start' });
    const started = { ...ready, startTimestamp: '2026-12-03T09:59:59Z' };
    expect(source(started, earlier)).toMatchObject({ kind: 'report', patch: { failed: true } });
    expect((source(started, earlier) as { patch: MigrationState }).patch.failureReason).not.toBe(
      'Broken pipe',
    );
    expect(
      source(started, {
        phase: 'Failed',
        failureReason: 'Broken pipe',
        startedAt: '2026-12-03T09:59:59.500Z',
      }),
    ).toMatchObject({ kind: 'report', patch: { failed: true, failureReason: 'Broken pipe' } });
  });

  it('has nothing left to do once the migration ended', () => {
    expect(source({ ...ready, completed: true }, { phase: 'Completed' })).toEqual({ kind: 'wait' });
  });
});

describe('launcherOptions', () => {
  it('takes KubeVirt defaults for what the configuration leaves out', () => {
    expect(launcherOptions(undefined)).toEqual({
      bandwidthBytesPerSecond: 0,
      allowAutoConverge: false,
      allowPostCopy: false,
      completionTimeoutPerGiB: 150,
      progressTimeoutSeconds: 150,
      maxDowntimeMs: 300,
    });
  });
});

describe('the source side Events', () => {
  it('says Migrating when it starts and Migrated with QEMU figures when the guest moved', () => {
    const m = {
      role: 'source',
      phase: 'Completed',
      totalTimeMs: 812,
      downtimeMs: 95,
      ramTransferredBytes: 110 << 20,
    } as const;
    expect(
      sourceEvent({ action: { kind: 'report', patch: { completed: true } }, migration: m }, 'n2'),
    ).toEqual({
      type: 'Normal',
      reason: 'Migrated',
      message:
        'The VirtualMachineInstance migrated to node n2. (total 812 ms, downtime 95 ms, 110 MiB of memory sent)',
    });
    expect(
      sourceEvent(
        { action: { kind: 'start', request: {} as never }, migration: { role: 'none', phase: 'None' } },
        'n2',
      ),
    ).toMatchObject({ reason: 'Migrating' });
    expect(sourceEvent({ action: { kind: 'wait' }, migration: m }, 'n2')).toBeUndefined();
  });
});
