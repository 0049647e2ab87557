/**
 * The VMI controller's decisions, separated from I/O: given a VMI and the launcher pods created
 * for it, which pod to create or delete, which finalizer to add or drop, and the VMI status.
 *
 *   Pending     no pod yet (waiting for DataVolumes, or about to create one)
 *   Scheduling  pod created, not bound to a node (PodScheduled mirrors the pod's condition)
 *   Scheduled   pod bound: status.nodeName, activePods, label kubevirt.io/nodeName
 *   Running     written by the handler once QEMU runs; never overridden here
 *   Succeeded / Failed   the pod ended (Succeeded counts only after Running), or the pod vanished
 *               while the VMI was past Pending, or the VMI was deleted before its guest ran.
 * A deleted VMI gets its pods deleted; its foregroundDeleteVirtualMachine finalizer is removed
 * once no pod is left.
 *
 * Live migration (controller/migration/) gives a VMI a second launcher pod, its target pod
 * (labelled kubevirt.io/migrationJobUID). It is not the VMI's pod until the migration controller
 * hands the VMI over to its node (status.nodeName); until then its scheduling, failure or end
 * leave the VMI as it is. The source pod ends Succeeded once the guest has left it: after a
 * migration that completed without failure that is not the end of the VMI. A deleted or final
 * VMI gets target pods deleted too. A launcher pod that cannot start (its image cannot be pulled, its sandbox
 * network cannot be made) makes the VMI Synchronized=False with the pod's reason and message
 * until it is past that. Pure.
 */
import type {
  VirtualMachineInstance,
  VirtualMachineInstanceCondition,
  VirtualMachineInstancePhase,
  VirtualMachineInstanceStatus,
} from '../../api/kubevirt/v1';
import { INVALID_SPEC_REASON, invalidSpecMessage } from '../../api/validation/spec-validity';
import { findCondition, removeCondition, setCondition } from '../../kube';
import { FAILED_CREATE_POD_SANDBOX, POD_SANDBOX_FAILURE_REASONS } from '../../api/pod-sandbox';
import type { EventSpec } from '../../kube';
import { isFinal, isMarkedForDeletion } from '../vm/run-strategy';
import { NODE_NAME_LABEL } from './launcher-pod';
import { isMigrationTargetPod } from '../../api/kubevirt/v1/migration-labels';
import { metav1Time } from '../../api/k8s/meta';

export const FOREGROUND_FINALIZER = 'foregroundDeleteVirtualMachine';

export interface LauncherPod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: {
      type: string;
      status: 'True' | 'False' | 'Unknown';
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
    containerStatuses?: {
      name?: string;
      state?: { waiting?: { reason?: string; message?: string } };
    }[];
  };
}

/** The waiting reasons of a launcher pod's containers that KubeVirt reports on the VMI. */
const IMAGE_ERRORS = ['ErrImagePull', 'ImagePullBackOff'];

/** kubelet's pod condition for the pod's sandbox (its network namespace and addresses). */
export const POD_SANDBOX_CONDITION = 'PodReadyToStartContainers';

interface PodError {
  readonly reason: string;
  readonly message: string;
  /** Also a Warning Event on the VMI (the handler records image pull failures itself). */
  readonly event: boolean;
}

/**
 * Why the launcher pod cannot start, as the VMI reports it: a container waiting on its image
 * (KubeVirt's checkForContainerImageError), or a sandbox that could not be made (the pod's
 * PodReadyToStartContainers=False with a message: the handler's CNI / Multus failure, whose
 * reason it carries).
 */
function podError(pod: LauncherPod): PodError | undefined {
  const waiting = pod.status?.containerStatuses
    ?.map((c) => c.state?.waiting)
    .find((w) => w?.reason !== undefined && IMAGE_ERRORS.includes(w.reason));
  if (waiting?.reason) return { reason: waiting.reason, message: waiting.message ?? '', event: false };
  if (pod.status?.phase !== 'Pending') return undefined;
  const sandbox = findCondition(pod.status?.conditions, POD_SANDBOX_CONDITION);
  if (sandbox?.status !== 'False' || !sandbox.message) return undefined;
  const reason =
    sandbox.reason && POD_SANDBOX_FAILURE_REASONS.includes(sandbox.reason)
      ? sandbox.reason
      : FAILED_CREATE_POD_SANDBOX;
  return { reason, message: sandbox.message, event: true };
}

