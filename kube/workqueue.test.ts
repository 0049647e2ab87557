import { WorkQueue } from './workqueue';
import { backoffDelay } from './backoff';

describe('WorkQueue', () => {
  test('a key waits at most once however often it is added', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  test('a key being processed is not handed out again; added meanwhile, it comes back after done()', async () => {
    const q = new WorkQueue('t');
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0); // not handed to a second worker
    q.done(key!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  test('per-key exponential back-off with a cap; forget() starts over', () => {
    jest.useFakeTimers();
    try {
      const q = new WorkQueue('t', { baseMs: 100, maxMs: 1000 });
      q.addRateLimited('a');
      jest.advanceTimersByTime(99);
      expect(q.length).toBe(0);
      jest.advanceTimersByTime(1);
      expect(q.length).toBe(1);
      expect(q.numRequeues('a')).toBe(1);
      q.forget('a');
      expect(q.numRequeues('a')).toBe(0);
    } finally {
      jest.useRealTimers();
    }
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay({ baseMs: 100, maxMs: 1000 }, n))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(backoffDelay({ baseMs: 100, maxMs: 30_000, jitter: 1 }, 200, () => 1)).toBe(30_000);
  });

  test('addAfter keeps the earliest schedule of a key', () => {
    jest.useFakeTimers();
    try {
      const q = new WorkQueue('t');
      q.addAfter('a', 500);
      q.addAfter('a', 5000);
      jest.advanceTimersByTime(500);
      expect(q.length).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  test('shutDown wakes waiting workers with undefined and refuses new keys', async () => {
    const q = new WorkQueue('t');
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(await q.get()).toBeUndefined();
  });
});
