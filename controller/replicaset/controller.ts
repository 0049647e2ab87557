/**
 * The replica set controller as the manager runs it: an informer over
 * VirtualMachineInstanceReplicaSets, a work queue (KubeVirt's name: virt-controller-replicaset),
 * the reconciler, and handlers on the VMI informer that wake the replica set a VMI concerns.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceReplicaSet } from '../../api/kubevirt/v1';
import {
  DEFAULT_RATE_LIMIT,
  VIRTUAL_MACHINE_INSTANCE_REPLICA_SETS,
  WorkQueue,
  type Informer,
} from '../../kube';
import { ownerInformer, type OwnerController, type OwnerControllerDeps } from '../replicas/owner-controller';
import { ReplicaSetReconciler } from './reconciler';

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