/**
 * The launcher pod's image or sandbox failure makes the VMI's Synchronized condition False
 * with the same reason and message (an image error is what printableStatus shows as
 * ErrImagePull / ImagePullBackOff; a sandbox failure leaves it Starting, as in KubeVirt). A
 * sandbox failure is also one Warning Event on the VMI, only when the condition changes (not
 * on each of the runtime's retries). The condition goes once the pod is past it.
 */
function syncPodError(
  status: VirtualMachineInstanceStatus,
  pod: LauncherPod,
  now: Date,
  events: EventSpec[],
): void {
  const error = podError(pod);
  const prev = findCondition(status.conditions, 'Synchronized');
  if (error) {
    if (prev?.status === 'False' && prev.reason === error.reason && prev.message === error.message) return;
    status.conditions = setCondition(status.conditions, {
      type: 'Synchronized',
      status: 'False',
      reason: error.reason,
      message: error.message,
      lastProbeTime: null,
      lastTransitionTime: stamp(now),
    });
    if (error.event) events.push({ type: 'Warning', reason: error.reason, message: error.message });
  } else if (
    prev?.reason &&
    (IMAGE_ERRORS.includes(prev.reason) || POD_SANDBOX_FAILURE_REASONS.includes(prev.reason))
  )
    status.conditions = removeCondition(status.conditions, 'Synchronized');
}

export interface VmiInputs {
  readonly vmi: VirtualMachineInstance;
  /** Pods labelled kubevirt.io/created-by=<vmi uid>. */
  readonly pods: readonly LauncherPod[];
  readonly now: Date;
  /** A pod was created for this VMI and the cache has not shown it yet. */
  readonly podCreationExpected?: boolean;
  /** false while DataVolumes the VMI uses are not ready; undefined when it uses none. */
  readonly dataVolumesReady?: boolean;
  /** Errors the api/ validation finds in the VMI (api/validation/spec-validity.ts): no pod is created. */
  readonly specProblems?: readonly string[];
}

export interface VmiDecision {
  readonly createPod?: boolean;
  readonly deletePods: readonly { readonly name: string; readonly uid: string }[];
  readonly addFinalizer?: boolean;
  readonly removeFinalizer?: boolean;
  /** Set the kubevirt.io/nodeName label on the VMI. */
  readonly nodeNameLabel?: string;
  readonly status: VirtualMachineInstanceStatus;
  readonly events: readonly EventSpec[];
}

type Cond = VirtualMachineInstanceCondition;

