/**
 * What the owner kinds' controllers (VirtualMachinePool, VirtualMachineInstanceReplicaSet) share
 * with the manager: the shape the manager starts, feeds and stops, and an owner informer whose
 * own events feed its queue.
 */
import {
  byNamespace,
  Informer,
  objectKey,
  type EventRecorder,
  type KeyedObject,
  type KubeClient,
  type QueueHooks,
  type ResourceType,
  type WatcherOptions,
  type WorkQueue,
} from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';

/** What the manager needs of an owner kind's informer. */
export interface OwnerInformer {
  readonly hasSynced: boolean;
  readonly cache: { keys(): string[] };
  start(): void;
  stop(): Promise<void>;
  waitForSync(): Promise<void>;
}

/**
 * A controller's own informers run as one OwnerInformer: started, waited for and stopped
 * together; the manager's keys are those of `primary` (the kind the controller reconciles).
 */
export function ownInformers(
  primary: { readonly cache: { keys(): string[] } },
  all: readonly Pick<OwnerInformer, 'hasSynced' | 'start' | 'stop' | 'waitForSync'>[],
): OwnerInformer {
  return {
    get hasSynced() {
      return all.every((i) => i.hasSynced);
    },
    cache: { keys: () => primary.cache.keys() },
    start: () => all.forEach((i) => i.start()),
    stop: async () => {
      await Promise.all(all.map((i) => i.stop()));
    },
    waitForSync: async () => {
      await Promise.all(all.map((i) => i.waitForSync()));
    },
  };
}

/**
 * The informer of a controller that owns none of the informers it reads (another controller
 * starts and stops them): it counts as synced once they all are; starting and stopping it does
 * nothing.
 */
export function sharedInformers(
  primary: { readonly cache: { keys(): string[] } },
  all: readonly Pick<OwnerInformer, 'hasSynced' | 'waitForSync'>[],
): OwnerInformer {
  return {
    get hasSynced() {
      return all.every((i) => i.hasSynced);
    },
    cache: { keys: () => primary.cache.keys() },
    start: () => undefined,
    stop: async () => undefined,
    waitForSync: async () => {
      await Promise.all(all.map((i) => i.waitForSync()));
    },
  };
}

/** One owner kind's controller, as the manager starts, feeds and stops it. */
export interface OwnerController {
  readonly kind: string;
  readonly resource: ResourceType;
  readonly informer: OwnerInformer;
  readonly queue: WorkQueue;
  reconcile(key: string): Promise<ReconcileResult>;
}

export interface OwnerControllerDeps {
  readonly client: KubeClient;
  /** Only this namespace (all when undefined). */
  readonly namespace?: string;
  readonly recorder: EventRecorder;
  readonly queueHooks: (name: string) => QueueHooks;
  readonly watchOptions: WatcherOptions;
}

/** An owner kind's informer with its queue fed by the informer's own events. */
export function ownerInformer<T extends KeyedObject>(
  deps: OwnerControllerDeps,
  rt: ResourceType,
  queue: WorkQueue,
): Informer<T> {
  const informer = new Informer<T>(
    deps.client.listWatch<T>(rt, undefined, deps.namespace),
    { namespace: byNamespace },
    deps.watchOptions,
  );
  const enqueue = (o: T): void => queue.add(objectKey(o));
  informer.addHandlers({ onAdd: enqueue, onUpdate: (_, n) => enqueue(n), onDelete: enqueue });
  return informer;
}
