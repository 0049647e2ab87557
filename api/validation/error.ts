import type { Issue } from './issue';
import { printable } from './printable';

/** Thrown when an object fails validation; carries every problem found, not just the first. */
export class ValidationError extends Error {
  constructor(
    /** Which object: `VirtualMachine default/web` or a construct path. */
    readonly subject: string,
    readonly issues: readonly Issue[],
  ) {
    super(formatIssues(subject, issues));
    this.name = 'ValidationError';
  }
}

/** The report of an object's issues, one line each; control characters from the object come out escaped. */
export function formatIssues(subject: string, issues: readonly Issue[]): string {
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts = [
    errors.length ? count(errors.length, 'error') : '',
    warnings.length ? count(warnings.length, 'warning') : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`${printable(subject)} is invalid (${parts}):`];
  for (const issue of [...errors, ...warnings]) {
    const tag = issue.severity === 'warning' ? 'warning: ' : '';
    lines.push(`  - ${tag}${printable(issue.path ? `${issue.path}: ` : '')}${printable(issue.message)}`);
  }
  return lines.join('\n');
}
