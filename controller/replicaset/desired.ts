/**
 * The VirtualMachineInstanceReplicaSet controller's decisions, separated from I/O, with
 * KubeVirt's semantics:
 *  - VMIs count when they are active: not final, not being deleted, not Ready=False/PodTerminating;
 *  - too few: create VMIs from spec.template, named by the API server from generateName (the
 *    template's name or generateName, else the replica set's name, with no dash added), labels and
 *    annotations from the template, controlled by the replica set;
 *  - too many: delete the surplus; KubeVirt leaves the order open ("not yet running < migrating <
 *    other" is its stated intent), virtkit follows that intent and then Kubernetes' ReplicaSet:
 *    not yet running, then migrating, then not Ready, then the youngest;
 *  - final VMIs (Succeeded, Failed) and unknown ones are deleted once scaling succeeded;
 *  - at most `burst` creations or deletions per round (KubeVirt's burstReplicas, 250);
 *  - nothing is created or deleted while spec.paused, while the replica set is being deleted, or
 *    while earlier creations and deletions are not yet seen in the cache.
 * Pure.
 */
import type {
  VirtualMachineInstance,
  VirtualMachineInstanceReplicaSet,
  VirtualMachineInstanceReplicaSetCondition,
  VirtualMachineInstanceReplicaSetStatus,
} from '../../api/kubevirt/v1';
import { hasCondition, type EventSpec } from '../../kube';
import { replicaConditions } from '../replicas/replica-conditions';
import { controllerRefTo, isDeleting } from '../replicas/ownership';
import { parseSelector, selectorMatches, type ParsedSelector } from '../replicas/label-selector';

import { BURST_REPLICAS } from '../replicas/burst';

export { REPLICA_FAILURE, REPLICA_PAUSED } from '../replicas/replica-conditions';

export interface RsInputs {
  readonly rs: VirtualMachineInstanceReplicaSet;
  /** VMIs the replica set owns (after adoption and release). */
  readonly vmis: readonly VirtualMachineInstance[];
  readonly expectationsSatisfied: boolean;
  readonly burst?: number;
}

export interface RsDecision {
  /** How many VMIs to create from `template`. */
  readonly create: number;
  readonly template?: VirtualMachineInstance;
  /** VMIs to delete to scale in (surplus, in deletion order). */
  readonly scaleIn: readonly VirtualMachineInstance[];
  /** Final or unknown VMIs to delete (only when scaling succeeds). */
  readonly cleanUp: readonly VirtualMachineInstance[];
}

export const desiredReplicas = (rs: VirtualMachineInstanceReplicaSet): number => rs.spec.replicas ?? 1;

const isFinal = (vmi: VirtualMachineInstance): boolean =>
  vmi.status?.phase === 'Succeeded' || vmi.status?.phase === 'Failed';

const isTerminatingPod = (vmi: VirtualMachineInstance): boolean =>
  hasCondition(vmi.status?.conditions, 'Ready', 'False', 'PodTerminating');

export const isActive = (vmi: VirtualMachineInstance): boolean =>
  !isFinal(vmi) && !isDeleting(vmi) && !isTerminatingPod(vmi);

export const isReady = (vmi: VirtualMachineInstance): boolean =>
  hasCondition(vmi.status?.conditions, 'Ready', 'True');

/** Final, or unknown (its pod is terminating), and not yet being deleted. */
const isFinishedOrUnknown = (vmi: VirtualMachineInstance): boolean =>
  !isDeleting(vmi) && (isFinal(vmi) || isTerminatingPod(vmi));

const NOT_RUNNING_YET = new Set(['', 'Pending', 'Scheduling', 'Scheduled']);

function scaleInRank(vmi: VirtualMachineInstance): number {
  if (NOT_RUNNING_YET.has(vmi.status?.phase ?? '')) return 0;
  const m = vmi.status?.migrationState;
  if (m && !m.completed && !m.failed) return 1;
  return isReady(vmi) ? 3 : 2;
}

/** The order in which surplus VMIs go: not yet running, migrating, not Ready, then youngest first. */
export function scaleInOrder(vmis: readonly VirtualMachineInstance[]): VirtualMachineInstance[] {
  const created = (v: VirtualMachineInstance): number => Date.parse(v.metadata?.creationTimestamp ?? '') || 0;
  return [...vmis].sort(
    (a, b) =>
      scaleInRank(a) - scaleInRank(b) ||
      created(b) - created(a) ||
      (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''),
  );
}

