/**
 * A keyed, rate-limited work queue with client-go's guarantees:
 * - a key waits in the queue at most once, however often it is added;
 * - a key is never handed to two workers at once: adding a key while it is processed marks it
 *   dirty, and done() puts it back, so the latest state is always reconciled again;
 * - addRateLimited() retries a failing key after a per-key exponential delay (forget() resets it);
 * - addAfter() schedules time-based work; the earliest pending schedule of a key wins;
 * - shutDown() wakes every waiting worker with `undefined` and drops pending timers.
 */
import { backoffDelay, type BackoffPolicy } from './backoff';

/** client-go's per-key controller rate limiter: 5 ms doubling up to 1000 s. */
export const DEFAULT_RATE_LIMIT: BackoffPolicy = { baseMs: 5, maxMs: 1_000_000 };

export interface QueueHooks {
  onAdd?(key: string): void;
  onDepth?(depth: number): void;
  onRetry?(key: string): void;
  onWorkDuration?(seconds: number): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(
    readonly name: string,
    private readonly rateLimit: BackoffPolicy = DEFAULT_RATE_LIMIT,
    private readonly hooks: QueueHooks = {},
  ) {}

  get length(): number {
    return this.queue.length;
  }

  get isShutDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.hooks.onAdd?.(key);
    if (this.processing.has(key)) return; // done() re-queues it
    this.push(key);
  }

  /** Add `key` after `delayMs`; an earlier pending schedule of the same key is kept. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  /** Retry `key` after its next back-off delay. */
  addRateLimited(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.hooks.onRetry?.(key);
    this.addAfter(key, backoffDelay(this.rateLimit, n));
  }

  /** The key succeeded: its back-off starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Processing of `key` finished; if it was added meanwhile, it goes back into the queue. */
  done(key: string): void {
    const started = this.processing.get(key);
    this.processing.delete(key);
    if (started !== undefined) this.hooks.onWorkDuration?.((Date.now() - started) / 1000);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.take(key));
      return;
    }
    this.queue.push(key);
    this.hooks.onDepth?.(this.queue.length);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.set(key, Date.now());
    this.hooks.onDepth?.(this.queue.length);
    return key;
  }
}
