/** A KubeVirt-specific reader for rules; the generic readers are in api/validation/readers.ts. */
import { record } from '../../../validation/readers';

/** FeatureState-like markers (`smm: {}` or `smm: {enabled: true}`) count as enabled unless enabled is false. */
export function enabledMarker(value: unknown): boolean {
  const o = record(value);
  return !!o && o.enabled !== false;
}
