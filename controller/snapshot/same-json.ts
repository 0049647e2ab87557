/** Equality of API objects as the API server stores them (see common/canonical-json.ts). Pure. */
import { canonicalJson } from '../../common/canonical-json';

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? {}) === canonicalJson(b ?? {});
}
