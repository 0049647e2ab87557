/**
 * Optional APIs: resources a cluster may or may not serve (a CRD such as Kubernetes' volume
 * snapshots, which only some clusters install). `isServed` asks the group version's discovery
 * document; `ApiPresence` keeps asking until every resource it is given is served, then calls
 * back once. A component starts its informers from that callback, so it neither fails nor hangs
 * where the CRD is missing, and starts by itself when the CRD is installed later.
 */
import { backoffDelay, sleepUnlessAborted } from './backoff';
import type { KubeClient } from './client';
import { errorMessage, isNotFound } from './errors';
import { describeResource, groupVersionPath, type ResourceType } from './resources';
import { WATCH_BACKOFF } from './watcher';

/** Whether the API server serves `rt` (its group version is served and lists the resource). */
export async function isServed(client: KubeClient, rt: ResourceType): Promise<boolean> {
  try {
    const doc = await client.getPath<{ resources?: { name?: string }[] }>(groupVersionPath(rt.apiVersion));
    return (doc.resources ?? []).some((r) => r.name === rt.plural);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export interface ApiPresenceOptions {
  /** How often to look again while a resource is not served. @default 30 s */
  readonly pollMs?: number;
  /** Told about failed look-ups (they are retried with back-off). */
  readonly onError?: (message: string) => void;
}

export class ApiPresence {
  private state: 'unknown' | 'absent' | 'served' = 'unknown';
  private readonly stopper = new AbortController();
  private running: Promise<void> | undefined;
  private readonly answerWaiters: (() => void)[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly resources: readonly ResourceType[],
    /** Called once, when every resource is served. */
    private readonly onServed: () => void,
    private readonly options: ApiPresenceOptions = {},
  ) {}

  /** True once every resource was found served. */
  get served(): boolean {
    return this.state === 'served';
  }

  /** True once the first answer is in (served or not). */
  get known(): boolean {
    return this.state !== 'unknown';
  }

  /** What is missing, for log lines: `volumesnapshots.snapshot.storage.k8s.io, ...`. */
  get description(): string {
    return this.resources.map(describeResource).join(', ');
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Resolves once the first answer is in, or at stop. */
  answered(): Promise<void> {
    if (this.known || this.stopper.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.answerWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.answer();
    await this.running;
  }

  private answer(): void {
    for (const w of this.answerWaiters.splice(0)) w();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopper.signal.aborted) {
      let served: boolean;
      try {
        served = (await Promise.all(this.resources.map((rt) => isServed(this.client, rt)))).every(Boolean);
        failures = 0;
      } catch (err) {
        failures++;
        this.options.onError?.(
          `could not tell whether the API server serves ${this.description} (attempt ${failures}), retrying: ${errorMessage(err)}`,
        );
        await sleepUnlessAborted(backoffDelay(WATCH_BACKOFF, failures), this.stopper.signal);
        continue;
      }
      if (this.stopper.signal.aborted) return;
      if (served) {
        this.state = 'served';
        this.answer();
        this.onServed();
        return;
      }
      this.state = 'absent';
      this.answer();
      await sleepUnlessAborted(this.options.pollMs ?? 30_000, this.stopper.signal);
    }
  }
}
