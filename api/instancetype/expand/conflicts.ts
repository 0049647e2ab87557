/**
 * What stops an expansion, in KubeVirt's words and in virtkit's: a VM field the instancetype
 * also sets (a conflict), a preference requirement the VM or instancetype does not meet, or a
 * reference the caller did not resolve. Each becomes a problem `{field, message}` that names the
 * field, the value and the fix; the summary sentence is KubeVirt's, word for word, because
 * clients and tests match on it. Pure.
 */
import { show } from '../../validation/issue';

/** A VM field the instancetype also sets (KubeVirt reports the field path). */
export interface Conflict {
  /** KubeVirt's path of the field: `spec.template.spec.domain.cpu.sockets`, `annotations.KEY`. */
  readonly field: string;
  /** What the VM (or the instancetype) has there, for the message. */
  readonly value?: unknown;
  /** Why it conflicts and how to fix it (virtkit's words, after KubeVirt's sentence). */
  readonly fix: string;
  /** KubeVirt's own message for this one conflict, when it has one (the spread topology). */
  readonly message?: string;
}

export type ProblemKind = 'InstancetypeConflict' | 'PreferenceRequirement' | 'Unresolved';

/** One reason a VM cannot be expanded: the field, and a message with the value and the fix. */
export interface ExpansionProblem {
  readonly kind: ProblemKind;
  /** KubeVirt's path of the field (`spec.template.spec.domain.cpu.sockets`, `spec.instancetype`). */
  readonly field: string;
  /** KubeVirt's own sentence for this problem alone (what its API answers for it). */
  readonly summary: string;
  /** The summary, with the value and the fix. */
  readonly message: string;
}

/** KubeVirt's sentence for conflicts: `VM field(s) A, B conflicts with selected instance type`. */
export function conflictsMessage(conflicts: readonly Pick<Conflict, 'field'>[]): string {
  return `VM field(s) ${conflicts.map((c) => c.field).join(', ')} conflicts with selected instance type`;
}

/** One conflict as a problem: KubeVirt's sentence for it, the value, the fix. */
export function conflictProblem(conflict: Conflict): ExpansionProblem {
  const sentence = conflict.message ?? conflictsMessage([conflict]);
  const value = conflict.value === undefined ? '' : ` (the VM sets ${show(conflict.value)})`;
  return {
    kind: 'InstancetypeConflict',
    field: conflict.field,
    summary: sentence,
    message: `${sentence}${value}: ${conflict.fix}`,
  };
}

/** KubeVirt's prefix of a requirement failure (its VM admission answers so). */
export const REQUIREMENTS_PREFIX = 'failure checking preference requirements: ';
