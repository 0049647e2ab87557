/**
 * The cluster's feature gates, kept current from the `KubeVirt` objects (kubevirt.io/v1
 * `kubevirts`) through an informer: the union of
 * `spec.configuration.developerConfiguration.featureGates` (KubeVirt allows one such object;
 * virtkit does not guess which of several is meant and takes every gate listed).
 *
 * Here, in the client layer, because `virtkit api` (admission) and the node handler both need
 * it and neither may import the other. It reads one list of strings from the object and knows
 * nothing of what a gate means (api/feature-gates.ts does).
 */
import type { Logger } from '../common/log';
import type { KubeClient } from './client';
import { Informer } from './informer';
import { KUBEVIRTS } from './resources';

/** The parts of a KubeVirt object read here. */
export interface KubeVirtConfigObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: { configuration?: { developerConfiguration?: { featureGates?: unknown } } };
}

/** The feature gates one KubeVirt object turns on (strings only; anything else is skipped). Pure. */
export function featureGatesOf(kv: KubeVirtConfigObject | undefined): string[] {
  const gates = kv?.spec?.configuration?.developerConfiguration?.featureGates;
  return Array.isArray(gates) ? gates.filter((g): g is string => typeof g === 'string') : [];
}

export class FeatureGateSource {
  private readonly informer: Informer<KubeVirtConfigObject>;
  private readonly listeners: ((gates: ReadonlySet<string>) => void)[] = [];
  private last = '';

  constructor(
    private readonly client: KubeClient,
    log: Logger,
  ) {
    this.informer = new Informer(
      client.listWatch<KubeVirtConfigObject>(KUBEVIRTS),
      {},
      {
        onError: (m) => log.warn({ kind: 'KubeVirt' }, `watch: ${m}`),
      },
    );
    const changed = (): void => {
      const now = this.current();
      const key = [...now].sort().join(',');
      if (key === this.last) return;
      this.last = key;
      log.info({ featureGates: [...now].sort() }, 'feature gates');
      for (const l of this.listeners) l(now);
    };
    this.informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  /** Called with the enabled gates whenever the set changes (not on edits that leave it as it was). */
  onChange(listener: (gates: ReadonlySet<string>) => void): void {
    this.listeners.push(listener);
  }

  /** Throws at once when the identity may not list KubeVirt objects (a 401 or 403 names why). */
  async start(): Promise<void> {
    await this.client.list(KUBEVIRTS, undefined, { limit: 1 });
    this.informer.start();
    await this.informer.waitForSync();
  }

  /** The gates enabled now (empty before start). */
  current(): ReadonlySet<string> {
    return new Set(this.informer.cache.list().flatMap((kv) => featureGatesOf(kv)));
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}
