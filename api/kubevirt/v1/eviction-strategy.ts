/**
 * A VMI's effective eviction strategy, in KubeVirt's order: the VMI's `spec.evictionStrategy`,
 * else the cluster's KubeVirt `spec.configuration.evictionStrategy`, else none (KubeVirt has no
 * default of its own; the LiveMigrate default some distributions show is their operator writing
 * it into the KubeVirt object). Both the pod-eviction admission (apiserver/) and the evacuation
 * controller (controller/migration/) decide from it, so it lives here, once. Pure.
 *
 * The objects are read as plain JSON: the KubeVirt object keeps its configuration unchecked
 * (preserve-unknown-fields), so a value here may be anything; `field` names where it came from,
 * for messages that say what to fix.
 */
import { EVICTION_STRATEGIES, type EvictionStrategy } from './vmi';

type Json = Record<string, unknown>;

/** Where an eviction strategy comes from, for messages: its value and the field that holds it. */
export interface StrategySource {
  readonly value: unknown;
  /** e.g. `spec.evictionStrategy of VMI prod/web`. */
  readonly field: string;
}

const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const meta = (o: Json | undefined): Json => obj(o?.metadata) ?? {};
const createdAt = (o: Json): string => str(meta(o).creationTimestamp) ?? '';
const keyOf = (o: Json): string => `${str(meta(o).namespace) ?? ''}/${str(meta(o).name) ?? ''}`;
const unset = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * The cluster's eviction strategy, from its KubeVirt object. KubeVirt allows one; should there
 * be several, the oldest counts, so the answer does not depend on list order. Undefined when no
 * object sets one.
 */
export function clusterEvictionStrategy(kubevirts: readonly object[]): StrategySource | undefined {
  const oldest = [...(kubevirts as readonly Json[])].sort(
    (a, b) => createdAt(a).localeCompare(createdAt(b)) || keyOf(a).localeCompare(keyOf(b)),
  )[0];
  const value = obj(obj(oldest?.spec)?.configuration)?.evictionStrategy;
  if (!oldest || unset(value)) return undefined;
  return { value, field: `spec.configuration.evictionStrategy of KubeVirt ${keyOf(oldest)}` };
}

/** The VMI's own strategy, when it sets one (it wins over the cluster's). */
export function vmiEvictionStrategy(vmi: object): StrategySource | undefined {
  const value = obj((vmi as Json).spec)?.evictionStrategy;
  if (unset(value)) return undefined;
  return { value, field: `spec.evictionStrategy of VMI ${keyOf(vmi as Json)}` };
}

/** The strategy that applies to `vmi`: its own, else the cluster's (undefined: none). */
export function effectiveEvictionStrategy(
  vmi: object,
  cluster: StrategySource | undefined,
): StrategySource | undefined {
  return vmiEvictionStrategy(vmi) ?? cluster;
}

/** Whether a value is one of KubeVirt's four strategies (the KubeVirt object is not validated). */
export function isEvictionStrategy(value: unknown): value is EvictionStrategy {
  return typeof value === 'string' && (EVICTION_STRATEGIES as readonly string[]).includes(value);
}
