/**
 * The cluster's feature gates, kept current from the `KubeVirt` objects through an informer:
 * the union of `spec.configuration.developerConfiguration.featureGates` (KubeVirt allows one
 * such object; virtkit does not guess which of several is meant and takes every gate listed).
 */
import { enabledFeatureGates, type KubeVirt } from '../api/kubevirt/v1/kubevirt-config';
import type { Logger } from '../common/log';
import { Informer, KUBEVIRTS, type KubeClient } from '../kube';

export class FeatureGateSource {
  private readonly informer: Informer<KubeVirt>;

  constructor(
    private readonly client: KubeClient,
    log: Logger,
  ) {
    this.informer = new Informer(
      client.listWatch<KubeVirt>(KUBEVIRTS),
      {},
      {
        onError: (m) => log.warn({ kind: 'KubeVirt' }, `watch: ${m}`),
      },
    );
    const changed = (): void => log.info({ featureGates: [...this.current()] }, 'feature gates');
    this.informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  /** Throws at once when the identity may not list KubeVirt objects (a 401 or 403 names why). */
  async start(): Promise<void> {
    await this.client.list(KUBEVIRTS, undefined, { limit: 1 });
    this.informer.start();
    await this.informer.waitForSync();
  }

  current(): ReadonlySet<string> {
    return new Set(this.informer.cache.list().flatMap((kv) => enabledFeatureGates(kv)));
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }
}
