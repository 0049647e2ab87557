/**
 * The check shared by kinds that carry JSON Patch strings (clone and restore `patches`):
 * each entry must parse as one RFC 6902 operation.
 */
import { error, show, type Issue } from './issue';
import { list, record } from './readers';

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
