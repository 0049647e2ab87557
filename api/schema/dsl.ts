/**
 * The schema DSL every api/ definition is written in.
 *
 * Each helper returns a TypeBox schema, so one definition yields three things:
 *  - the TypeScript type (`Static<typeof X>`),
 *  - the strict JSON Schema used by runtime validation (unknown fields are errors),
 *  - the CRD openAPIV3Schema, derived from it by `toStructural` in ../crd/structural.ts.
 *
 * Every helper takes the field's description first: the CRD carries it, so
 * `kubectl explain` can answer, and a unit test refuses a property without one.
 */
import {
  Type,
  type Static,
  type TSchema,
  type TProperties,
  type TObject,
  type TArray,
} from '@sinclair/typebox';

export { Type };
export type { Static, TSchema, TProperties, TObject, TArray };

/**
 * Vendor keyword that replaces a schema in the CRD only. Runtime validation keeps
 * the precise schema; the CRD gets what KubeVirt publishes (for instance an opaque
 * `metadata` object in templates).
 */
export const CRD_OVERRIDE = 'x-virtkit-crd';

/** A closed object: any property not listed is an error at validation time. */
export function Obj<T extends TProperties>(
  description: string,
  properties: T,
  options: { required?: never; minProperties?: number } = {},
): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, description, ...options });
}

/** An optional property (the common case in KubeVirt's API). */
export const Opt = Type.Optional;

export function Str(
  description: string,
  options: { pattern?: string; format?: string; minLength?: number; maxLength?: number } = {},
) {
  return Type.String({ description, ...options });
}

export function Bool(description: string) {
  return Type.Boolean({ description });
}

export function Int32(description: string, options: { minimum?: number; maximum?: number } = {}) {
  return Type.Integer({ description, format: 'int32', ...options });
}

export function Int64(description: string, options: { minimum?: number; maximum?: number } = {}) {
  return Type.Integer({ description, format: 'int64', ...options });
}

export function Num(description: string) {
  return Type.Number({ description });
}

/**
 * A string with a documented set of values. The TypeScript type is the union of the
 * values; runtime validation checks membership. The CRD keeps it a plain string, as
 * KubeVirt's does, so admission can answer an unknown value in KubeVirt's words.
 */
export function Enum<const V extends readonly string[]>(description: string, values: V) {
  return Type.Unsafe<V[number]>({
    type: 'string',
    enum: [...values],
    description: `${description} One of: ${values.join(', ')}.`,
  });
}

/**
 * A string that is open by design (KubeVirt accepts values it does not list), with
 * known values offered to TypeScript users for completion.
 */
export function OpenEnum<const V extends readonly string[]>(description: string, known: V) {
  return Type.Unsafe<V[number] | (string & Record<never, never>)>({
    type: 'string',
    description: `${description} Known values: ${known.join(', ')}.`,
  });
}

import { QUANTITY_PATTERN } from './patterns';

export { QUANTITY_PATTERN };

/**
 * A quantity without a sign: sizes and counts are never negative. The CRD publishes this
 * pattern, so even a cluster without virtkit's admission refuses `-1Gi`.
 */
export const UNSIGNED_QUANTITY_PATTERN =
  '^\\+?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/**
 * Vendor keyword with the bounds of a quantity's value, checked by runtime validation
 * (finite, not negative, above zero where zero makes no sense, at most MAX_QUANTITY).
 * The CRD drops it.
 */
export const QUANTITY_BOUNDS = 'x-virtkit-quantity';

/** The largest quantity Kubernetes stores as an int64: 2^63 (8Ei). */
export const MAX_QUANTITY = 2 ** 63;

export interface QuantityOptions {
  /** Zero is refused too (a guest's memory, a disk's size). Default false: zero is allowed. */
  readonly positive?: boolean;
}

/** A resource.Quantity: `1Gi`, `500m`, `2`. Integer or string on the wire; never negative. */
export function Quantity(description: string, options: QuantityOptions = {}) {
  return Type.Unsafe<string | number>({
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: UNSIGNED_QUANTITY_PATTERN,
    'x-kubernetes-int-or-string': true,
    [QUANTITY_BOUNDS]: { positive: options.positive === true },
    description,
  });
}

/** An IntOrString (ports, percentages such as maxUnavailable). */
export function IntOrString(description: string) {
  return Type.Unsafe<string | number>({
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
    description,
  });
}

/** An RFC 3339 timestamp; `null` is accepted because Go clients serialise unset times so. */
export function Timestamp(description: string) {
  return Type.Unsafe<string | null>({ type: 'string', format: 'date-time', nullable: true, description });
}

/** A map with string keys (labels, annotations, nodeSelector, resource lists). */
export function MapOf<V extends TSchema>(description: string, value: V) {
  return Type.Unsafe<Record<string, Static<V>>>({ type: 'object', additionalProperties: value, description });
}

export function StringMap(description: string) {
  return MapOf(description, Type.String());
}

/** An object whose content is not checked and is kept whole by the API server. */
export function Opaque(description: string) {
  return Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    description,
  });
}

/** An atomic list. */
export function List<T extends TSchema>(description: string, item: T): TArray<T> {
  return Type.Array(item, { description });
}

export function StringList(description: string) {
  return List(description, Type.String());
}

/** A set of scalars: server-side apply merges members. */
export function ListSet<T extends TSchema>(description: string, item: T): TArray<T> {
  return Type.Array(item, { description, 'x-kubernetes-list-type': 'set' });
}

/**
 * A list of named entries merged by key under server-side apply, so two appliers can
 * each own one disk, interface, network or volume. The keys must be required in the item.
 */
export function ListMap<T extends TSchema>(
  description: string,
  item: T,
  keys: readonly string[] = ['name'],
): TArray<T> {
  return Type.Array(item, {
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': [...keys],
  });
}

/** A CEL rule the API server itself checks (an entry of the CRD's `x-kubernetes-validations`). */
export interface CelRule {
  /** The CEL expression, with `self` the value of the schema it sits on; true means valid. */
  readonly rule: string;
  /** The message the API server answers with (after the field path). */
  readonly message: string;
  /** The field the error is reported at, relative to `self` (e.g. `.running`). */
  readonly fieldPath?: string;
}

export const CEL_RULES = 'x-kubernetes-validations';

/**
 * Publish CEL rules on a schema in the CRD (outside status, with the other constraints), for
 * what the schema cannot say by itself: a cluster without the admission webhook still refuses
 * it. Runtime validation ignores them (the api/ rules say the same, with KubeVirt's wording).
 * Keep them cheap: constant cost, or lists with maxItems (the API server refuses a CRD whose
 * estimated cost is too high).
 */
export function WithCel<T extends TSchema>(schema: T, rules: readonly CelRule[]): T {
  return { ...schema, [CEL_RULES]: rules.map((r) => ({ ...r })) } as T;
}

/** Validate with `strict`, publish `crd` in the CustomResourceDefinition. */
export function CrdOverride<T extends TSchema>(strict: T, crd: Record<string, unknown>): T {
  return { ...strict, [CRD_OVERRIDE]: crd } as T;
}

/** A property that is present but carries nothing (KubeVirt's `{}` markers such as `bridge: {}`). */
export function Empty(description: string) {
  return Type.Object({}, { additionalProperties: false, description });
}

/**
 * Go's `+nullable` marker: the API server and Go clients may send `null` where an
 * object is unset. Both runtime validation (ajv understands `nullable`) and the CRD
 * (structural schemas keep it) accept null for the wrapped schema.
 */
export function Nullable<T extends TSchema>(schema: T): T {
  return { ...schema, nullable: true } as T;
}
