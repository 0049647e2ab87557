/**
 * The replica set controller as the manager runs it: an informer over
 * VirtualMachineInstanceReplicaSets, a work queue (KubeVirt's name: virt-controller-replicaset),
 * the reconciler, and handlers on the VMI informer that wake the replica set a VMI concerns.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceReplicaSet } from '../../api/kubevirt/v1';
import {
  byNamespace,
  DEFAULT_RATE_LIMIT,
  Informer,
  objectKey,
  VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
  WorkQueue,
  type EventRecorder,
  type KeyedObject,
  type KubeClient,
  type QueueHooks,
  type ResourceType,
  type WatcherOptions,
} from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';
import { ReplicaSetReconciler } from './reconciler';

/** What the manager needs of an owner kind's informer. */
export interface OwnerInformer {
  readonly hasSynced: boolean;
  readonly cache: { keys(): string[] };
  start(): void;
  stop(): Promise<void>;
  waitForSync(): Promise<void>;
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

export function createReplicaSetController(
  deps: OwnerControllerDeps,
  vmis: Informer<VirtualMachineInstance>,
): OwnerController {
  const name = 'virt-controller-replicaset';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const informer = ownerInformer<VirtualMachineInstanceReplicaSet>(
    deps,
    VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
    queue,
  );
  const reconciler = new ReplicaSetReconciler(deps.client, informer, vmis, deps.recorder);
  vmis.addHandlers(reconciler.vmiHandlers((k) => queue.add(k)));
  return {
    kind: 'VirtualMachineInstanceReplicaSet',
    resource: VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
    informer,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
  };
}
