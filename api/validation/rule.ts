/**
 * A semantic validation rule: a pure function from an object to the problems it has.
 * Rules carry KubeVirt's admission checks (and virtkit's own), and are shared by the
 * constructs, the Pulumi components, admission and the CLI.
 */
import type { Issue } from './issue';

export interface Rule<T = unknown> {
  /** A stable identifier, such as `vmi.disk-without-volume`. */
  readonly id: string;
  /** One line on what the rule checks. */
  readonly summary: string;
  /** Returns every problem the object has; never throws on odd shapes. */
  check(object: T): readonly Issue[];
}

export function defineRule<T>(rule: Rule<T>): Rule {
  return rule as Rule;
}
