/** One operation at a time per key (a pod uid): later callers wait for earlier ones. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Whether an operation holds or waits for `key`. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** The keys with an operation running or waiting. */
  keys(): string[] {
    return [...this.tails.keys()];
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
