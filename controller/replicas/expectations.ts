/**
 * What a replica controller has asked the API server for and not yet seen in its cache (the
 * role of client-go's ControllerExpectations): N creations and a set of deletions per owner key.
 * While any is outstanding the owner is not scaled again, so a stale cache never makes it create
 * or delete twice. An expectation that is never observed expires after `ttlMs`, as client-go's do.
 */

interface Pending {
  adds: number;
  readonly deletes: Set<string>;
  at: number;
}

export const EXPECTATIONS_TTL_MS = 5 * 60_000;

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  private entry(key: string): Pending {
    let p = this.pending.get(key);
    if (!p) {
      p = { adds: 0, deletes: new Set(), at: this.now() };
      this.pending.set(key, p);
    }
    return p;
  }

  expectCreations(key: string, count: number): void {
    const p = this.entry(key);
    p.adds += count;
    p.at = this.now();
  }

  /** One create was seen in the cache, or failed (nothing will be seen). */
  creationObserved(key: string): void {
    const p = this.pending.get(key);
    if (p && p.adds > 0) p.adds--;
  }

  /** Deletions of these objects ("namespace/name"). */
  expectDeletions(key: string, objectKeys: readonly string[]): void {
    const p = this.entry(key);
    for (const k of objectKeys) p.deletes.add(k);
    p.at = this.now();
  }

  deletionObserved(key: string, objectKey: string): void {
    this.pending.get(key)?.deletes.delete(objectKey);
  }

  /** Milliseconds until the expectations of `key` expire; 0 when nothing is outstanding. */
  waitMs(key: string): number {
    const p = this.pending.get(key);
    if (!p || (p.adds <= 0 && p.deletes.size === 0)) return 0;
    const left = p.at + this.ttlMs - this.now();
    if (left <= 0) {
      this.pending.delete(key);
      return 0;
    }
    return left;
  }

  /** Whether everything asked for under `key` has been observed (or has expired). */
  satisfied(key: string): boolean {
    return this.waitMs(key) === 0;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}
