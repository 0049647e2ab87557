/**
 * The live migration settings one migration runs with, decided as KubeVirt decides them:
 *
 *   1. KubeVirt's defaults (MIGRATION_DEFAULTS);
 *   2. overridden, field by field, by the KubeVirt object's `spec.configuration.migrations`;
 *   3. overridden by the MigrationPolicy that matches the VMI best: every label of its
 *      `virtualMachineInstanceSelector` must be on the VMI and every label of its
 *      `namespaceSelector` on the VMI's namespace; the policy matching the most labels in all
 *      wins, then the one matching more VMI labels, then the first name in lexicographic order.
 *
 * The result is what the controller writes into the VMI's `status.migrationState`
 * (`migrationConfiguration`, `migrationPolicyName`) for the node handlers to apply.
 *
 * The KubeVirt object keeps its configuration unchecked (preserve-unknown-fields) and a policy
 * may have been stored without admission, so every value is checked here: one that is not what
 * KubeVirt expects is left out (the level below it stays) and named in `problems`, with the
 * object, the field, the value and the fix. Pure.
 */
import Ajv from 'ajv';
import {
  ExperimentalMigrationOptions,
  type VMIMConfigurationOptions,
} from '../../kubevirt/v1/migration-options';
import { parseQuantity } from '../../quantity';
import { show } from '../../validation/issue';
import type { MigrationPolicy } from './policy';

/**
 * KubeVirt's cluster-wide migration defaults (pkg/virt-config). `allowWorkloadDisruption` has no
 * default of its own: it follows `allowPostCopy` wherever it is not set.
 */
export const MIGRATION_DEFAULTS: Readonly<VMIMConfigurationOptions> = Object.freeze({
  nodeDrainTaintKey: 'kubevirt.io/drain',
  parallelOutboundMigrationsPerNode: 2,
  parallelMigrationsPerCluster: 5,
  allowAutoConverge: false,
  bandwidthPerMigration: '0Mi',
  completionTimeoutPerGiB: 150,
  progressTimeout: 150,
  unsafeMigrationOverride: false,
  allowPostCopy: false,
});

/** The parts of a KubeVirt object (kubevirt.io/v1 `kubevirts`) read here. */
export interface KubeVirtMigrationsSource {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly deletionTimestamp?: string | null;
  };
  readonly spec?: { readonly configuration?: { readonly migrations?: unknown } };
}

export interface ClusterMigrationConfiguration {
  /** KubeVirt's defaults with the KubeVirt object's valid settings on top. */
  readonly configuration: VMIMConfigurationOptions;
  /** Settings left out, and why (the object, the field, the value, the fix). */
  readonly problems: readonly string[];
}

export interface EffectiveMigrationConfiguration extends ClusterMigrationConfiguration {
  /** The MigrationPolicy that applied; undefined when none matched. */
  readonly policyName?: string;
}

/** What is wrong with a value (a phrase to follow it), or undefined when it is fine. */
type Check = (value: unknown) => string | undefined;

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? undefined
      : `is not a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`;
}

const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'is not true or false');

const text: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'is not a non-empty string');

/** A bandwidth: a quantity of bytes per second, 0 meaning no limit. */
const bandwidth: Check = (v) => {
  const n = parseQuantity(v);
  return n !== undefined && n >= 0 ? undefined : 'is not a quantity such as 64Mi (0 means no limit)';
};

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const experimentalSchema = ajv.compile(ExperimentalMigrationOptions);
const experimental: Check = (v) =>
  experimentalSchema(v)
    ? undefined
    : `does not match KubeVirt's experimental options (${ajv.errorsText(experimentalSchema.errors, { dataVar: 'experimental' })})`;

