/**
 * The runtime trusts nothing it reads: before the controller or the node handler acts on a VM or
 * a VMI it checks the object with the same api/ validation admission runs (an object may have
 * been stored without the webhook, or before a rule existed). Checked once per generation and
 * cached. Pure apart from the cache; shared by controller/ and handler/ (one implementation).
 */
import { issueText } from './issue';
import { validateUserFields } from './validate';

/** The reason the condition and the Warning Event carry for an invalid spec. */
export const INVALID_SPEC_REASON = 'InvalidSpec';

interface Checked {
  readonly uid: string | undefined;
  readonly generation: number | undefined;
  readonly problems: readonly string[];
}

interface Checkable {
  readonly metadata?: { uid?: string; generation?: number };
}

/** The last verdict per object key: one entry per object the informer holds, none for the gone. */
export class SpecValidity {
  private readonly checked = new Map<string, Checked>();

  /** "field: problem" for each error in what the user wrote (the same judgement as admission). */
  problems(key: string, obj: Checkable): readonly string[] {
    const uid = obj.metadata?.uid;
    const generation = obj.metadata?.generation;
    const hit = this.checked.get(key);
    if (hit && hit.uid === uid && hit.generation === generation) return hit.problems;
    const problems = validateUserFields(obj as Record<string, unknown>)
      .filter((i) => i.severity === 'error')
      .map(issueText);
    this.checked.set(key, { uid, generation, problems });
    return problems;
  }

  /** Forget an object that is gone. */
  forget(key: string): void {
    this.checked.delete(key);
  }
}

/** One message for the condition and the Event: the problems, then what happens. */
export function invalidSpecMessage(kind: string, problems: readonly string[]): string {
  return `the ${kind} is invalid and is not acted on until it is fixed: ${problems.join('; ')}`;
}
