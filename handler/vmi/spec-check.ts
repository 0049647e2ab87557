/**
 * Pure: may the handler act on this VMI (prepare its pod's directory and volumes, write files,
 * start its launcher)? The handler trusts nothing it reads: a VMI may have been stored without
 * the admission webhook, or before a rule or a gate existed. It is judged as admission judges
 * it: the api/ validation (SpecValidity, once per generation) and the cluster's feature gates
 * (api/feature-gates.ts; gates change at any time, so they are checked every time).
 *
 * A refused VMI gets the condition the controller writes for an invalid spec
 * (`Synchronized=False`, reason `InvalidSpec`, every problem in the message) and one Warning
 * Event `InvalidSpec`, only when that condition changes (not once per resync). Accepted again
 * (a gate turned on, a fixed spec), the condition goes.
 */
import { featureGateIssues } from '../../api/feature-gates';
import { runtimeSupportIssues } from '../../api/runtime-support';
import { issueText } from '../../api/validation/issue';
import { INVALID_SPEC_REASON, invalidSpecMessage } from '../../api/validation/spec-validity';
import { findCondition, removeCondition, setCondition, type ConditionLike, type EventSpec } from '../../kube';
import { stamp } from './vmi-status';

export const SYNCHRONIZED = 'Synchronized';

export interface VmiCheckInput {
  readonly vmi: { readonly spec?: unknown; readonly status?: { readonly conditions?: ConditionLike[] } };
  /** What the api/ validation found in what the user wrote ("field: problem"), from SpecValidity. */
  readonly specProblems: readonly string[];
  /** The cluster's enabled feature gates now. */
  readonly featureGates: ReadonlySet<string>;
  readonly now: Date;
}

export interface VmiCheck {
  /** True when the handler may act on the VMI. */
  readonly act: boolean;
  /** Every reason it may not ("field: problem"); empty when it may. */
  readonly problems: readonly string[];
  /** The VMI's conditions as they should be, when they differ from what it carries. */
  readonly conditions?: ConditionLike[];
  /** The Warning to record: only when the refusal is new or its message changed. */
  readonly event?: EventSpec;
}

export function checkVmi(i: VmiCheckInput): VmiCheck {
  const asVmi = { kind: 'VirtualMachineInstance', spec: i.vmi.spec };
  const gated = [...featureGateIssues(asVmi, i.featureGates), ...runtimeSupportIssues(asVmi)]
    .filter((x) => x.severity === 'error')
    .map(issueText);
  const problems = [...i.specProblems, ...gated];
  const current = i.vmi.status?.conditions;
  const prev = findCondition(current, SYNCHRONIZED);
  if (!problems.length) {
    // A refusal of ours (or the controller's) that no longer holds is taken back.
    return prev?.reason === INVALID_SPEC_REASON
      ? { act: true, problems, conditions: removeCondition(current, SYNCHRONIZED) }
      : { act: true, problems };
  }
  const message = invalidSpecMessage('VirtualMachineInstance', problems);
  const told = prev?.status === 'False' && prev.reason === INVALID_SPEC_REASON && prev.message === message;
  if (told) return { act: false, problems };
  return {
    act: false,
    problems,
    conditions: setCondition(current, {
      type: SYNCHRONIZED,
      status: 'False',
      reason: INVALID_SPEC_REASON,
      message,
      lastProbeTime: null,
      lastTransitionTime: stamp(i.now),
    }),
    event: { type: 'Warning', reason: INVALID_SPEC_REASON, message },
  };
}
