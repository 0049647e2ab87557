/**
 * Validate any manifest virtkit knows: identify its kind, check it against the kind's
 * strict schema, then run the kind's semantic rules. Every problem is reported together.
 */
import { apiVersionOf, type KindDefinition } from '../kind';
import { allKinds, findKind } from '../registry';
import { checkSchema, closest } from './schema-check';
import { ValidationError } from './error';
import { error, show, type Issue } from './issue';
import { checkObjectMeta } from './object-meta';
import { hasControlCharacters, printable } from './printable';

export interface ValidateOptions {
  /** Skip the semantic rules (schema only). Default false. */
  readonly schemaOnly?: boolean;
}

/** `VirtualMachine default/web`, for messages; control characters in the names come out escaped. */
export function describeObject(object: unknown): string {
  return printable(describeRaw(object));
}

function describeRaw(object: unknown): string {
  const o = (object ?? {}) as {
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown; generateName?: unknown };
  };
  const kind = typeof o.kind === 'string' ? o.kind : 'object';
  const name =
    typeof o.metadata?.name === 'string'
      ? o.metadata.name
      : typeof o.metadata?.generateName === 'string'
        ? `${o.metadata.generateName}*`
        : '(unnamed)';
  const ns = typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : '';
  return `${short(kind)} ${short(ns)}${short(name)}`;
}

/** Names in a subject are cut, so a 300-character name does not flood the report (the issue shows it). */
function short(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

function identify(object: unknown): { def?: KindDefinition; issues: Issue[] } {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    return {
      issues: [
        error(
          '',
          `a manifest must be an object with apiVersion and kind, got ${Array.isArray(object) ? 'a list' : `a ${object === null ? 'null' : typeof object}`} ${show(object)}`,
          'identity.not-object',
        ),
      ],
    };
  }
  const { apiVersion, kind } = object as { apiVersion?: unknown; kind?: unknown };
  const issues: Issue[] = [];
  if (typeof apiVersion !== 'string' || !apiVersion)
    issues.push(
      error(
        'apiVersion',
        'required field "apiVersion" is missing; for example kubevirt.io/v1',
        'identity.api-version',
      ),
    );
  if (typeof kind !== 'string' || !kind)
    issues.push(
      error('kind', 'required field "kind" is missing; for example VirtualMachine', 'identity.kind'),
    );
  if (issues.length) return { issues };
  const def = findKind(apiVersion as string, kind as string);
  if (def) return { def, issues };
  const sameKind = allKinds().filter((k) => k.kind === kind);
  if (sameKind.length) {
    const versions = sameKind.map(apiVersionOf).join(', ');
    return {
      issues: [
        error(
          'apiVersion',
          `kind ${String(kind)} is not served at apiVersion ${show(apiVersion)}; use ${versions}`,
          'identity.unknown-version',
        ),
      ],
    };
  }
  const guess = closest(
    kind as string,
    allKinds().map((k) => k.kind),
  );
  const hint = guess
    ? `did you mean "${guess}"?`
    : `virtkit knows: ${[...new Set(allKinds().map((k) => k.kind))].sort().join(', ')}`;
  return {
    issues: [
      error(
        'kind',
        `unknown kind ${show(kind)} in apiVersion ${show(apiVersion)}; ${hint}`,
        'identity.unknown-kind',
      ),
    ],
  };
}

/** Every problem with the object; an empty list means it is valid. */
export function validateObject(object: unknown, options: ValidateOptions = {}): Issue[] {
  const { def, issues } = identify(object);
  if (!def) return issues;
  return [...issues, ...validateAs(def, object, options)];
}

/** Validate an object whose kind is already known. */
export function validateAs(def: KindDefinition, object: unknown, options: ValidateOptions = {}): Issue[] {
  const schemaIssues = checkSchema(def, object);
  if (options.schemaOnly) return safeMessages(schemaIssues);
  // The API server's object-meta rules (names, namespaces, labels, annotations) apply to every kind.
  // The schema skips what these read (strings only), so the two reports never overlap.
  const checked = [...schemaIssues, ...checkObjectMeta(def, object)];
  if (!def.rules?.length) return safeMessages(checked);
  const ruleIssues: Issue[] = [];
  for (const rule of def.rules) {
    try {
      ruleIssues.push(...rule.check(object));
    } catch (e) {
      // A rule may trip over a shape the schema check already rejected; that report is enough.
      if (!schemaIssues.some((i) => i.severity === 'error')) throw e;
    }
  }
  // Where a rule finds an error at a path, its KubeVirt-worded message replaces the generic one;
  // a rule's warning (a deprecated field, say) never hides the schema's error at the same path.
  const rulePaths = new Set(ruleIssues.filter((i) => i.severity === 'error').map((i) => i.path));
  return safeMessages([...checked.filter((i) => !rulePaths.has(i.path)), ...ruleIssues]);
}

/**
 * Messages quote values as the user wrote them (KubeVirt's wording does): a control character or
 * a bidirectional override in one must reach no terminal (kubectl prints admission's answer,
 * synth prints its findings) and no condition raw.
 */
function safeMessages(issues: Issue[]): Issue[] {
  return issues.map((i) => (hasControlCharacters(i.message) ? { ...i, message: printable(i.message) } : i));
}

/** Throw a ValidationError naming every problem, unless the object is valid. Warnings do not throw. */
export function assertValid(
  object: unknown,
  subject = describeObject(object),
  options: ValidateOptions = {},
): void {
  const issues = validateObject(object, options);
  if (issues.some((i) => i.severity === 'error')) throw new ValidationError(subject, issues);
}

/**
 * What admission and the runtime judge: everything the user wrote. `status` is the runtime's
 * (it may hold fields a stricter schema refuses) and is left out.
 */
export function validateUserFields(object: Record<string, unknown>): Issue[] {
  const judged = { ...object };
  delete judged.status;
  return validateObject(judged);
}
