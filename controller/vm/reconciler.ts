/**
 * The VM reconciler: reads the caches, resolves and stores the VM's instancetype and preference
 * (./instancetype-sync.ts), asks decideVm/vmStatus what to do, and does it.
 */
import { isDeepStrictEqual } from 'util';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { errorMessage, isAlreadyExists, isNotFound } from '../../kube';
import type { EventRecorder, EventSpec } from '../../kube';
import type { Informer } from '../../kube';
import type { KubeClient } from '../../kube';
import { splitKey } from '../../kube';
import { CONTROLLER_REVISIONS, VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube';
import { decideVm, vmStatus } from './desired';
import { SpecValidity } from '../../api/validation/spec-validity';
import { VM_CONTROLLER_FINALIZER, VM_GENERATION_ANNOTATION } from './vmi-from-vm';
import type { ControllerRevision } from './instancetype-revision';
import { type InstancetypeSync, type InstancetypeSyncResult, type StatusRefs } from './instancetype-sync';
import { isMarkedForDeletion } from './run-strategy';
import { withInferred } from './infer-from-volume';
import { applyVolumeRequests } from './volume-requests';
import type { DataVolumeTemplateSync, TemplateSyncResult } from './datavolume-templates';
import {
  latestStartRevision,
  restartRequired,
  specOfStartRevision,
  staleStartRevisions,
  startRevisionName,
} from './start-revision';

/** How long a VM whose inferFromVolume failed waits before the volume is looked at again. */
export const INFERENCE_RECHECK_MS = 30_000;

export interface ReconcileResult {
  readonly requeueAfterMs?: number;
}

export class VmReconciler {
  constructor(
    private readonly client: KubeClient,
    private readonly vms: Informer<VirtualMachine>,
    private readonly vmis: Informer<VirtualMachineInstance>,
    private readonly recorder: EventRecorder,
    private readonly instancetypes: InstancetypeSync,
    private readonly validity = new SpecValidity(),
  ) {}

  /** spec.dataVolumeTemplates -> DataVolumes (./datavolume-templates.ts); set by the manager. */
  dataVolumeTemplates?: DataVolumeTemplateSync;

  /** The Failure each VM was last told about by an Event (see once()). */
  private readonly told = new Map<string, string>();

  async reconcile(key: string): Promise<ReconcileResult> {
    let vm = this.vms.cache.get(key);
    if (!vm) {
      this.validity.forget(key);
      this.told.delete(key);
      return {};
    }
    const { namespace = '', name } = splitKey(key);
    const vmi = this.vmis.cache.get(key);
    const now = new Date();
    const specProblems = this.validity.problems(key, vm);
    // addvolume / removevolume of the VM (status.volumeRequests): applied first; the writes wake the VM up again.
    if (!isMarkedForDeletion(vm) && !specProblems.length && (await applyVolumeRequests(this.client, vm, vmi)))
      return {};
    let it: InstancetypeSyncResult | undefined;
    if (!isMarkedForDeletion(vm) && !specProblems.length && usesInstancetypes(vm)) {
      it = await this.instancetypes.sync(vm);
      // The refs go to status before anything is built from them, as KubeVirt writes them first.
      if (it.ok && !sameRefs(vm, it.refs)) vm = await this.writeRefs(vm, it.refs);
    }
    // The VM with what inferFromVolume found in its matchers: what VMIs are built from and compared with.
    const source = it?.ok ? withInferred(vm, it.inferred) : vm;
    const restart = it && !it.ok ? undefined : await this.restartRequired(source, vmi, it);
    const d = decideVm({
      vm,
      vmi,
      now,
      specProblems,
      source,
      instancetypeSpecs: it?.ok ? it.specs : undefined,
      instancetypeFailure: it && !it.ok ? it.failure : undefined,
      restartRequired: restart,
    });
    const dvs: TemplateSyncResult =
      isMarkedForDeletion(vm) || !this.dataVolumeTemplates ? {} : await this.dataVolumeTemplates.sync(vm);
    let syncError = d.syncError ?? dvs.failure;
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
      if (d.startRevision) await this.recordStart(vm, d.startRevision);
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
    for (const ev of this.once(key, d.syncError, events)) void this.recorder.record(vm, ev);

    const status = vmStatus({
      vm,
      vmi,
      now,
      startExpected,
      stopExpected,
      appendStartRequest: d.appendStartRequest,
      syncError,
      restartRequired: restart,
      dataVolumesProvisioning: dvs.dataVolumesProvisioning,
      dataVolumeError: dvs.dataVolumeError,
      waitingForVolumeBinding: dvs.waitingForVolumeBinding,
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
    // An API fault in the instancetype step is retried; a missing or conflicting object waits for a change.
    if (it && !it.ok && it.failure.retry) throw new Error(it.failure.message);
    // What inferFromVolume reads is not watched: look again after a while.
    if (it && !it.ok && it.failure.recheck) return { requeueAfterMs: INFERENCE_RECHECK_MS };
    // Nothing to retry for an invalid spec: the next generation is checked when it is written.
    return { requeueAfterMs: d.requeueAfterMs };
  }

  /**
   * The Events to record, without the Warning of a Failure this VM was already told about: the
   * status that says so may not be in the cache yet when the next round runs.
   */
  private once(
    key: string,
    failure: { reason: string; message: string } | undefined,
    events: readonly EventSpec[],
  ): EventSpec[] {
    if (!failure) {
      this.told.delete(key);
      return [...events];
    }
    const said = `${failure.reason}\n${failure.message}`;
    const repeated = this.told.get(key) === said;
    this.told.set(key, said);
    return events.filter(
      (e) =>
        !(repeated && e.type === 'Warning' && e.reason === failure.reason && e.message === failure.message),
    );
  }

  /** status.instancetypeRef / preferenceRef as this round resolved them (resourceVersion-checked). */
  private async writeRefs(vm: VirtualMachine, refs: StatusRefs): Promise<VirtualMachine> {
    const status = { ...(vm.status ?? {}) };
    delete status.instancetypeRef;
    delete status.preferenceRef;
    if (refs.instancetypeRef) status.instancetypeRef = refs.instancetypeRef;
    if (refs.preferenceRef) status.preferenceRef = refs.preferenceRef;
    return this.client.updateStatus<VirtualMachine>(
      VIRTUAL_MACHINES,
      vm.metadata?.namespace,
      vm.metadata?.name ?? '',
      { ...vm, status },
    );
  }

  /**
   * KubeVirt's revision-start-vm-<uid>-<generation>, created before the VMI; one of the same
   * name holding another spec is replaced, and the VM's older ones are deleted.
   */
  private async recordStart(vm: VirtualMachine, revision: ControllerRevision): Promise<void> {
    const namespace = vm.metadata?.namespace ?? '';
    const name = revision.metadata?.name ?? '';
    const fail = (err: unknown): Error =>
      Object.assign(new Error(`creating ControllerRevision ${namespace}/${name}: ${errorMessage(err)}`), {
        reason: 'FailedCreate',
      });
    try {
      await this.client.create(CONTROLLER_REVISIONS, namespace, revision);
    } catch (err) {
      if (!isAlreadyExists(err)) throw fail(err);
      const existing = await this.client.getIfExists<ControllerRevision>(
        CONTROLLER_REVISIONS,
        namespace,
        name,
      );
      if (!isDeepStrictEqual(existing?.data, JSON.parse(JSON.stringify(revision.data)))) {
        try {
          await this.client.delete(CONTROLLER_REVISIONS, namespace, name);
          await this.client.create(CONTROLLER_REVISIONS, namespace, revision);
        } catch (e) {
          throw fail(e);
        }
      }
    }
    const generation = vm.metadata?.generation ?? 1;
    for (const stale of staleStartRevisions(vm, this.instancetypes.revisionsOf(vm), generation)) {
      try {
        await this.client.delete(CONTROLLER_REVISIONS, namespace, stale);
      } catch (err) {
        if (!isNotFound(err)) throw fail(err);
      }
    }
  }

  /**
   * Whether the VMI must restart to show the VM as it is now: the spec its start revision holds
   * against the VM's (./start-revision.ts). Undefined when that cannot be told (no start
   * revision, a VMI being deleted, a revision that cannot be read).
   */
  private async restartRequired(
    vm: VirtualMachine,
    vmi: VirtualMachineInstance | undefined,
    it: InstancetypeSyncResult | undefined,
  ): Promise<boolean | undefined> {
    if (!vmi || isMarkedForDeletion(vmi)) return undefined;
    const namespace = vm.metadata?.namespace ?? '';
    const gen = Number(vmi.metadata?.annotations?.[VM_GENERATION_ANNOTATION]);
    const revisions = this.instancetypes.revisionsOf(vm);
    const revision = Number.isInteger(gen)
      ? revisions.find((r) => r.metadata?.name === startRevisionName(vm.metadata?.uid ?? '', gen))
      : latestStartRevision(vm, revisions);
    const started = revision && specOfStartRevision(revision);
    if (!started) return undefined;
    const startedSpecs = await this.instancetypes.specsOfStartSpec(namespace, started);
    if (!startedSpecs) return undefined;
    return restartRequired(started, startedSpecs, vm, it?.ok ? it.specs : {});
  }
}

/** Whether the VM names an instancetype or preference, or status still records one. */
function usesInstancetypes(vm: VirtualMachine): boolean {
  return !!(
    vm.spec?.instancetype ||
    vm.spec?.preference ||
    vm.status?.instancetypeRef ||
    vm.status?.preferenceRef
  );
}

function sameRefs(vm: VirtualMachine, refs: StatusRefs): boolean {
  return (
    isDeepStrictEqual(vm.status?.instancetypeRef ?? undefined, refs.instancetypeRef) &&
    isDeepStrictEqual(vm.status?.preferenceRef ?? undefined, refs.preferenceRef)
  );
}