/** Every setting of `spec.configuration.migrations` KubeVirt knows, and how it is checked. */
const CLUSTER_FIELDS: Readonly<Record<keyof VMIMConfigurationOptions, Check>> = {
  nodeDrainTaintKey: text,
  parallelOutboundMigrationsPerNode: wholeNumber(0),
  parallelMigrationsPerCluster: wholeNumber(0),
  allowAutoConverge: bool,
  bandwidthPerMigration: bandwidth,
  completionTimeoutPerGiB: wholeNumber(0),
  maxDowntimeMs: wholeNumber(1, 2_000_000),
  progressTimeout: wholeNumber(0),
  utilityVolumesTimeout: wholeNumber(0),
  unsafeMigrationOverride: bool,
  allowPostCopy: bool,
  allowWorkloadDisruption: bool,
  disableTLS: bool,
  network: text,
  matchSELinuxLevelOnMigration: bool,
  experimental,
};

/** The settings a MigrationPolicy may override (its spec besides the selectors). */
const POLICY_FIELDS = [
  'allowAutoConverge',
  'bandwidthPerMigration',
  'completionTimeoutPerGiB',
  'allowPostCopy',
  'allowWorkloadDisruption',
] as const satisfies readonly (keyof VMIMConfigurationOptions)[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Copies into `into` the valid settings of `source` among `fields`; a problem for each invalid one. */
function overlay(
  into: VMIMConfigurationOptions,
  source: Record<string, unknown>,
  fields: readonly (keyof VMIMConfigurationOptions)[],
  where: string,
  problems: string[],
): void {
  const target = into as Record<string, unknown>;
  for (const field of fields) {
    const value = source[field];
    if (value === undefined || value === null) continue;
    const wrong = CLUSTER_FIELDS[field](value);
    if (wrong) {
      const fallback =
        target[field] === undefined ? 'it stays unset' : `${show(target[field])} is used instead`;
      problems.push(`${where}.${field}: ${show(value)} ${wrong}; ${fallback} until it is corrected`);
      continue;
    }
    target[field] = structuredClone(value);
  }
}

function describeSource(kind: string, m: KubeVirtMigrationsSource['metadata']): string {
  return `${kind} ${m?.namespace ? `${m.namespace}/` : ''}${m?.name ?? '(unnamed)'}`;
}

/**
 * KubeVirt's defaults with the KubeVirt object's `spec.configuration.migrations` on top. KubeVirt
 * allows one KubeVirt object; when there are several (or one being deleted) the first live one by
 * namespace and name is read, and the others are named in the problems.
 */
export function clusterMigrationConfiguration(
  kubevirts: readonly KubeVirtMigrationsSource[],
): ClusterMigrationConfiguration {
  const configuration: VMIMConfigurationOptions = structuredClone({ ...MIGRATION_DEFAULTS });
  const problems: string[] = [];
  const live = kubevirts
    .filter((kv) => !kv.metadata?.deletionTimestamp)
    .sort((a, b) =>
      `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(
        `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`,
      ),
    );
  const [kv, ...others] = live;
  if (others.length)
    problems.push(
      `${others.map((o) => describeSource('KubeVirt', o.metadata)).join(', ')}: only one KubeVirt object is allowed; the migration settings of ${describeSource('KubeVirt', kv.metadata)} are used, delete the others`,
    );
  const migrations = kv?.spec?.configuration?.migrations;
  if (kv && migrations !== undefined && migrations !== null) {
    const where = `${describeSource('KubeVirt', kv.metadata)} spec.configuration.migrations`;
    if (!isRecord(migrations))
      problems.push(
        `${where}: ${show(migrations)} is not an object of migration settings; KubeVirt's defaults are used`,
      );
    else {
      overlay(
        configuration,
        migrations,
        Object.keys(CLUSTER_FIELDS) as (keyof VMIMConfigurationOptions)[],
        where,
        problems,
      );
      for (const field of Object.keys(migrations))
        if (!(field in CLUSTER_FIELDS))
          problems.push(`${where}.${field}: KubeVirt has no such migration setting; it is ignored`);
    }
  }
  // KubeVirt's backward compatibility: an unset allowWorkloadDisruption follows allowPostCopy.
  configuration.allowWorkloadDisruption ??= configuration.allowPostCopy ?? false;
  return { configuration, problems };
}

