/**
 * An informer: a Watcher feeding an IndexedCache, and handlers told about every change. A relist
 * (initial, or after 410 Gone) is diffed against the cache, so objects deleted while the watch
 * was down are reported as deletions and changed ones as updates.
 */
import { IndexedCache, type IndexFunc } from './indexed-cache';
import { objectKey, type KeyedObject } from './keys';
import { Watcher, type ListWatchTransport, type WatcherOptions, type WatchSink } from './watcher';

export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export class Informer<T extends KeyedObject> implements WatchSink<T> {
  readonly cache: IndexedCache<T>;
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly watcher: Watcher<T>;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    transport: ListWatchTransport<T>,
    indexers: Readonly<Record<string, IndexFunc<T>>> = {},
    options: WatcherOptions = {},
  ) {
    this.cache = new IndexedCache(indexers);
    this.watcher = new Watcher(transport, this, options);
  }

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }

  /** One handler for every change: an object added, updated (its new state) or deleted. */
  onChange(h: (obj: T) => void): void {
    this.addHandlers({ onAdd: h, onUpdate: (_, n) => h(n), onDelete: h });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get stats(): { lists: number; watches: number } {
    return { lists: this.watcher.lists, watches: this.watcher.watches };
  }

  start(): void {
    this.watcher.start();
  }

  stop(): Promise<void> {
    return this.watcher.stop();
  }

  replace(items: T[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(objectKey(item));
      this.apply(item);
    }
    for (const key of this.cache.keys()) {
      if (!seen.has(key)) {
        const old = this.cache.remove(key)!;
        for (const h of this.handlers) h.onDelete?.(old);
      }
    }
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    if (type === 'DELETED') {
      const old = this.cache.remove(objectKey(obj));
      for (const h of this.handlers) h.onDelete?.(old ?? obj);
      return;
    }
    this.apply(obj);
  }

  private apply(obj: T): void {
    const old = this.cache.upsert(obj);
    if (!old) {
      for (const h of this.handlers) h.onAdd?.(obj);
    } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
      for (const h of this.handlers) h.onUpdate?.(old, obj);
    }
  }
}
