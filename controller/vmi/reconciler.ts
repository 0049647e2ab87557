/** The VMI reconciler: reads the caches, asks decideVmi what to do, and does it. */
import { isDeepStrictEqual } from 'util';
import { SpecValidity } from '../../api/validation/spec-validity';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { memoryOverhead } from '../../api/sizing';
import { errorMessage, isAlreadyExists, isNotFound } from '../../kube';
import type { EventRecorder, EventSpec } from '../../kube';
import type { Informer } from '../../kube';
import type { KubeClient } from '../../kube';
import { splitKey } from '../../kube';
import { PODS, VIRTUAL_MACHINE_INSTANCES } from '../../kube';
import type { ReconcileResult } from '../vm/reconciler';
import { controllerUid, VM_CONTROLLER_FINALIZER } from '../vm/vmi-from-vm';
import { renderLauncherPod, NODE_NAME_LABEL } from './launcher-pod';
import { decideVmi, FOREGROUND_FINALIZER, type LauncherPod } from './phase';
import type { VmiDataVolumes } from './datavolumes';
import { isEphemeralPod } from './ephemeral-pod';
import { AttachmentPods, currentLauncherPod } from './attachment-pod';
import type { KubeOvnIpam } from '../kubeovn/ipam';
import { addressProblem, clearAddressProblem } from './address-problem';
import { unpausedConditionPatch } from './unpaused-condition';

export const CREATED_BY_INDEX = 'createdBy';

/** How long a created pod may stay invisible in the cache before its absence counts. */
const EXPECTATION_TTL_MS = 30_000;
/** How soon a VMI whose address could not be allocated is tried again. */
const ADDRESS_RETRY_MS = 10_000;

export class VmiReconciler {
  /** VMI UID -> name and time of the pod created for it, until the cache shows the pod. */
  private readonly expected = new Map<string, { pod: string; at: number }>();

  constructor(
    private readonly client: KubeClient,
    private readonly vmis: Informer<VirtualMachineInstance>,
    private readonly pods: Informer<LauncherPod>,
    private readonly recorder: EventRecorder,
    private readonly launcherImage?: string,
    /** Whether the VM with this key and UID still exists (to release VMIs it can no longer release). */
    private readonly ownerVmExists: (key: string, uid: string) => boolean = () => true,
    private readonly validity = new SpecValidity(),
  ) {}

  /** The VMI's DataVolumes and its ephemeral provisioning pod (./datavolumes.ts); set by the manager. */
  dataVolumes?: VmiDataVolumes;

  /** Kube-OVN's IPAM (controller/kubeovn/): the addresses a launcher pod is created with; set by the manager. */
  kubeOvn?: KubeOvnIpam;

  /** Whether the cluster allows software emulation (the KubeVirt objects' useEmulation); set by the manager. */
  useEmulation: () => boolean = () => false;

