/** The VM reconciler: reads the caches, asks decideVm/vmStatus what to do, and does it. */
import { isDeepStrictEqual } from 'util';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { errorMessage, isAlreadyExists, isNotFound } from '../../kube';
import type { EventRecorder, EventSpec } from '../../kube';
import type { Informer } from '../../kube';
import type { KubeClient } from '../../kube';
import { splitKey } from '../../kube';
import { VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube';
import { decideVm, vmStatus } from './desired';
import { SpecValidity } from '../../api/validation/spec-validity';
import { VM_CONTROLLER_FINALIZER } from './vmi-from-vm';

export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export class VmReconciler {
  constructor(
    private readonly client: KubeClient,
    private readonly vms: Informer<VirtualMachine>,
    private readonly vmis: Informer<VirtualMachineInstance>,
    private readonly recorder: EventRecorder,
    private readonly validity = new SpecValidity(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const vm = this.vms.cache.get(key);
    if (!vm) {
      this.validity.forget(key);
      return {};
    }
    const { namespace, name } = splitKey(key);
    const vmi = this.vmis.cache.get(key);
    const now = new Date();
    const specProblems = this.validity.problems(key, vm);
    const d = decideVm({ vm, vmi, now, specProblems });
    let syncError = d.syncError;
    let startExpected = false;
    let stopExpected = false;
    const events: EventSpec[] = [];
    try {
      if (d.addFinalizer) {
        await this.client.apply(VIRTUAL_MACHINES, namespace, name, {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachine',
          metadata: { name, namespace, finalizers: [VM_CONTROLLER_FINALIZER] },
        });
      }
      if (d.specPatch) {
        await this.client.mergePatch(VIRTUAL_MACHINES, namespace, name, { spec: d.specPatch });
        events.push({
          type: 'Normal',
          reason: 'SuccessfulUpdate',
          message: `A start request switched the Halted VM to ${d.specPatch.runStrategy ?? 'running: true'}`,
        });
      }
      if (d.createVmi) {
        try {
          await this.client.create(VIRTUAL_MACHINE_INSTANCES, namespace, d.createVmi);
          events.push(...d.events);
        } catch (err) {
          // A previous round's create won (the cache had not shown it yet): nothing to do.
          if (!isAlreadyExists(err))
            throw Object.assign(new Error(`creating VMI ${key}: ${errorMessage(err)}`), {
              reason: 'FailedCreate',
            });
        }
        startExpected = true;
      }
      if (d.deleteVmi) {
        try {
          await this.client.delete(VIRTUAL_MACHINE_INSTANCES, namespace, d.deleteVmi.name, {
            uid: d.deleteVmi.uid,
          });
          events.push(...d.events);
        } catch (err) {
          if (!isNotFound(err))
            throw Object.assign(
              new Error(`deleting VMI ${key} (uid ${d.deleteVmi.uid}): ${errorMessage(err)}`),
              { reason: 'FailedDelete' },
            );
        }
        stopExpected = true;
      }
    } catch (err) {
      const reason = (err as { reason?: string }).reason ?? 'FailedUpdate';
      syncError = { reason, message: errorMessage(err) };
      events.push({ type: 'Warning', reason, message: errorMessage(err) });
    }
    // A decision that acts on nothing (an invalid spec) still has its Events to record.
    if (d.syncError) events.push(...d.events);
    for (const ev of events) void this.recorder.record(vm, ev);

    const status = vmStatus({
      vm,
      vmi,
      now,
      startExpected,
      stopExpected,
      appendStartRequest: d.appendStartRequest,
      syncError,
    });
    if (!isDeepStrictEqual(status, vm.status ?? {})) {
      try {
        // resourceVersion-checked: if the cache was stale, this fails with 409 and the key is retried.
        await this.client.updateStatus(VIRTUAL_MACHINES, namespace, name, { ...vm, status });
      } catch (err) {
        if (isNotFound(err)) return {};
        throw err;
      }
    }
    if (d.releaseVmi) {
      const kept = d.releaseVmi.finalizers.filter((f) => f !== VM_CONTROLLER_FINALIZER);
      try {
        await this.client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, namespace, d.releaseVmi.name, [
          { op: 'test', path: '/metadata/uid', value: d.releaseVmi.uid },
          { op: 'test', path: '/metadata/finalizers', value: d.releaseVmi.finalizers },
          { op: 'replace', path: '/metadata/finalizers', value: kept },
        ]);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (d.removeFinalizer) {
      const current = vm.metadata?.finalizers ?? [];
      try {
        await this.client.jsonPatch(VIRTUAL_MACHINES, namespace, name, [
          { op: 'test', path: '/metadata/finalizers', value: current },
          {
            op: 'replace',
            path: '/metadata/finalizers',
            value: current.filter((f) => f !== VM_CONTROLLER_FINALIZER),
          },
        ]);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (syncError && !d.syncError) throw new Error(syncError.message);
    // Nothing to retry for an invalid spec: the next generation is checked when it is written.
    return { requeueAfterMs: d.requeueAfterMs };
  }
}
