/**
 * The runtime trusts nothing it reads: before the controller acts on a VM or a VMI it checks the
 * object with the same api/ validation admission runs (an object may have been stored without
 * the webhook, or before a rule existed). Checked once per generation and cached. Pure apart from
 * the cache.
 */
import { validateObject } from '../api/validation/validate';

/** The message the Failure condition and the Warning Event carry for an invalid spec. */
export const INVALID_SPEC_REASON = 'InvalidSpec';

interface Checked {
  readonly generation: number | undefined;
  readonly problems: readonly string[];
}

interface Object {
  readonly metadata?: { uid?: string; generation?: number };
  readonly [k: string]: unknown;
}

export class SpecValidity {
  private readonly checked = new Map<string, Checked>();

  /** "field: problem" for each error in the object's spec (status is the runtime's and is not judged). */
  problems(obj: Object): readonly string[] {
    const uid = obj.metadata?.uid ?? '';
    const generation = obj.metadata?.generation;
    const hit = this.checked.get(uid);
    if (hit && hit.generation === generation) return hit.problems;
    const judged: Record<string, unknown> = { ...obj };
    delete judged.status;
    const problems = validateObject(judged)
      .filter((i) => i.severity === 'error')
      .map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`);
    this.checked.set(uid, { generation, problems });
    return problems;
  }

  /** Forget an object that is gone. */
  forget(uid: string | undefined): void {
    if (uid) this.checked.delete(uid);
  }
}

/** One message for the condition and the Event: the problems, then what happens. */
export function invalidSpecMessage(kind: string, problems: readonly string[]): string {
  return `the ${kind} is invalid and is not acted on until it is fixed: ${problems.join('; ')}`;
}
