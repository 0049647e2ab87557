/**
 * KubeVirt-specific reader for rules. The generic shape-tolerant readers live in
 * api/validation/readers.ts; they are re-exported here under their former names so
 * existing imports keep working.
 */
import { record } from '../../../validation/readers';

export { type Json, dig, has, str, record as obj, records as arr } from '../../../validation/readers';

/** FeatureState-like markers (`smm: {}` or `smm: {enabled: true}`) count as enabled unless enabled is false. */
export function enabledMarker(value: unknown): boolean {
  const o = record(value);
  return !!o && o.enabled !== false;
}
