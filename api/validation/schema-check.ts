/**
 * Structural validation of a whole object against its kind's strict schema, with ajv.
 * Turns ajv's errors into Issues with KubeVirt-style paths and messages that say the
 * field, the value and the fix (closest known field names for typos).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { KindDefinition } from '../kind';
import { ObjectMeta } from '../k8s/meta';
import { QUANTITY_PATTERN, UNSIGNED_QUANTITY_PATTERN, QUANTITY_BOUNDS, type TSchema } from '../schema/dsl';
import { error, show, type Issue } from './issue';
import { INTEGER_FORMATS, checkQuantityBounds, withIntegerFormats } from './number-bounds';

const ajv = new Ajv({
  allErrors: true,
  strict: false,
  // NaN and Infinity (YAML's .nan and .inf) are not numbers Kubernetes accepts.
  strictNumbers: true,
  verbose: true,
});
// Integer formats carry their range; other formats (date-time) are not checked, as before.
for (const [name, range] of Object.entries(INTEGER_FORMATS))
  ajv.addFormat(name, { type: 'number', validate: (n: number) => n >= range.min && n <= range.max });
ajv.addFormat('date-time', true);
ajv.addKeyword({
  keyword: QUANTITY_BOUNDS,
  schemaType: 'object',
  errors: true,
  validate: function quantityBounds(bounds: { positive?: boolean }, data: unknown): boolean {
    const problem = checkQuantityBounds(data, bounds.positive === true);
    if (!problem) return true;
    (quantityBounds as unknown as { errors: unknown[] }).errors = [
      { keyword: QUANTITY_BOUNDS, message: problem, params: {} },
    ];
    return false;
  },
});

const compiled = new WeakMap<KindDefinition, ValidateFunction>();

/** The strict JSON Schema of a whole object of the kind (apiVersion, kind, metadata, fields). */
export function objectSchema(def: KindDefinition): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', ...(def.requiredFields ?? [])],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: ObjectMeta,
      ...def.fields,
    },
  };
}

function validatorFor(def: KindDefinition): ValidateFunction {
  let fn = compiled.get(def);
  if (!fn) {
    fn = ajv.compile(withIntegerFormats(objectSchema(def)));
    compiled.set(def, fn);
  }
  return fn;
}

/** Validate a value against any api/ schema (used by tests and by sub-object checks). */
export function checkAgainst(schema: TSchema, value: unknown, basePath = ''): Issue[] {
  const fn = ajv.compile(withIntegerFormats(schema as Record<string, unknown>));
  fn(value);
  return toIssues(fn.errors ?? [], basePath);
}

export function checkSchema(def: KindDefinition, object: unknown): Issue[] {
  const fn = validatorFor(def);
  fn(object);
  return toIssues(fn.errors ?? [], '');
}

/** `/spec/template/spec/domain/devices/disks/0/bus` -> `spec.template.spec.domain.devices.disks[0].bus` */
export function pointerToPath(pointer: string, base = ''): string {
  let path = base;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) path = `${path}[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) path = path ? `${path}.${part}` : part;
    else path = `${path}["${part}"]`;
  }
  return path;
}

function join(path: string, name: string): string {
  return pointerToPath(`/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, path);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Levenshtein distance, for "did you mean" on unknown fields. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length];
}

export function closest(name: string, candidates: readonly string[]): string | undefined {
  // A name far longer than any candidate has no near match; measuring it would cost its length squared.
  if (name.length > 100) return undefined;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

const KEYWORD_ORDER = ['additionalProperties', 'required', 'type', 'enum', 'pattern'];

function toIssues(errors: readonly ErrorObject[], base: string): Issue[] {
  // Errors inside a failed anyOf (int-or-string) repeat the anyOf failure; keep the anyOf one.
  const anyOfFailures = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
  const relevant = errors.filter(
    (e) => e.keyword === 'anyOf' || !anyOfFailures.some((p) => e.schemaPath.startsWith(`${p}/`)),
  );
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const e of relevant.sort(
    (a, b) => KEYWORD_ORDER.indexOf(a.keyword) - KEYWORD_ORDER.indexOf(b.keyword),
  )) {
    const issue = toIssue(e, base);
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

function nonFinite(want: string, value: number): string {
  return `must be a finite ${want}, got ${String(value)}; YAML's .inf and .nan are not values Kubernetes accepts`;
}

function toIssue(e: ErrorObject, base: string): Issue {
  const at = pointerToPath(e.instancePath, base);
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((parent.properties as Record<string, unknown>) ?? {});
      const guess = closest(name, known);
      const hint = guess
        ? `did you mean "${guess}"?`
        : known.length
          ? `known fields here: ${known.join(', ')}`
          : 'this object takes no fields';
      return error(join(at, name), `unknown field "${name}"; ${hint}`, 'schema.unknown-field');
    }
    case 'required': {
      const name = String((e.params as { missingProperty: string }).missingProperty);
      return error(join(at, name), `required field "${name}" is missing`, 'schema.required');
    }
    case 'type': {
      const want = String((e.params as { type: string }).type);
      if (typeof e.data === 'number' && !Number.isFinite(e.data))
        return error(at, nonFinite(want, e.data), 'schema.not-finite');
      return error(
        at,
        `must be ${want === 'integer' ? 'an integer' : `a ${want}`}, got ${typeName(e.data)} ${show(e.data)}`,
        'schema.type',
      );
    }
    case 'enum': {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      return error(at, `unsupported value ${show(e.data)}; use one of: ${allowed.join(', ')}`, 'schema.enum');
    }
    case 'pattern': {
      if (parent.pattern === UNSIGNED_QUANTITY_PATTERN && new RegExp(QUANTITY_PATTERN).test(String(e.data))) {
        return error(
          at,
          `quantity ${show(e.data)} is negative: must be greater than or equal to 0; write a size such as 1Gi`,
          'schema.quantity-negative',
        );
      }
      if (parent.pattern === QUANTITY_PATTERN || parent.pattern === UNSIGNED_QUANTITY_PATTERN) {
        return error(
          at,
          `invalid quantity ${show(e.data)}; write a Kubernetes quantity such as 1Gi, 512Mi or 500m`,
          'schema.quantity',
        );
      }
      return error(
        at,
        `value ${show(e.data)} does not match the pattern ${String(parent.pattern)}`,
        'schema.pattern',
      );
    }
    case 'format': {
      const format = String((e.params as { format: string }).format);
      const range = INTEGER_FORMATS[format];
      if (range)
        return error(
          at,
          `${show(e.data)} is out of range: ${range.words}, from ${range.min} to ${range.max}`,
          'schema.integer-range',
        );
      return error(at, `value ${show(e.data)} is not a valid ${format}`, 'schema.format');
    }
    case QUANTITY_BOUNDS:
      return error(at, e.message ?? 'is out of range', 'schema.quantity-range');
    case 'anyOf': {
      if (typeof e.data === 'number' && !Number.isFinite(e.data))
        return error(at, nonFinite('integer or a quantity string', e.data), 'schema.not-finite');
      if (parent['x-kubernetes-int-or-string']) {
        return error(
          at,
          `must be an integer or a string, got ${typeName(e.data)} ${show(e.data)}`,
          'schema.int-or-string',
        );
      }
      return error(at, `value ${show(e.data)} matches none of the allowed shapes`, 'schema.any-of');
    }
    default:
      return error(at, `${e.message ?? 'is invalid'} (value ${show(e.data)})`, `schema.${e.keyword}`);
  }
}
