/**
 * The VirtualMachinePool reconciler: reads the caches, asks decidePool what to do, does it
 * (counting on expectations so a stale cache never doubles a create or a delete), and always
 * writes status.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachinePool } from '../../api/pool/v1beta1';
import { INVALID_SPEC_REASON, invalidSpecMessage, SpecValidity } from '../../api/validation/spec-validity';
import {
  errorMessage,
  isAlreadyExists,
  isConflict,
  isNotFound,
  objectKey,
  splitKey,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINE_POOLS,
  VIRTUAL_MACHINES,
  type EventRecorder,
  type EventSpec,
  type Informer,
  type InformerHandlers,
  type KubeClient,
} from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';
import { Expectations } from '../replicas/expectations';
import { releasePatch } from '../replicas/ownership';
import { ownedObjectHandlers, ownerKeyIn } from '../replicas/owned-watch';
import { decidePool } from './desired';
import { POOL_FINALIZER } from './member';
import { poolStatus } from './status';
import { finishRound } from '../replicas/finish-round';

const KIND = 'VirtualMachinePool';
type Pool = VirtualMachinePool;
type Vm = VirtualMachine;

interface Failure {
  reason: string;
  message: string;
}

export class PoolReconciler {
  readonly expectations = new Expectations();

  constructor(
    private readonly client: KubeClient,
    private readonly pools: Informer<Pool>,
    private readonly vms: Informer<Vm>,
    private readonly vmis: Informer<VirtualMachineInstance>,
    private readonly recorder: EventRecorder,
    private readonly validity = new SpecValidity(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const pool = this.pools.cache.get(key);
    if (!pool) {
      this.expectations.forget(key);
      this.validity.forget(key);
      return {};
    }
    const { namespace } = splitKey(key);
    const d = decidePool({
      pool,
      vms: this.vms.cache.byIndex('namespace', namespace ?? ''),
      vmiOf: (vm) => this.vmis.cache.get(`${namespace}/${vm}`),
      now: new Date(),
      expectationsSatisfied: this.expectations.satisfied(key),
      specProblems: this.validity.problems(key, pool),
    });
    const events: EventSpec[] = [];
    let failure: Failure | undefined = d.problems.length
      ? { reason: INVALID_SPEC_REASON, message: invalidSpecMessage(KIND, d.problems) }
      : undefined;
    const fail = (reason: string, message: string): void => {
      failure ??= { reason, message };
    };

    // The status write below carries the resourceVersion of the pool's own last write.
    let resourceVersion = pool.metadata?.resourceVersion;
    if (d.addPoolFinalizer)
      resourceVersion =
        (await this.patchPoolFinalizers(pool, [...(pool.metadata?.finalizers ?? []), POOL_FINALIZER])) ??
        resourceVersion;
    for (const vm of d.release) await this.patchVm(vm, releasePatch(vm, pool, POOL_FINALIZER));
    for (const vm of d.releaseFinalizer) await this.dropFinalizer(vm);

    if (d.create.length) {
      this.expectations.expectCreations(key, d.create.length);
      await Promise.all(
        d.create.map(async (vm) => {
          try {
            await this.client.create(VIRTUAL_MACHINES, namespace, vm);
            events.push({
              type: 'Normal',
              reason: 'SuccessfulCreate',
              message: `Created VM ${namespace}/${vm.metadata?.name}`,
            });
          } catch (err) {
            this.expectations.creationObserved(key);
            // A VM of that name appeared meanwhile: the next round picks another index.
            if (isAlreadyExists(err)) return;
            events.push({
              type: 'Warning',
              reason: 'FailedCreate',
              message: `Error creating VM: ${errorMessage(err)}`,
            });
            fail('FailedScaleOut', `error during scale out: ${errorMessage(err)}`);
          }
        }),
      );
    }

    const deleteVms = async (list: readonly Vm[], foreground: boolean, reason: string): Promise<void> => {
      this.expectations.expectDeletions(key, list.map(objectKey));
      await Promise.all(
        list.map(async (vm) => {
          try {
            await this.client.delete(VIRTUAL_MACHINES, namespace, vm.metadata?.name ?? '', {
              uid: vm.metadata?.uid,
              ...(foreground ? { propagationPolicy: 'Foreground' as const } : {}),
            });
            await this.dropFinalizer(vm);
            events.push({
              type: 'Normal',
              reason: 'SuccessfulDelete',
              message: `Deleted VM ${namespace}/${vm.metadata?.name} with uid ${vm.metadata?.uid} from pool`,
            });
          } catch (err) {
            this.expectations.deletionObserved(key, objectKey(vm));
            if (isNotFound(err)) return;
            events.push({
              type: 'Warning',
              reason: 'FailedDelete',
              message: `Error deleting virtual machine ${namespace}/${vm.metadata?.name}: ${errorMessage(err)}`,
            });
            fail(
              reason,
              `error during ${reason === 'FailedScaleIn' ? 'scale in' : 'VM update'}: ${errorMessage(err)}`,
            );
          }
        }),
      );
    };
    if (d.remove.length) await deleteVms(d.remove, false, 'FailedScaleIn');
    if (d.replace.length) await deleteVms(d.replace, true, 'FailedUpdate');

    for (const vm of d.update) {
      try {
        await this.client.replace(VIRTUAL_MACHINES, namespace, vm.metadata?.name ?? '', vm);
        events.push({
          type: 'Normal',
          reason: 'SuccessfulUpdate',
          message: `Updated VM ${namespace}/${vm.metadata?.name}`,
        });
      } catch (err) {
        if (isNotFound(err)) continue;
        events.push({
          type: 'Warning',
          reason: 'FailedUpdate',
          message: `Error updating virtual machine ${namespace}/${vm.metadata?.name}: ${errorMessage(err)}`,
        });
        fail('FailedUpdate', `error during VM update: ${errorMessage(err)}`);
      }
    }
    for (const vmi of d.restart) {
      try {
        await this.client.delete(VIRTUAL_MACHINE_INSTANCES, namespace, vmi.metadata?.name ?? '', {
          uid: vmi.metadata?.uid,
        });
        events.push({
          type: 'Normal',
          reason: 'SuccessfulDelete',
          message: `Successfully updated resource ${namespace}/${vmi.metadata?.name}`,
        });
      } catch (err) {
        if (isNotFound(err)) continue;
        events.push({
          type: 'Warning',
          reason: 'FailedUpdate',
          message: `Error updating resource ${namespace}/${vmi.metadata?.name}: ${errorMessage(err)}`,
        });
        fail('FailedUpdate', `error during VMI update: ${errorMessage(err)}`);
      }
    }
    if (d.removePoolFinalizer)
      await this.patchPoolFinalizers(
        pool,
        (pool.metadata?.finalizers ?? []).filter((f) => f !== POOL_FINALIZER),
      );

    for (const ev of events) void this.recorder.record(pool, ev);
    const { status, events: statusEvents } = poolStatus({
      pool,
      members: d.members,
      labelSelector: d.selector?.text ?? '',
      now: new Date(),
      failure,
    });
    return finishRound({
      client: this.client,
      recorder: this.recorder,
      rt: VIRTUAL_MACHINE_POOLS,
      owner: pool,
      status,
      statusEvents,
      failure,
      resourceVersion,
      requeueAfterMs: [this.expectations.waitMs(key), d.requeueAfterMs ?? 0],
    });
  }

  /** Set the pool's finalizers; the new resourceVersion, or undefined when the pool is gone. */
  private async patchPoolFinalizers(pool: Pool, finalizers: string[]): Promise<string | undefined> {
    try {
      const updated = await this.client.jsonPatch<Pool>(
        VIRTUAL_MACHINE_POOLS,
        pool.metadata?.namespace,
        pool.metadata?.name ?? '',
        [
          { op: 'test', path: '/metadata/uid', value: pool.metadata?.uid },
          pool.metadata?.finalizers
            ? { op: 'test', path: '/metadata/finalizers', value: pool.metadata.finalizers }
            : { op: 'test', path: '/metadata/resourceVersion', value: pool.metadata?.resourceVersion },
          {
            op: pool.metadata?.finalizers ? 'replace' : 'add',
            path: '/metadata/finalizers',
            value: finalizers,
          },
        ],
      );
      return updated.metadata?.resourceVersion;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return undefined;
    }
  }

  /** A JSON patch with `test`s; a VM that is gone or changed meanwhile is left to the next round. */
  private async patchVm(vm: Vm, ops: unknown[]): Promise<void> {
    try {
      await this.client.jsonPatch(VIRTUAL_MACHINES, vm.metadata?.namespace, vm.metadata?.name ?? '', ops);
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err) && (err as { status?: number }).status !== 422) throw err;
    }
  }

  private async dropFinalizer(vm: Vm): Promise<void> {
    const fins = vm.metadata?.finalizers ?? [];
    if (!fins.includes(POOL_FINALIZER)) return;
    await this.patchVm(vm, [
      { op: 'test', path: '/metadata/uid', value: vm.metadata?.uid },
      { op: 'test', path: '/metadata/finalizers', value: fins },
      { op: 'replace', path: '/metadata/finalizers', value: fins.filter((f) => f !== POOL_FINALIZER) },
    ]);
  }

  /** Informer handlers on VMs: observe expectations and wake the pool that controls the VM. */
  vmHandlers(enqueue: (key: string) => void): InformerHandlers<Vm> {
    return ownedObjectHandlers<Vm>({
      ownerKeyOf: (vm) => ownerKeyIn(this.pools.cache, KIND, vm),
      expectations: this.expectations,
      enqueue,
    });
  }

  /** Informer handlers on VMIs: a member's VMI changing wakes the member's pool (readiness, updates). */
  vmiHandlers(enqueue: (key: string) => void): InformerHandlers<VirtualMachineInstance> {
    const wake = (vmi: VirtualMachineInstance): void => {
      const vm = this.vms.cache.get(objectKey(vmi));
      const key = vm ? ownerKeyIn(this.pools.cache, KIND, vm) : undefined;
      if (key) enqueue(key);
    };
    return { onAdd: wake, onUpdate: (_, cur) => wake(cur), onDelete: wake };
  }
}
