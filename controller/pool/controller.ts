/**
 * The VirtualMachinePool controller as the manager runs it: an informer over pools, a work queue
 * (KubeVirt's name: virt-controller-pool), the reconciler, and handlers on the VM and VMI
 * informers that wake the pool a member concerns.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachinePool } from '../../api/pool/v1beta1';
import { DEFAULT_RATE_LIMIT, VIRTUAL_MACHINE_POOLS, WorkQueue, type Informer } from '../../kube';
import { ownerInformer, type OwnerController, type OwnerControllerDeps } from '../replicas/owner-controller';
import { PoolReconciler } from './reconciler';

export function createPoolController(
  deps: OwnerControllerDeps,
  vms: Informer<VirtualMachine>,
  vmis: Informer<VirtualMachineInstance>,
): OwnerController {
  const name = 'virt-controller-pool';
  const queue = new WorkQueue(name, DEFAULT_RATE_LIMIT, deps.queueHooks(name));
  const informer = ownerInformer<VirtualMachinePool>(deps, VIRTUAL_MACHINE_POOLS, queue);
  const reconciler = new PoolReconciler(deps.client, informer, vms, vmis, deps.recorder);
  vms.addHandlers(reconciler.vmHandlers((k) => queue.add(k)));
  vmis.addHandlers(reconciler.vmiHandlers((k) => queue.add(k)));
  return {
    kind: 'VirtualMachinePool',
    resource: VIRTUAL_MACHINE_POOLS,
    informer,
    queue,
    reconcile: (k) => reconciler.reconcile(k),
  };
}
