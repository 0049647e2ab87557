import {
  acceptableCompletionSeconds,
  decide,
  initialMonitorState,
  migrationDataGB,
  observe,
  progressOf,
  type MonitorLimits,
  type MonitorState,
} from './migration-monitor';

const VMI = 'VirtualMachineInstance prod/web';
const MiB = 2 ** 20;

/** Feeds samples (seconds since start, bytes remaining) and answers the last decision. */
function run(
  samples: readonly [number, number][],
  limits: MonitorLimits,
  phase: 'Mirroring' | 'Migrating' | 'PostCopy' = 'Migrating',
): { state: MonitorState; decision: ReturnType<typeof decide> } {
  let state = initialMonitorState(0);
  let decision: ReturnType<typeof decide> = { kind: 'continue' };
  for (const [s, remaining] of samples) {
    state = observe(state, { atMs: s * 1000, remainingBytes: remaining });
    decision = decide(state, s * 1000, limits, phase, VMI);
    if (decision.kind !== 'continue') break;
  }
  return { state, decision };
}

const limits: MonitorLimits = {
  progressTimeoutSeconds: 10,
  acceptableCompletionSeconds: 150,
  allowPostCopy: false,
};

describe('migration monitor (KubeVirt semantics)', () => {
  it('sizes the completion timeout by GB of memory and mirrored disk data, rounded up', () => {
    expect(migrationDataGB(192 * MiB, 0)).toBe(1);
    expect(migrationDataGB(2 * 2 ** 30, 0)).toBe(3); // 2 GiB is 2.15 GB
    expect(migrationDataGB(1e9, 1)).toBe(2);
    expect(acceptableCompletionSeconds(150, migrationDataGB(4e9, 0))).toBe(600);
    expect(acceptableCompletionSeconds(0, 4)).toBe(0);
  });

  it('goes on while the remaining data shrinks, however slowly', () => {
    const samples: [number, number][] = Array.from({ length: 100 }, (_, i) => [i, 1000 - i]);
    expect(run(samples, limits).decision).toEqual({ kind: 'continue' });
  });

  it('aborts a migration whose remaining data did not shrink for progressTimeout, naming the timeout and the VMI', () => {
    const samples: [number, number][] = [
      [0, 500 * MiB],
      [1, 400 * MiB],
      [2, 400 * MiB],
      [5, 410 * MiB],
      [11, 410 * MiB],
      [12, 410 * MiB],
    ];
    const { decision } = run(samples, limits);
    expect(decision).toEqual({
      kind: 'abort',
      timeout: 'progress',
      reason: expect.stringMatching(
        /^Live migration stuck for 11 seconds and has been aborted: the data left to send for VirtualMachineInstance prod\/web \(410\.0 MiB\) did not shrink within progressTimeout 10 s/,
      ),
    });
    // A step down from the previous sample (as KubeVirt compares) resets the clock.
    expect(run([...samples.slice(0, 5), [12, 409 * MiB], [22, 409 * MiB]], limits).decision.kind).toBe(
      'continue',
    );
  });

  it('switches to post-copy at the completion timeout when allowed, once, and never times out in post-copy', () => {
    const busy: [number, number][] = Array.from({ length: 200 }, (_, i) => [i, 1000 - (i % 2)]);
    const withPostCopy = { ...limits, progressTimeoutSeconds: 0, allowPostCopy: true };
    const { state, decision } = run(busy, withPostCopy);
    expect(decision).toEqual({ kind: 'postcopy' });
    expect(state.lastProgressAtMs).toBeLessThanOrEqual(151_000);
    const requested = { ...state, postCopyRequested: true };
    expect(decide(requested, 10_000_000, withPostCopy, 'Migrating', VMI)).toEqual({ kind: 'continue' });
    expect(decide(state, 10_000_000, limits, 'PostCopy', VMI)).toEqual({ kind: 'continue' });
  });

  it('waits for the RAM migration before post-copy: disks still mirroring cannot switch', () => {
    const busy: [number, number][] = Array.from({ length: 200 }, (_, i) => [i, 1000 - i]);
    expect(run(busy, { ...limits, allowPostCopy: true }, 'Mirroring').decision).toEqual({ kind: 'continue' });
  });

  it('aborts at the completion timeout without post-copy', () => {
    const busy: [number, number][] = Array.from({ length: 200 }, (_, i) => [i, 1000 - (i % 2)]);
    expect(run(busy, limits).decision).toEqual({
      kind: 'abort',
      timeout: 'completion',
      reason: expect.stringMatching(
        /^Live migration is not completed after 150 seconds and has been aborted: VirtualMachineInstance prod\/web did not converge within completionTimeoutPerGiB/,
      ),
    });
  });

  it('0 turns a timeout off', () => {
    const stuck: [number, number][] = Array.from({ length: 500 }, (_, i) => [i, 1000]);
    expect(
      run(stuck, { progressTimeoutSeconds: 0, acceptableCompletionSeconds: 0, allowPostCopy: false })
        .decision,
    ).toEqual({ kind: 'continue' });
  });

  it("reads query-migrate's progress", () => {
    expect(
      progressOf({
        status: 'completed',
        'total-time': 650,
        downtime: 316,
        'setup-time': 2,
        ram: {
          total: 202121216,
          remaining: 0,
          transferred: 110542968,
          'dirty-pages-rate': 12,
          'dirty-sync-count': 3,
        },
      }),
    ).toEqual({
      totalTimeMs: 650,
      downtimeMs: 316,
      setupTimeMs: 2,
      ramTotalBytes: 202121216,
      ramRemainingBytes: 0,
      ramTransferredBytes: 110542968,
      dirtyPagesRate: 12,
      iterations: 3,
    });
    expect(progressOf({ status: 'setup' })).toEqual({});
  });
});
