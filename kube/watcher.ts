/**
 * List-then-watch with the reflector's rules (DESIGN habit 4): resourceVersions are opaque
 * strings passed back as received; bookmarks are requested and only move the resume point;
 * an expired resourceVersion (HTTP 410, or an ERROR event with code 410) triggers a fresh list;
 * any other failure is retried after a capped, jittered exponential delay; a watch the server
 * closes normally is resumed at once. The loop ends only when stop() is called; every failure
 * is reported through onError, never swallowed.
 */
import { backoffDelay, sleepUnlessAborted, type BackoffPolicy } from './backoff';
import { errorMessage, isGone, KubeApiError } from './errors';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchObject {
  metadata?: { resourceVersion?: string; name?: string; namespace?: string };
}

/** A Status object, as ERROR watch events carry it. */
export interface StatusObject {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

export interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

export interface WatchHandle {
  abort(): void;
}

/** How the watcher reaches the server: one list, one streaming watch. */
export interface ListWatchTransport<T> {
  readonly description: string;
  list(): Promise<ListResult<T>>;
  /**
   * Start a watch from `resourceVersion` (with allowWatchBookmarks). Events go to onEvent;
   * onDone is called once when the stream ends: without an argument when the server closed it
   * normally, with the error otherwise (a KubeApiError with status 410 when the version expired).
   */
  watch(
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: T | StatusObject) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle>;
}

export interface WatchSink<T> {
  /** A complete, consistent list: replaces everything known so far. */
  replace(items: T[], resourceVersion: string): void;
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void;
}

/** client-go's reflector back-off: 800 ms doubling to 30 s, jittered. */
export const WATCH_BACKOFF: BackoffPolicy = { baseMs: 800, maxMs: 30_000, jitter: 1 };

export interface WatcherOptions {
  backoff?: BackoffPolicy;
  onError?: (message: string) => void;
  random?: () => number;
  /** For tests: how the watcher waits. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const defaultSleep = sleepUnlessAborted;

function isStatusObject(o: unknown): o is StatusObject {
  return typeof o === 'object' && o !== null && (o as StatusObject).kind === 'Status';
}

export class Watcher<T extends WatchObject> {
  private readonly stopper = new AbortController();
  private current: WatchHandle | undefined;
  private running: Promise<void> | undefined;
  /** Lists done so far (1 = the initial list); relists show up here. */
  lists = 0;
  /** Watches started so far. */
  watches = 0;

  constructor(
    private readonly transport: ListWatchTransport<T>,
    private readonly sink: WatchSink<T>,
    private readonly options: WatcherOptions = {},
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.current?.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private report(message: string): void {
    this.options.onError?.(`${this.transport.description}: ${message}`);
  }

  private async pause(failures: number): Promise<void> {
    const ms = backoffDelay(this.options.backoff ?? WATCH_BACKOFF, failures, this.options.random);
    await (this.options.sleep ?? defaultSleep)(ms, this.stopper.signal);
  }

  private async loop(): Promise<void> {
    let resourceVersion: string | undefined;
    let failures = 0;
    while (!this.stopped) {
      if (resourceVersion === undefined) {
        try {
          const listed = await this.transport.list();
          this.lists++;
          if (this.stopped) return;
          resourceVersion = listed.resourceVersion;
          this.sink.replace(listed.items, listed.resourceVersion);
          failures = 0;
        } catch (err) {
          failures++;
          this.report(`list failed (attempt ${failures}), retrying: ${errorMessage(err)}`);
          await this.pause(failures);
          continue;
        }
      }
      const outcome = await this.watchOnce(resourceVersion);
      if (this.stopped) return;
      if (outcome.resourceVersion !== undefined) resourceVersion = outcome.resourceVersion;
      if (outcome.gone) {
        // The server no longer has our version: start over from a fresh list.
        this.report(`resourceVersion ${resourceVersion} expired (410 Gone); listing again`);
        resourceVersion = undefined;
        failures = 0;
        continue;
      }
      if (outcome.error !== undefined) {
        failures++;
        this.report(`watch failed (attempt ${failures}), reconnecting: ${errorMessage(outcome.error)}`);
        await this.pause(failures);
        continue;
      }
      // A normal close (server-side timeout). Resume at once, unless the server keeps closing
      // without sending anything, which is a failure in disguise.
      if (outcome.events === 0) {
        failures++;
        await this.pause(failures);
      } else {
        failures = 0;
      }
    }
  }

  private watchOnce(
    from: string,
  ): Promise<{ resourceVersion?: string; gone: boolean; error?: unknown; events: number }> {
    return new Promise((resolve) => {
      let latest: string | undefined;
      let events = 0;
      let settled = false;
      const onStop = (): void => finish({ gone: false });
      const finish = (result: { gone: boolean; error?: unknown }): void => {
        if (settled) return;
        settled = true;
        this.stopper.signal.removeEventListener('abort', onStop);
        this.current?.abort();
        this.current = undefined;
        resolve({ ...result, resourceVersion: latest, events });
      };
      const onEvent = (type: WatchEventType, object: T | StatusObject): void => {
        if (settled) return;
        events++;
        if (type === 'ERROR' || isStatusObject(object)) {
          const status = object as StatusObject;
          const err = new KubeApiError(
            'WATCH',
            this.transport.description,
            status.code ?? 0,
            status.reason ?? '',
            status.message ?? '',
          );
          finish(isGone(err) ? { gone: true } : { gone: false, error: err });
          return;
        }
        const rv = (object as T).metadata?.resourceVersion;
        if (rv) latest = rv;
        if (type === 'BOOKMARK') return;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.sink.event(type, object as T);
      };
      const onDone = (err?: unknown): void => {
        if (err === undefined || err === null) finish({ gone: false });
        else finish(isGone(err) ? { gone: true } : { gone: false, error: err });
      };
      this.watches++;
      this.transport.watch(from, onEvent, onDone).then(
        (handle) => {
          if (settled || this.stopped) handle.abort();
          else this.current = handle;
          if (this.stopped) finish({ gone: false });
        },
        (err: unknown) => finish(isGone(err) ? { gone: true } : { gone: false, error: err }),
      );
      this.stopper.signal.addEventListener('abort', onStop, { once: true });
    });
  }
}
