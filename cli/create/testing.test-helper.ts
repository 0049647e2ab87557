/** Test support for the `virtkit create` generators: their usage problems, and virtkit's verdict. */
import { issueText } from '../../api/validation/issue';
import { validateObject } from '../../api/validation/validate';
import { CreateUsageError } from './params';

/** The problems a generator reports, one line each; fails when it made an object instead. */
export function usageProblems(make: () => unknown): string[] {
  let made: unknown;
  try {
    made = make();
  } catch (err) {
    if (err instanceof CreateUsageError) return [...err.problems];
    throw err;
  }
  throw new Error(`expected a usage error, got ${JSON.stringify(made)}`);
}

/** virtkit's own validation, as admission runs it, finds no error (else the test fails naming them). */
export function expectValid(object: unknown): void {
  const errors = validateObject(object).filter((i) => i.severity === 'error');
  if (errors.length)
    throw new Error(
      `virtkit's validation refuses the generated object:\n${errors.map(issueText).join('\n')}`,
    );
}
