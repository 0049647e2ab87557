/**
 * Placeholder pods (kubelet's part for pods that run nothing a node has to do in local mode):
 * KubeVirt's ephemeral provisioning pods (launcher-labelled, annotated
 * `kubevirt.io/ephemeral-provisioning: "true"`, there only so the scheduler binds a VMI's
 * WaitForFirstConsumer claims to a node) and its hotplug attachment pods (`kubevirt.io:
 * hotplug-disk`; in local mode the volume is a directory the launcher reaches directly). Each
 * bound to this node is reported Running and Ready; nothing is started. Deleted, its object is
 * removed (kubelet's final delete).
 */
import { HOTPLUG_POD_LABEL_VALUE } from '../../api/cdi/worker-pod';
import { keyFields, type Logger } from '../../common/log';
import { Informer, WorkQueue, errorMessage, PODS, type KubeClient } from '../../kube';
import { removePodObject, writePodStatus } from '../pods/pod-writes';
import { podStatus, statusDiffers } from '../pods/pod-status';
import {
  isEphemeralProvisioningPod,
  LAUNCHER_LABEL,
  LAUNCHER_LABEL_VALUE,
  podKey,
  type PodJson,
} from '../pods/pod-types';
import { runWorker } from '../work-loop';
import { metav1Time } from '../../api/k8s/meta';

export function isPlaceholderPod(pod: PodJson): boolean {
  return (
    isEphemeralProvisioningPod(pod) || pod.metadata?.labels?.[LAUNCHER_LABEL] === HOTPLUG_POD_LABEL_VALUE
  );
}

export interface PlaceholderOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  readonly hostIP: string;
  readonly log: Logger;
}

const now = (): string => metav1Time();

export class PlaceholderPods {
  readonly informer: Informer<PodJson>;
  private readonly queue = new WorkQueue('handler-placeholder-pods', { baseMs: 500, maxMs: 30_000 });
  private workers: Promise<void>[] = [];
  /** When each placeholder was first seen running here (its container's startedAt). */
  private readonly started = new Map<string, string>();

  constructor(private readonly o: PlaceholderOptions) {
    this.informer = new Informer<PodJson>(
      o.client.listWatch<PodJson>(
        PODS,
        `${LAUNCHER_LABEL} in (${LAUNCHER_LABEL_VALUE},${HOTPLUG_POD_LABEL_VALUE})`,
      ),
      {},
      { onError: (m) => o.log.warn({ kind: 'Pod' }, `placeholder pods watch: ${m}`) },
    );
    const enqueue = (p: PodJson): void => {
      if (p.spec?.nodeName === o.nodeName && isPlaceholderPod(p)) this.queue.add(podKey(p));
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_a, b) => enqueue(b), onDelete: enqueue });
  }

  async start(): Promise<void> {
    this.informer.start();
    this.workers.push(
      runWorker(
        this.queue,
        (k) => this.reconcile(k),
        (key, e) => this.o.log.warn(keyFields('Pod', key), `placeholder pod: ${errorMessage(e)}`),
      ),
    );
    await this.informer.waitForSync();
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.informer.stop();
    await Promise.all(this.workers);
  }

  private async reconcile(key: string): Promise<undefined> {
    const pod = this.informer.cache.get(key);
    if (!pod) {
      this.started.delete(key);
      return undefined;
    }
    if (pod.spec?.nodeName !== this.o.nodeName || !isPlaceholderPod(pod)) return undefined;
    if (pod.metadata?.deletionTimestamp) {
      await removePodObject(this.o.client, pod);
      this.started.delete(key);
      return undefined;
    }
    const old = (pod.status?.containerStatuses?.[0]?.state?.running as { startedAt?: string } | undefined)
      ?.startedAt;
    const startedAt = this.started.get(key) ?? old ?? now();
    this.started.set(key, startedAt);
    const next = podStatus(pod, {
      container: { kind: 'running', startedAt, ready: true, pid: 0 },
      hostIP: this.o.hostIP,
      podIP: this.o.hostIP,
      startTime: startedAt,
      now: now(),
    });
    if (!statusDiffers(pod.status, next)) return undefined;
    await writePodStatus(this.o.client, pod, next);
    this.o.log.info(keyFields('Pod', key), 'placeholder pod running (nothing to start)');
    return undefined;
  }
}
