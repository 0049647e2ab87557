/**
 * The export's time to live (pure): `spec.ttlDuration` in Go's time.ParseDuration syntax (what
 * KubeVirt's metav1.Duration accepts: 2h, 90m, 1h30m, 1.5h, 300ms), KubeVirt's 2 h default,
 * and when the export is due for deletion (its creation time plus the TTL).
 */
import { formatGoDuration, parseGoDuration } from '../../api/export/duration';
import { DEFAULT_TTL_MS } from '../../api/export/exporter-pod';
import { metav1Time } from '../../api/k8s/meta';

export { formatGoDuration, parseGoDuration };

export interface TtlInput {
  readonly metadata?: {
    readonly creationTimestamp?: string | null;
    readonly name?: string;
    readonly namespace?: string;
  };
  readonly spec?: { readonly ttlDuration?: string };
}

/**
 * The TTL of an export in ms: its ttlDuration, KubeVirt's 2 h when it has none. A value that is
 * not a duration (admission refuses it, so only an object written around admission has one)
 * throws, naming the object, the field, the value and the fix.
 */
export function ttlMs(e: TtlInput): number {
  const text = e.spec?.ttlDuration;
  if (text === undefined || text === '') return DEFAULT_TTL_MS;
  const ms = parseGoDuration(text);
  if (ms === undefined)
    throw new Error(
      `VirtualMachineExport ${e.metadata?.namespace ?? ''}/${e.metadata?.name ?? ''}: spec.ttlDuration ${JSON.stringify(text)} is not a duration; write it like 2h, 90m or 1h30m`,
    );
  return ms;
}

/** When the export is deleted: creation time plus the TTL (epoch ms); undefined before it has a creation time. */
export function expirationMs(e: TtlInput): number | undefined {
  const created = Date.parse(e.metadata?.creationTimestamp ?? '');
  if (!Number.isFinite(created)) return undefined;
  return created + ttlMs(e);
}

/** RFC 3339 without fractions, as Kubernetes writes timestamps. */
export function rfc3339(ms: number): string {
  return metav1Time(ms);
}
