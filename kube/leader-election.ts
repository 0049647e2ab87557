/**
 * Leader election on a coordination.k8s.io/v1 Lease, with controller-runtime's timings: a lease
 * lasts 15 s, the leader must renew within 10 s or step down, candidates retry every 2 s.
 * Expiry is judged by when this process last saw the lease record change (not by the
 * renewTime written by another machine), so clock skew between hosts does not matter.
 * Every write carries the resourceVersion read, so two candidates can never both win.
 */
import { isConflict, isNotFound, errorMessage } from './errors';
import type { Logger } from '../common/log';
import { sleepUnlessAborted } from './backoff';
import type { KubeClient } from './client';
import { LEASES } from './resources';

export interface LeaderElectionConfig {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly log?: Logger;
}

export const LEASE_DURATION_MS = 15_000;
export const RENEW_DEADLINE_MS = 10_000;
export const RETRY_PERIOD_MS = 2_000;

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** RFC 3339 with microseconds, as MicroTime fields require. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const sleep = sleepUnlessAborted;

export class LeaderElector {
  private readonly stopper = new AbortController();
  private observedRecord = '';
  private observedAt = 0;
  private leading = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly config: LeaderElectionConfig,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  private get durationMs(): number {
    return this.config.leaseDurationMs ?? LEASE_DURATION_MS;
  }

  private log(m: string): void {
    this.config.log?.info({ lease: `${this.config.namespace}/${this.config.name}` }, `leader election: ${m}`);
  }

  /**
   * Campaign until elected, call onStarted, keep renewing; when renewing fails for longer than
   * the renew deadline (or stop() is called) call onStopped. Resolves when the campaign ends.
   */
  run(onStarted: () => void, onStopped: () => void): Promise<void> {
    this.loop ??= this.campaign(onStarted, onStopped);
    return this.loop;
  }

  /** Stop campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async campaign(onStarted: () => void, onStopped: () => void): Promise<void> {
    const retry = this.config.retryPeriodMs ?? RETRY_PERIOD_MS;
    const deadline = this.config.renewDeadlineMs ?? RENEW_DEADLINE_MS;
    const signal = this.stopper.signal;
    while (!signal.aborted && !this.leading) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.log(`${this.config.identity} became the leader`);
        onStarted();
        break;
      }
      await sleep(retry, signal);
    }
    let lastRenew = Date.now();
    while (!signal.aborted && this.leading) {
      await sleep(retry, signal);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > deadline) {
        this.log(`${this.config.identity} could not renew within ${deadline} ms; stepping down`);
        this.leading = false;
        onStopped();
        return;
      }
    }
    if (this.leading) {
      await this.release();
      this.leading = false;
      onStopped();
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.config;
    const now = new Date();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(this.durationMs / 1000),
      renewTime: microTime(now),
    };
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(LEASES, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) {
        this.log(`reading the lease failed: ${errorMessage(err)}`);
        return false;
      }
      try {
        await this.client.create(LEASES, namespace, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (e) {
        this.log(`creating the lease failed: ${errorMessage(e)}`);
        return false;
      }
    }
    const held = lease.spec ?? {};
    const record = `${held.holderIdentity ?? ''}|${held.renewTime ?? ''}|${held.acquireTime ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const mine = held.holderIdentity === identity;
    const duration = (held.leaseDurationSeconds ?? this.durationMs / 1000) * 1000;
    const free = !held.holderIdentity || this.observedAt + duration < Date.now();
    if (!mine && !free) return false;
    const next: Lease = {
      ...lease,
      spec: {
        ...held,
        ...spec,
        acquireTime: mine ? held.acquireTime : microTime(now),
        leaseTransitions: mine ? (held.leaseTransitions ?? 0) : (held.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      const written = await this.client.replace<Lease>(LEASES, namespace, name, next);
      this.observedRecord = `${written.spec?.holderIdentity ?? ''}|${written.spec?.renewTime ?? ''}|${written.spec?.acquireTime ?? ''}`;
      this.observedAt = Date.now();
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log(`updating the lease failed: ${errorMessage(err)}`);
      return false;
    }
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.config;
    try {
      const lease = await this.client.get<Lease>(LEASES, namespace, name);
      if (lease.spec?.holderIdentity !== identity) return;
      const now = microTime(new Date());
      await this.client.replace(LEASES, namespace, name, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: now,
          acquireTime: now,
        },
      });
      this.log(`${identity} released the lease`);
    } catch (err) {
      this.log(`releasing the lease failed (it expires by itself): ${errorMessage(err)}`);
    }
  }
}
