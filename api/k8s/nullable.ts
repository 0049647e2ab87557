/**
 * Go's `+nullable` marker: the API server and Go clients may send `null` where an
 * object is unset. Both runtime validation (ajv understands `nullable`) and the CRD
 * (structural schemas keep it) accept null for the wrapped schema.
 */
import type { TSchema } from '../schema/dsl';

export function Nullable<T extends TSchema>(schema: T): T {
  return { ...schema, nullable: true } as T;
}
