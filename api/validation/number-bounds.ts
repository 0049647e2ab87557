/**
 * Range checks for numbers the schema check runs on top of JSON Schema's types: integer
 * formats carry their range (a 32-bit field refuses 2147483648 instead of wrapping it),
 * integers with no format stay within what a JSON number carries exactly, and quantities
 * are finite, never negative and at most what Kubernetes stores.
 */
import { MAX_QUANTITY, QUANTITY_PATTERN } from '../schema/dsl';
import { parseQuantity } from '../quantity';
import { show } from './issue';

export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  /** What the field is, for messages. */
  readonly words: string;
}

export const INTEGER_FORMATS: Record<string, IntegerRange> = {
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1, words: 'the field is a 32-bit integer' },
  // Go's int64 goes to 2^63-1, but JSON numbers (and JavaScript) are exact only up to 2^53-1.
  int64: {
    min: Number.MIN_SAFE_INTEGER,
    max: Number.MAX_SAFE_INTEGER,
    words: 'the field is an integer that JSON numbers carry exactly only',
  },
};

type Schema = Record<string, unknown>;

/**
 * A copy of a schema for runtime validation in which every integer without a format gets
 * `int64`, so no integer escapes a range check. anyOf branches (int-or-string) are left
 * alone: their own keywords report on them. The CRD is generated from the original.
 */
export function withIntegerFormats(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (out.type === 'integer' && out.format === undefined) out.format = 'int64';
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props && typeof props === 'object')
    out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, withIntegerFormats(v)]));
  const patternProps = schema.patternProperties as Record<string, Schema> | undefined;
  if (patternProps && typeof patternProps === 'object')
    out.patternProperties = Object.fromEntries(
      Object.entries(patternProps).map(([k, v]) => [k, withIntegerFormats(v)]),
    );
  if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items))
    out.items = withIntegerFormats(schema.items as Schema);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    out.additionalProperties = withIntegerFormats(schema.additionalProperties as Schema);
  return out;
}

const quantityRe = new RegExp(QUANTITY_PATTERN);

/**
 * What is wrong with a quantity's value, or undefined when it is fine or when another
 * keyword already reports it (wrong type, malformed, negative string: the pattern).
 */
export function checkQuantityBounds(data: unknown, positive: boolean): string | undefined {
  let value: number | undefined;
  if (typeof data === 'number') {
    if (!Number.isFinite(data) || !Number.isInteger(data)) return undefined;
    if (data < 0)
      return `quantity ${show(data)} is negative: must be greater than or equal to 0; write a size such as 1Gi`;
    value = data;
  } else if (typeof data === 'string') {
    if (!quantityRe.test(data) || data.startsWith('-')) return undefined;
    value = parseQuantity(data);
  } else return undefined;
  if (value === undefined || !Number.isFinite(value) || value > MAX_QUANTITY)
    return `quantity ${show(data)} is too large: the largest quantity Kubernetes stores is 8Ei (2^63)`;
  if (positive && value === 0)
    return `quantity ${show(data)} must be greater than 0; write a size such as 1Gi`;
  return undefined;
}
