/**
 * The check every kind that points at another object through a TypedLocalObjectReference
 * (snapshot sources, restore and clone targets, export sources) shares: the reference is
 * complete and names a kind the operation supports, in the group that serves it.
 */
import { error, field, show, type Issue } from './issue';
import { record, text } from './readers';

/** A kind a TypedLocalObjectReference may point at, with the apiGroup it lives in. */
export interface AllowedRef {
  readonly kind: string;
  /** Empty string for the core group (PersistentVolumeClaim). */
  readonly apiGroup: string;
}

/**
 * Check a TypedLocalObjectReference (`{apiGroup, kind, name}`) at `path` against the kinds
 * the operation supports. `what` says what the reference is for, for messages.
 */
export function typedRefIssues(
  ref: unknown,
  path: string,
  what: string,
  allowed: readonly AllowedRef[],
  rule: string,
): Issue[] {
  const kinds = allowed.map((a) => a.kind).join(', ');
  const r = record(ref);
  if (!r) {
    return [error(path, `${what} is missing; set ${path} to {apiGroup, kind, name} naming a ${kinds}`, rule)];
  }
  const issues: Issue[] = [];
  const name = text(r.name);
  if (!name)
    issues.push(
      error(
        field(path, 'name'),
        `${what} has no name; set ${field(path, 'name')} to the name of the ${kinds} to use`,
        rule,
      ),
    );
  const kind = text(r.kind);
  const match = allowed.find((a) => a.kind === kind);
  if (!kind) {
    issues.push(
      error(field(path, 'kind'), `${what} has no kind; set ${field(path, 'kind')} to one of: ${kinds}`, rule),
    );
  } else if (!match) {
    issues.push(
      error(field(path, 'kind'), `${what} kind ${show(kind)} is not supported; use one of: ${kinds}`, rule),
    );
  } else {
    const group = typeof r.apiGroup === 'string' ? r.apiGroup : '';
    if (group !== match.apiGroup) {
      const want = match.apiGroup ? `"${match.apiGroup}"` : 'empty (the core group)';
      issues.push(
        error(
          field(path, 'apiGroup'),
          `${what} apiGroup ${show(r.apiGroup ?? '')} does not serve kind ${kind}; set ${field(path, 'apiGroup')} to ${want}`,
          rule,
        ),
      );
    }
  }
  return issues;
}
