/**
 * Helpers shared by the non-core groups (snapshot, clone, export, pool, migrations,
 * instancetype, cdi, multus, kubeovn): the widened field map their kind definitions use,
 * and shape-tolerant readers for semantic rules.
 *
 * Rules run after the schema check and must never throw on odd shapes (the schema report
 * already names those), so every read here falls back to "absent" instead of assuming a
 * type. A candidate for api/validation once the lead wants it there.
 */
import type { TSchema } from '../../schema/dsl';
import { error, field, show, type Issue } from '../../validation/issue';

/**
 * The field map to give defineKind (`defineKind<KindFields>({...})`): KindDefinition is
 * invariant in its field map (requiredFields uses keyof), so a definition inferred with
 * its literal fields would not fit the registry's `KindDefinition[]`.
 */
export type KindFields = Record<string, TSchema>;

export type Json = Record<string, unknown>;

/** The value as an object, or undefined when it is anything else. */
export function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The value as a list, or an empty list when it is anything else. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The value as a non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Read `obj.a.b.c`, stopping at the first non-object. */
export function dig(value: unknown, ...keys: string[]): unknown {
  let at: unknown = value;
  for (const key of keys) {
    const r = record(at);
    if (!r) return undefined;
    at = r[key];
  }
  return at;
}

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

/**
 * Each entry of a `patches` list must be one JSON Patch operation (RFC 6902) written as a
 * JSON object string: `{"op": "replace", "path": "/metadata/name", "value": "copy"}`.
 */
export function jsonPatchIssues(patches: unknown, path: string, rule: string): Issue[] {
  const ops = ['add', 'remove', 'replace', 'move', 'copy', 'test'];
  const issues: Issue[] = [];
  list(patches).forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry !== 'string') return; // the schema check reports non-strings
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry);
    } catch (e) {
      issues.push(
        error(
          at,
          `patch ${show(entry)} is not valid JSON (${(e as Error).message}); write one operation such as {"op": "replace", "path": "/metadata/name", "value": "new-name"}`,
          rule,
        ),
      );
      return;
    }
    const op = record(parsed);
    if (!op) {
      issues.push(
        error(
          at,
          `patch ${show(entry)} must be one JSON object with "op" and "path", not ${Array.isArray(parsed) ? 'a list' : typeof parsed}`,
          rule,
        ),
      );
      return;
    }
    if (typeof op.op !== 'string' || !ops.includes(op.op)) {
      issues.push(
        error(
          at,
          `patch op ${show(op.op)} is not a JSON Patch operation; use one of: ${ops.join(', ')}`,
          rule,
        ),
      );
    }
    if (typeof op.path !== 'string' || (op.path !== '' && !op.path.startsWith('/'))) {
      issues.push(
        error(
          at,
          `patch path ${show(op.path)} must be a JSON pointer starting with "/", such as "/spec/running"`,
          rule,
        ),
      );
    }
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) {
      issues.push(error(at, `patch op "${String(op.op)}" needs a "value"`, rule));
    }
  });
  return issues;
}