/** How many labels a selector matches, or undefined when one of its labels is missing or differs. */
function matchingLabels(selector: unknown, labels: Readonly<Record<string, string>>): number | undefined {
  if (selector === undefined || selector === null) return 0;
  if (!isRecord(selector)) return undefined;
  let n = 0;
  for (const [key, value] of Object.entries(selector)) {
    if (typeof value !== 'string' || labels[key] !== value) return undefined;
    n++;
  }
  return n;
}

/**
 * How well a policy matches: the number of its VMI and namespace selector labels that match, or
 * undefined when it does not match (a policy without selectors matches nothing, as in KubeVirt).
 */
export function migrationPolicyScore(
  policy: Pick<MigrationPolicy, 'spec'>,
  vmiLabels: Readonly<Record<string, string>> = {},
  namespaceLabels: Readonly<Record<string, string>> = {},
): { readonly vmi: number; readonly namespace: number } | undefined {
  const selectors: unknown = policy.spec?.selectors;
  if (!isRecord(selectors)) return undefined;
  const vmi = matchingLabels(selectors.virtualMachineInstanceSelector, vmiLabels);
  const namespace = matchingLabels(selectors.namespaceSelector, namespaceLabels);
  return vmi === undefined || namespace === undefined ? undefined : { vmi, namespace };
}

/** The policy that applies to a VMI with these labels in a namespace with these labels, if any. */
export function matchMigrationPolicy<P extends Pick<MigrationPolicy, 'metadata' | 'spec'>>(
  policies: readonly P[],
  vmiLabels: Readonly<Record<string, string>> = {},
  namespaceLabels: Readonly<Record<string, string>> = {},
): P | undefined {
  let best: { policy: P; vmi: number; total: number } | undefined;
  for (const policy of policies) {
    const score = migrationPolicyScore(policy, vmiLabels, namespaceLabels);
    if (!score) continue;
    const total = score.vmi + score.namespace;
    const better =
      !best ||
      total > best.total ||
      (total === best.total && score.vmi > best.vmi) ||
      (total === best.total &&
        score.vmi === best.vmi &&
        (policy.metadata?.name ?? '') < (best.policy.metadata?.name ?? ''));
    if (better) best = { policy, vmi: score.vmi, total };
  }
  return best?.policy;
}

export interface EffectiveMigrationInputs {
  /** The KubeVirt objects of the cluster (normally one). */
  readonly kubevirts: readonly KubeVirtMigrationsSource[];
  readonly policies: readonly Pick<MigrationPolicy, 'metadata' | 'spec'>[];
  readonly vmiLabels?: Readonly<Record<string, string>>;
  readonly namespaceLabels?: Readonly<Record<string, string>>;
}

/** The settings a migration of a VMI with these labels runs with, and the policy that gave them. */
export function effectiveMigrationConfiguration(
  i: EffectiveMigrationInputs,
): EffectiveMigrationConfiguration {
  const cluster = clusterMigrationConfiguration(i.kubevirts);
  const policy = matchMigrationPolicy(i.policies, i.vmiLabels, i.namespaceLabels);
  if (!policy) return cluster;
  const configuration = structuredClone(cluster.configuration);
  const problems = [...cluster.problems];
  const spec: unknown = policy.spec;
  if (isRecord(spec)) {
    overlay(
      configuration,
      spec,
      POLICY_FIELDS,
      `${describeSource('MigrationPolicy', policy.metadata)} spec`,
      problems,
    );
    // A policy that allows post-copy without a word on workload disruption allows that too.
    if ((spec.allowWorkloadDisruption ?? null) === null && typeof spec.allowPostCopy === 'boolean')
      configuration.allowWorkloadDisruption = spec.allowPostCopy;
  }
  return { configuration, problems, policyName: policy.metadata?.name };
}
