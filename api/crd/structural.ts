/**
 * Strict api/ schema -> CRD structural schema.
 *
 * The strict schema closes every object (additionalProperties: false) and lists enum
 * values so runtime validation can name unknown fields and values. The API server's
 * structural-schema rules forbid some of that and KubeVirt's CRDs leave the rest to
 * admission, so this pass keeps the shape, the descriptions, the x-kubernetes markers and,
 * outside status, the constraints a structural schema may carry (enums, bounds, sizes, CEL
 * rules).
 */
import { CEL_RULES, CRD_OVERRIDE } from '../schema/dsl';

type JsonSchema = Record<string, unknown>;

const KEPT_SCALARS = [
  'description',
  'type',
  'nullable',
  'pattern',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
];
const KEPT_FORMATS = new Set(['date-time', 'int32', 'int64', 'byte', 'double', 'float', 'date']);
/**
 * What the schema can say for itself about a user's input, published so a cluster without the
 * admission webhook still refuses the worst (an unknown enum value, a negative count, a list
 * too long, a cheap CEL rule such as running and runStrategy together). Not for status: the
 * runtime writes it, and a stricter CRD would only fail writes.
 */
const CONSTRAINTS = [
  CEL_RULES,
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
];

export interface StructuralOptions {
  /** Keep enums, bounds and sizes (user-written fields). @default false */
  readonly constraints?: boolean;
}

export function toStructural(input: JsonSchema, options: StructuralOptions = {}): JsonSchema {
  if (input[CRD_OVERRIDE]) {
    const override = input[CRD_OVERRIDE] as JsonSchema;
    return { ...(input.description ? { description: input.description } : {}), ...override };
  }
  const out: JsonSchema = {};
  for (const key of KEPT_SCALARS) if (input[key] !== undefined) out[key] = input[key];
  if (options.constraints && !input['x-kubernetes-int-or-string'])
    for (const key of CONSTRAINTS) if (input[key] !== undefined) out[key] = input[key];
  if (typeof input.format === 'string' && KEPT_FORMATS.has(input.format)) out.format = input.format;
  if (Array.isArray(input.anyOf)) {
    if (!input['x-kubernetes-int-or-string'])
      throw new Error(`CRD schemas allow anyOf only for int-or-string (at "${String(input.description)}")`);
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (input.properties) {
    const props: Record<string, JsonSchema> = {};
    for (const [name, child] of Object.entries(input.properties as Record<string, JsonSchema>))
      props[name] = toStructural(child, options);
    out.properties = props;
    if (!out.type) out.type = 'object';
  }
  if (Array.isArray(input.required) && input.required.length)
    out.required = [...(input.required as string[])];
  if (input.items) out.items = toStructural(input.items as JsonSchema, options);
  const additional = input.additionalProperties;
  if (additional && typeof additional === 'object')
    out.additionalProperties = toStructural(additional as JsonSchema, options);
  if (input.patternProperties) {
    const [first] = Object.values(input.patternProperties as Record<string, JsonSchema>);
    out.additionalProperties = toStructural(first, options);
  }
  if (
    out.type === 'object' &&
    !out.properties &&
    !out.additionalProperties &&
    !out['x-kubernetes-preserve-unknown-fields']
  ) {
    // An empty marker object such as `masquerade: {}`.
    out.properties = {};
  }
  return out;
}
