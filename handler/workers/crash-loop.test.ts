/** kubelet's crash-loop back-off: 10 s doubling to 5 min, and its waiting message. */
import { crashLoopDelayMs, crashLoopMessage, formatDuration } from './crash-loop';

it('waits 10 s, 20 s, 40 s ... and never more than 5 minutes', () => {
  expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => crashLoopDelayMs(n))).toEqual([
    10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
  ]);
  expect(crashLoopDelayMs(0)).toBe(0);
});

it('takes a shorter schedule for tests', () => {
  expect([1, 2, 3, 4].map((n) => crashLoopDelayMs(n, { initialMs: 100, maxMs: 250 }))).toEqual([
    100, 200, 250, 250,
  ]);
});

it('says what kubelet says while it waits', () => {
  expect(crashLoopMessage(20_000, 'importer', 'ns', 'importer-disk')).toBe(
    'back-off 20s restarting failed container=importer pod=importer-disk_ns',
  );
  expect(formatDuration(300_000)).toBe('5m0s');
  expect(formatDuration(80_000)).toBe('1m20s');
});