  /** Hotplug attachment pods (./attachment-pod.ts), made on first use. */
  private attachment?: AttachmentPods;
  private get attachmentPods(): AttachmentPods {
    return (this.attachment ??= new AttachmentPods(this.client, this.recorder, this.launcherImage));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const vmi = this.vmis.cache.get(key);
    if (!vmi) {
      this.validity.forget(key);
      return {};
    }
    const { namespace, name } = splitKey(key);
    const uid = vmi.metadata?.uid ?? '';
    const allPods = this.pods.cache.byIndex(CREATED_BY_INDEX, uid);
    // The ephemeral provisioning pod carries no VM: the launcher's life cycle ignores it.
    const pods = allPods.filter(
      (p) => !isEphemeralPod(p as { metadata?: { annotations?: Record<string, string> } }),
    );
    const dvs = this.dataVolumes?.state(vmi);
    const exp = this.expected.get(uid);
    if (exp && (pods.some((p) => p.metadata?.name === exp.pod) || Date.now() - exp.at > EXPECTATION_TTL_MS))
      this.expected.delete(uid);
    const d = decideVmi({
      vmi,
      pods,
      now: new Date(),
      podCreationExpected: this.expected.has(uid),
      specProblems: this.validity.problems(key, vmi),
      dataVolumesReady: dvs?.ready,
    });
    if (dvs) this.dataVolumes?.describe(vmi, d.status, dvs);
    let current: VirtualMachineInstance = vmi;

    if (d.addFinalizer) {
      const finalizers = [...(vmi.metadata?.finalizers ?? []), FOREGROUND_FINALIZER];
      current = await this.client.jsonPatch<VirtualMachineInstance>(
        VIRTUAL_MACHINE_INSTANCES,
        namespace,
        name,
        [
          { op: 'test', path: '/metadata/uid', value: uid },
          { op: 'test', path: '/metadata/resourceVersion', value: vmi.metadata?.resourceVersion },
          { op: 'add', path: '/metadata/finalizers', value: finalizers },
        ],
      );
    }
    let addressRetry = false;
    const events: EventSpec[] = [...d.events];
    if (d.createPod) {
      const pod = renderLauncherPod(vmi, {
        overheadBytes: memoryOverhead(vmi.spec),
        image: this.launcherImage,
        useEmulation: this.useEmulation(),
      });
      // Kube-OVN's addresses are allocated before the pod exists, as kube-ovn-controller does
      // before the pod's CNI runs; an address that cannot be given keeps the pod from being made.
      const problem = await addressProblem(vmi, d.status, new Date(), async () => {
        const extra = await this.kubeOvn?.podAnnotations(vmi, pod.metadata.annotations);
        Object.assign(pod.metadata.annotations, extra);
      });
      if (problem) {
        if (problem.event) events.push(problem.event);
        addressRetry = true;
      } else await this.createLauncherPod(vmi, pod, namespace, uid);
    }
    // Level-triggered: unless an allocation just failed, no address problem stands (the pod was
    // made, now or by an earlier reconcile whose status write lost a conflict).
    if (!addressRetry) clearAddressProblem(d.status);
    for (const p of d.deletePods) {
      try {
        await this.client.delete(PODS, namespace, p.name, { uid: p.uid });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (dvs) await this.dataVolumes?.syncEphemeralPod(vmi, allPods, dvs);
    await this.attachmentPods.sync(vmi, currentLauncherPod(vmi, pods));
    // The readiness gate of its launcher pods: False while paused (./unpaused-condition.ts).
    for (const p of pods) {
      const ops = unpausedConditionPatch(vmi, p, new Date());
      if (!ops || !p.metadata?.name) continue;
      try {
        await this.client.jsonPatch(PODS, namespace, p.metadata.name, ops, { subresource: 'status' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (d.nodeNameLabel) {
      current = await this.client.apply<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, namespace, name, {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: { name, namespace, labels: { [NODE_NAME_LABEL]: d.nodeNameLabel } },
      });
    }
    if (!isDeepStrictEqual(d.status, vmi.status ?? {})) {
      try {
        // The cache is not updated here: the watch event of this write must reach the handlers.
        current = await this.client.updateStatus<VirtualMachineInstance>(
          VIRTUAL_MACHINE_INSTANCES,
          namespace,
          name,
          { ...current, status: d.status },
        );
      } catch (err) {
        if (isNotFound(err)) return {};
        throw err;
      }
    }
    // Recorded once the status that says the same is written: a conflict (a stale cache) retries
    // the reconcile, which would otherwise record an Event the written condition would not dedupe.
    for (const ev of events) void this.recorder.record(vmi, ev);
    const ownerUid = controllerUid(current);
    const orphaned = ownerUid !== undefined && !this.ownerVmExists(key, ownerUid);
    const dropVmFinalizer =
      orphaned &&
      (current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed') &&
      (current.metadata?.finalizers ?? []).includes(VM_CONTROLLER_FINALIZER);
    if (d.removeFinalizer || dropVmFinalizer) {
      const fins = current.metadata?.finalizers ?? [];
      const drop = new Set([
        ...(d.removeFinalizer ? [FOREGROUND_FINALIZER] : []),
        ...(dropVmFinalizer ? [VM_CONTROLLER_FINALIZER] : []),
      ]);
      try {
        await this.client.jsonPatch(VIRTUAL_MACHINE_INSTANCES, namespace, name, [
          { op: 'test', path: '/metadata/uid', value: uid },
          { op: 'test', path: '/metadata/finalizers', value: fins },
          { op: 'replace', path: '/metadata/finalizers', value: fins.filter((f) => !drop.has(f)) },
        ]);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // While a created pod is not yet visible, look again when its expectation lapses; an address
    // that could not be given is tried again (an address may be released, a Subnet created).
    if (addressRetry) return { requeueAfterMs: ADDRESS_RETRY_MS };
    return this.expected.has(uid) ? { requeueAfterMs: EXPECTATION_TTL_MS } : {};
  }

  private async createLauncherPod(
    vmi: VirtualMachineInstance,
    pod: ReturnType<typeof renderLauncherPod>,
    namespace: string | undefined,
    uid: string,
  ): Promise<void> {
    try {
      await this.client.create(PODS, namespace, pod);
      void this.recorder.record(vmi, {
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created virtual machine pod ${pod.metadata.name}`,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) {
        void this.recorder.record(vmi, {
          type: 'Warning',
          reason: 'FailedCreate',
          message: `Error creating pod ${pod.metadata.name}: ${errorMessage(err)}`,
        });
        throw err;
      }
    }
    this.expected.set(uid, { pod: pod.metadata.name, at: Date.now() });
  }
}