function podFinal(p: LauncherPod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function podLive(p: LauncherPod): boolean {
  return !isMarkedForDeletion(p) && !podFinal(p);
}

/**
 * Whether a launcher pod of the VMI is the VMI's own pod: any pod but the target pod of a live
 * migration, which is the VMI's once the VMI is handed over to its node.
 */
export function isVmiPod(p: LauncherPod, vmi: VirtualMachineInstance): boolean {
  if (!isMigrationTargetPod(p.metadata?.labels)) return true;
  const node = vmi.status?.nodeName;
  return !!node && p.spec?.nodeName === node;
}

/** The pod the guest left in a migration that completed without failure. */
function migratedFrom(vmi: VirtualMachineInstance, p: LauncherPod): boolean {
  const ms = vmi.status?.migrationState;
  return !!ms?.completed && !ms.failed && !!ms.sourcePod && ms.sourcePod === p.metadata?.name;
}

/**
 * A migration completed without failure and its target pod lives, but the VMI is not handed over
 * to the target node yet: the guest runs in the target pod, whatever the source pod does now.
 */
function awaitingHandover(vmi: VirtualMachineInstance, pods: readonly LauncherPod[]): boolean {
  const ms = vmi.status?.migrationState;
  if (!ms?.completed || ms.failed || !ms.targetPod) return false;
  return pods.some((p) => p.metadata?.name === ms.targetPod && podLive(p));
}

function podRef(p: LauncherPod): { name: string; uid: string } {
  return { name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '' };
}

function stamp(now: Date): string {
  return metav1Time(now);
}

/** The status with `phase` entered now (a transition timestamp is added only on change). */
function enter(status: VirtualMachineInstanceStatus, phase: VirtualMachineInstancePhase, now: Date): void {
  if (status.phase === phase) return;
  status.phase = phase;
  status.phaseTransitionTimestamps = [
    ...(status.phaseTransitionTimestamps ?? []),
    { phase, phaseTransitionTimestamp: stamp(now) },
  ];
}

function notReady(status: VirtualMachineInstanceStatus, reason: string, message: string, now: Date): void {
  status.conditions = setCondition(status.conditions, {
    type: 'Ready',
    status: 'False',
    reason,
    message,
    lastProbeTime: null,
    lastTransitionTime: stamp(now),
  });
}

export function decideVmi(i: VmiInputs): VmiDecision {
  const { vmi, now } = i;
  const name = `${vmi.metadata?.namespace}/${vmi.metadata?.name}`;
  const status: VirtualMachineInstanceStatus = structuredClone(vmi.status ?? {});
  const events: EventSpec[] = [];
  const deletePods: { name: string; uid: string }[] = [];
  const finalizers = vmi.metadata?.finalizers ?? [];
  // Every launcher pod of the VMI, migration target pods included (all go with the VMI)...
  const allPods = [...i.pods].sort((a, b) =>
    String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
  );
  // ...and those that are the VMI's own: the one on the VMI's node first (after a migration's
  // handover the target pod, even when both pods were created in the same second).
  const pods = allPods.filter((p) => isVmiPod(p, vmi));
  const livePods = pods.filter(podLive);
  const onNode = livePods.filter((p) => !!vmi.status?.nodeName && p.spec?.nodeName === vmi.status.nodeName);
  const pod = onNode[onNode.length - 1] ?? livePods[livePods.length - 1] ?? pods[pods.length - 1];
  const handingOver = awaitingHandover(vmi, allPods);
  const wasStarted = status.phase !== undefined && status.phase !== 'Pending';

  if (isMarkedForDeletion(vmi)) {
    for (const p of allPods) if (!isMarkedForDeletion(p)) deletePods.push(podRef(p));
    if (deletePods.length)
      events.push({
        type: 'Normal',
        reason: 'SuccessfulDelete',
        message: `Deleting launcher pod(s) ${deletePods.map((p) => p.name).join(', ')} of deleted VMI ${name}`,
      });
    if (allPods.length === 0) {
      if (!isFinal(vmi)) enter(status, 'Failed', now);
      notReady(status, 'PodTerminating', 'The VMI was deleted and its launcher pod is gone', now);
      return { deletePods, removeFinalizer: finalizers.includes(FOREGROUND_FINALIZER), status, events };
    }
    return { deletePods, status, events };
  }

  const addFinalizer = !finalizers.includes(FOREGROUND_FINALIZER) && !isFinal(vmi);

  if (isFinal(vmi)) {
    for (const p of allPods.filter(podLive)) deletePods.push(podRef(p));
    notReady(status, 'GuestNotRunning', `The VMI is ${status.phase}`, now);
    return { deletePods, status, events };
  }

  // The guest runs in a completed migration's target pod: the migration controller hands over.
  if (handingOver && livePods.length === 0) return { addFinalizer, deletePods, status, events };

  if (!pod) {
    if (!wasStarted) {
      enter(status, 'Pending', now);
      // An invalid VMI (stored without admission) gets no launcher pod, and says why.
      if (i.specProblems?.length) {
        const message = invalidSpecMessage('VirtualMachineInstance', i.specProblems);
        const prev = findCondition(status.conditions, 'Synchronized');
        if (prev?.reason !== INVALID_SPEC_REASON || prev.message !== message)
          events.push({ type: 'Warning', reason: INVALID_SPEC_REASON, message });
        status.conditions = setCondition(status.conditions, {
          type: 'Synchronized',
          status: 'False',
          reason: INVALID_SPEC_REASON,
          message,
          lastProbeTime: null,
          lastTransitionTime: stamp(now),
        });
        notReady(status, 'PodNotExists', 'The VMI is invalid; no launcher pod is created', now);
        return { addFinalizer, deletePods, status, events };
      }
      if (findCondition(status.conditions, 'Synchronized')?.reason === INVALID_SPEC_REASON)
        status.conditions = removeCondition(status.conditions, 'Synchronized');
      if (i.dataVolumesReady === false) {
        status.conditions = setCondition(status.conditions, {
          type: 'Provisioning',
          status: 'True',
          reason: 'DataVolumesNotReady',
          message: 'Waiting for the DataVolumes of the VMI to be populated',
          lastProbeTime: null,
          lastTransitionTime: stamp(now),
        });
        notReady(status, 'PodNotExists', 'The launcher pod waits for DataVolumes', now);
        return { addFinalizer, deletePods, status, events };
      }
      status.conditions = removeCondition(status.conditions, 'Provisioning');
      if (i.podCreationExpected) return { addFinalizer, deletePods, status, events };
      enter(status, 'Scheduling', now);
      notReady(status, 'PodNotExists', 'The launcher pod has not been scheduled yet', now);
      return { addFinalizer, createPod: true, deletePods, status, events };
    }
    if (status.phase === 'Scheduling' && i.podCreationExpected)
      return { addFinalizer, deletePods, status, events };
    if (
      status.phase === 'Scheduling' ||
      status.phase === 'Scheduled' ||
      status.phase === 'Running' ||
      status.phase === 'Unknown'
    ) {
      enter(status, 'Failed', now);
      status.reason = 'PodVanished';
      notReady(status, 'PodNotExists', 'The launcher pod is gone', now);
      events.push({
        type: 'Warning',
        reason: 'Stopped',
        message: `The launcher pod of VMI ${name} disappeared while the VMI was ${vmi.status?.phase}; marking it Failed`,
      });
    }
    return { addFinalizer, deletePods, status, events };
  }

  // The pod ended: the VMI ends with it.
  if (podFinal(pod) && pod === pods[pods.length - 1] && livePods.length === 0) {
    // A source pod ends Succeeded once a migration took the guest away; its guest did not end.
    const left = migratedFrom(vmi, pod);
    const ok = pod.status?.phase === 'Succeeded' && status.phase === 'Running' && !left;
    enter(status, ok ? 'Succeeded' : 'Failed', now);
    notReady(status, 'PodTerminating', `Launcher pod ${pod.metadata?.name} ${pod.status?.phase}`, now);
    if (!ok)
      events.push({
        type: 'Warning',
        reason: 'Stopped',
        message: left
          ? `The guest of VMI ${name} left launcher pod ${pod.metadata?.name} in a migration, and the migration's target pod ${vmi.status?.migrationState?.targetPod} is gone`
          : `Launcher pod ${pod.metadata?.name} of VMI ${name} ended with phase ${pod.status?.phase}${pod.status?.reason ? ` (${pod.status.reason})` : ''}`,
      });
    return { addFinalizer, deletePods, status, events };
  }

  const scheduled = findCondition(pod.status?.conditions, 'PodScheduled');
  if (scheduled) {
    status.conditions = setCondition(status.conditions, {
      type: 'PodScheduled',
      status: scheduled.status,
      reason: scheduled.reason,
      message: scheduled.message,
      lastProbeTime: null,
      lastTransitionTime: scheduled.lastTransitionTime ?? stamp(now),
    } as Cond);
  }
  const node = pod.spec?.nodeName;
  let nodeNameLabel: string | undefined;
  if (node) {
    status.nodeName = node;
    status.activePods = { ...(status.activePods ?? {}), [pod.metadata?.uid ?? '']: node };
    if (vmi.metadata?.labels?.[NODE_NAME_LABEL] !== node) nodeNameLabel = node;
    if (status.phase === 'Pending' || status.phase === 'Scheduling' || status.phase === undefined) {
      if (status.phase === undefined) enter(status, 'Pending', now);
      if (status.phase === 'Pending') enter(status, 'Scheduling', now);
      enter(status, 'Scheduled', now);
      events.push({
        type: 'Normal',
        reason: 'Scheduled',
        message: `VMI ${name} scheduled to node ${node} (pod ${pod.metadata?.name})`,
      });
    }
  } else if (status.phase === undefined || status.phase === 'Pending') {
    enter(status, 'Pending', now);
    enter(status, 'Scheduling', now);
  }
  syncPodError(status, pod, now, events);
  if (status.phase !== 'Running') notReady(status, 'GuestNotRunning', 'The guest is not running yet', now);
  return { addFinalizer, deletePods, nodeNameLabel, status, events };
}
