/**
 * Which pool members go first, as KubeVirt picks them:
 *  - scale-in (proactive): members not being deleted, ordered by
 *    spec.scaleInStrategy.proactive.selectionPolicy.sortPolicy (AscendingOrder / DescendingOrder of
 *    the index, Newest / Oldest by creation, Random, the default), then narrowed to those its
 *    selectors pick (labelSelector on the VMI template labels, nodeSelectorRequirementMatcher on
 *    the VMI template's nodeSelector);
 *  - autohealing: members whose start failed `startUpFailureThreshold` times in a row (3), or
 *    whose printableStatus is an error state and that have not been Ready for
 *    `minFailingToStartDuration` (5m).
 * Pure (Random takes its random numbers as an input).
 */
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type { VirtualMachinePool } from '../../api/pool/v1beta1';
import { findCondition } from '../../kube';
import { parseSelector, selectorMatches } from '../replicas/label-selector';
import { isDeleting } from '../replicas/ownership';
import { indexOf } from './naming';

type Vm = VirtualMachine;
const created = (vm: Vm): number => Date.parse(vm.metadata?.creationTimestamp ?? '') || 0;
const ordinal = (vm: Vm): number => indexOf(vm.metadata?.name ?? '') ?? 0;

export function sortMembers(vms: readonly Vm[], policy: string | undefined, random: () => number): Vm[] {
  const out = [...vms];
  switch (policy) {
    case 'AscendingOrder':
      return out.sort((a, b) => ordinal(a) - ordinal(b));
    case 'DescendingOrder':
      return out.sort((a, b) => ordinal(b) - ordinal(a));
    case 'Newest':
      return out.sort((a, b) => created(b) - created(a));
    case 'Oldest':
      return out.sort((a, b) => created(a) - created(b));
    default:
      // Fisher-Yates, as Go's rand.Shuffle.
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
  }
}

interface NodeRequirement {
  key: string;
  operator: string;
  values?: string[];
}

function nodeRequirementHolds(r: NodeRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(labels[r.key]);
    case 'NotIn':
      return !has || !values.includes(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const v = Number(labels[r.key]);
      const bound = Number(values[0]);
      if (!has || !Number.isInteger(v) || !Number.isInteger(bound)) return false;
      return r.operator === 'Gt' ? v > bound : v < bound;
    }
    default:
      return false;
  }
}

/** Problems of spec.scaleInStrategy.proactive.selectionPolicy.selectors (field, value, fix). */
export function selectorProblems(pool: VirtualMachinePool): string[] {
  const sel = pool.spec.scaleInStrategy?.proactive?.selectionPolicy?.selectors;
  const at = 'spec.scaleInStrategy.proactive.selectionPolicy.selectors';
  const problems: string[] = [];
  if (sel?.labelSelector) {
    const p = parseSelector(sel.labelSelector, `${at}.labelSelector`);
    if (!p.ok) problems.push(...p.problems);
  }
  (sel?.nodeSelectorRequirementMatcher ?? []).forEach((r, i) => {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'].includes(r.operator))
      problems.push(
        `${at}.nodeSelectorRequirementMatcher[${i}].operator is ${JSON.stringify(r.operator)}; use one of In, NotIn, Exists, DoesNotExist, Gt, Lt`,
      );
  });
  return problems;
}

/** The members scale-in removes, in order (at most `count`). */
export function scaleInCandidates(
  pool: VirtualMachinePool,
  vms: readonly Vm[],
  count: number,
  random: () => number,
): Vm[] {
  const policy = pool.spec.scaleInStrategy?.proactive?.selectionPolicy;
  let eligible = sortMembers(
    vms.filter((vm) => !isDeleting(vm)),
    policy?.sortPolicy,
    random,
  );
  const labelSelector = policy?.selectors?.labelSelector;
  if (labelSelector) {
    const p = parseSelector(labelSelector, 'labelSelector');
    if (p.ok)
      eligible = eligible.filter((vm) => selectorMatches(p.selector, vm.spec.template?.metadata?.labels));
  }
  const nodeReqs = policy?.selectors?.nodeSelectorRequirementMatcher;
  if (nodeReqs) {
    eligible = eligible.filter((vm) =>
      nodeReqs.every((r) =>
        nodeRequirementHolds(r as NodeRequirement, vm.spec.template?.spec?.nodeSelector ?? {}),
      ),
    );
  }
  return eligible.slice(0, Math.max(0, count));
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration ("5m", "1h30m", "90s") in milliseconds, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    end = re.lastIndex;
  }
  return text.length > 0 && end === text.length ? total : undefined;
}

export const DEFAULT_STARTUP_FAILURE_THRESHOLD = 3;
export const DEFAULT_MIN_FAILING_MS = 5 * 60_000;

const FAILING_STATUSES = new Set([
  'CrashLoopBackOff',
  'ErrorUnschedulable',
  'DataVolumeError',
  'ErrorPvcNotFound',
  'ErrImagePull',
  'ImagePullBackOff',
]);

/** Members autohealing replaces now (empty when spec.autohealing is not set). */
export function failingMembers(pool: VirtualMachinePool, vms: readonly Vm[], now: Date): Vm[] {
  const a = pool.spec.autohealing;
  if (!a) return [];
  const threshold = a.startUpFailureThreshold ?? DEFAULT_STARTUP_FAILURE_THRESHOLD;
  const minMs =
    a.minFailingToStartDuration !== undefined
      ? (parseDuration(a.minFailingToStartDuration) ?? DEFAULT_MIN_FAILING_MS)
      : DEFAULT_MIN_FAILING_MS;
  return vms.filter((vm) => {
    if (isDeleting(vm)) return false;
    if ((vm.status?.startFailure?.consecutiveFailCount ?? 0) >= threshold) return true;
    if (!FAILING_STATUSES.has(vm.status?.printableStatus ?? '')) return false;
    const ready = findCondition(vm.status?.conditions, 'Ready');
    if (!ready || ready.status !== 'False') return false;
    const since = Date.parse(ready.lastTransitionTime ?? '');
    return Number.isFinite(since) && now.getTime() - since >= minMs;
  });
}

/** Problems of spec.autohealing (field, value, fix). */
export function autohealingProblems(pool: VirtualMachinePool): string[] {
  const d = pool.spec.autohealing?.minFailingToStartDuration;
  if (d === undefined || parseDuration(d) !== undefined) return [];
  return [
    `spec.autohealing.minFailingToStartDuration is ${JSON.stringify(d)}; write a duration such as "5m", "90s" or "1h30m"`,
  ];
}
