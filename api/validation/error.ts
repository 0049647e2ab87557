import type { Issue } from './issue';

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
  const lines = [`${subject} is invalid (${parts}):`];
  for (const issue of [...errors, ...warnings]) {
    const tag = issue.severity === 'warning' ? 'warning: ' : '';
    lines.push(`  - ${tag}${issue.path ? `${issue.path}: ` : ''}${issue.message}`);
  }
  return lines.join('\n');
}