/** The VMI the replica set creates (the API server completes the name). */
export function vmiFromTemplate(rs: VirtualMachineInstanceReplicaSet): VirtualMachineInstance {
  const t = rs.spec.template.metadata ?? {};
  const base = t.name || t.generateName || rs.metadata?.name || '';
  const meta = structuredClone(t) as Record<string, unknown>;
  delete meta.name;
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      ...meta,
      generateName: base,
      namespace: rs.metadata?.namespace,
      ...(t.labels ? { labels: { ...t.labels } } : {}),
      ownerReferences: [controllerRefTo(rs)],
    },
    spec: structuredClone(rs.spec.template.spec ?? { domain: { devices: {} } }),
  };
}

/**
 * Problems that stop the replica set from acting (KubeVirt refuses to act on them too), each
 * naming the field, the value and the fix.
 */
export function replicaSetProblems(rs: VirtualMachineInstanceReplicaSet): {
  problems: string[];
  selector?: ParsedSelector;
} {
  const parsed = parseSelector(rs.spec.selector, 'spec.selector');
  const problems = parsed.ok ? [] : [...parsed.problems];
  const labels = rs.spec.template?.metadata?.labels ?? {};
  if (!rs.spec.template)
    problems.push('spec.template is missing; set the VMI template the replica set creates');
  else if (Object.keys(labels).length === 0)
    problems.push(
      'spec.template.metadata.labels is empty; the replica set finds its VMIs by these labels, add labels that spec.selector matches',
    );
  else if (parsed.ok && !selectorMatches(parsed.selector, labels))
    problems.push(
      `spec.selector (${parsed.selector.text || 'empty'}) does not match spec.template.metadata.labels ${JSON.stringify(labels)}; the replica set would never see the VMIs it creates, make the selector match the template labels`,
    );
  return parsed.ok ? { problems, selector: parsed.selector } : { problems };
}

export function decideReplicaSet(i: RsInputs): RsDecision {
  const { rs } = i;
  const none: RsDecision = { create: 0, scaleIn: [], cleanUp: [] };
  if (rs.spec.paused || isDeleting(rs) || !i.expectationsSatisfied) return none;
  const burst = i.burst ?? BURST_REPLICAS;
  const active = i.vmis.filter(isActive);
  const diff = active.length - desiredReplicas(rs);
  const cleanUp = i.vmis.filter(isFinishedOrUnknown).slice(0, burst);
  if (diff < 0)
    return { create: Math.min(-diff, burst), template: vmiFromTemplate(rs), scaleIn: [], cleanUp };
  if (diff > 0) return { create: 0, scaleIn: scaleInOrder(active).slice(0, Math.min(diff, burst)), cleanUp };
  return { create: 0, scaleIn: [], cleanUp };
}

export interface RsStatusInputs {
  readonly rs: VirtualMachineInstanceReplicaSet;
  readonly vmis: readonly VirtualMachineInstance[];
  readonly labelSelector: string;
  readonly now: Date;
  /** The scaling error of this round: reason (FailedCreate, FailedDelete, InvalidSpec) and message. */
  readonly failure?: { readonly reason: string; readonly message: string };
}

const PAUSE_WORDING = {
  reason: 'Paused',
  message: 'Controller got paused',
  pausedEvent: { type: 'Normal', reason: 'SuccessfulPaused', message: 'Paused' },
  resumedEvent: { type: 'Normal', reason: 'SuccessfulResumed', message: 'Resumed' },
} as const;

/** The status after this round, and the Events of a pause change. */
export function replicaSetStatus(i: RsStatusInputs): {
  status: VirtualMachineInstanceReplicaSetStatus;
  events: EventSpec[];
} {
  const prev = i.rs.status ?? {};
  const active = i.vmis.filter(isActive);
  const { conditions, events } = replicaConditions(prev.conditions, {
    paused: i.rs.spec.paused === true,
    failure: i.failure,
    failureEvent: false,
    now: i.now,
    wording: PAUSE_WORDING,
  });
  const status: VirtualMachineInstanceReplicaSetStatus = {
    ...prev,
    replicas: active.length,
    readyReplicas: active.filter(isReady).length,
    labelSelector: i.labelSelector,
  };
  if (conditions.length) status.conditions = conditions as VirtualMachineInstanceReplicaSetCondition[];
  else delete status.conditions;
  return { status, events };
}
