/**
 * The VirtualMachinePool controller's decisions, separated from I/O, with KubeVirt's semantics:
 *  - members are the VMs the pool controls whose labels its selector matches; a controlled VM
 *    that no longer matches is released (the pool does not adopt orphans);
 *  - the pool and each member carry `pool.kubevirt.io/finalizer`; the pool removes it from a
 *    member once that member is being deleted, and from everything when the pool goes;
 *  - members count while being deleted (status.replicas too), so a replacement is made only
 *    once the old member is gone, under the same name;
 *  - too few: create `<pool>-<index>` at the lowest free indexes; too many: delete the surplus
 *    in the order of scaleInStrategy (selection.ts), unless scale-in is unmanaged or
 *    opportunistic (then only members deleted by someone else go);
 *  - once the count is right: members written from an older template are rewritten (unless
 *    updateStrategy is unmanaged), and with the proactive update strategy (the default) a
 *    running member whose VMI comes from an older VMI template is restarted by deleting its
 *    VMI, at most maxUnavailable (100%) members being unavailable at a time; a member whose
 *    DataVolume templates changed is deleted and made again;
 *  - with spec.autohealing, members failing to start are deleted (and made again);
 *  - nothing is created, deleted or updated while spec.paused, while the pool is being deleted,
 *    or while earlier creations and deletions are not yet seen in the cache.
 * Pure.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { VirtualMachinePool } from '../../api/pool/v1beta1';
import { hasCondition } from '../../kube';
import { parseSelector, selectorMatches, type ParsedSelector } from '../replicas/label-selector';
import { claim, isControlledBy, isDeleting } from '../replicas/ownership';
import { BURST_REPLICAS } from '../replicas/burst';
import { dataVolumesChanged, desiredMember, isOutdated, POOL_FINALIZER, POOL_REVISION_LABEL } from './member';
import { freeMemberNames, indexOf } from './naming';
import { autohealingProblems, failingMembers, scaleInCandidates, selectorProblems } from './selection';

type Vm = VirtualMachine;
type Vmi = VirtualMachineInstance;

export interface PoolInputs {
  readonly pool: VirtualMachinePool;
  /** Every VM in the pool's namespace (from the cache). */
  readonly vms: readonly Vm[];
  readonly vmiOf: (vmName: string) => Vmi | undefined;
  readonly now: Date;
  readonly random?: () => number;
  readonly expectationsSatisfied: boolean;
  /** What api/ validation finds wrong with the pool (spec-validity). */
  readonly specProblems?: readonly string[];
  readonly burst?: number;
}

export interface PoolDecision {
  readonly selector?: ParsedSelector;
  /** Members (controlled and selected), including those being deleted. */
  readonly members: readonly Vm[];
  /** Problems that stop the pool from acting (InvalidSpec). */
  readonly problems: readonly string[];
  readonly release: readonly Vm[];
  readonly addPoolFinalizer: boolean;
  readonly removePoolFinalizer: boolean;
  /** Drop the pool's finalizer from these VMs (being deleted, or the pool is). */
  readonly releaseFinalizer: readonly Vm[];
  readonly create: readonly Vm[];
  /** Members to delete: scale-in or autohealing. */
  readonly remove: readonly Vm[];
  /** Members to delete with foreground propagation (their DataVolume templates changed). */
  readonly replace: readonly Vm[];
  /** Rewritten members (PUT, carrying the resourceVersion they were read at). */
  readonly update: readonly Vm[];
  /** VMIs to delete so their members restart with the new template. */
  readonly restart: readonly Vmi[];
  /** Retry after this long (maxUnavailable reached). */
  readonly requeueAfterMs?: number;
}

/** Seconds KubeVirt waits before looking again when maxUnavailable holds an update back. */
export const UPDATE_RETRY_MS = 3_000;

export const desiredReplicas = (pool: VirtualMachinePool): number => pool.spec.replicas ?? 1;

function statePreservationProblems(pool: VirtualMachinePool): string[] {
  const out: string[] = [];
  const s = pool.spec.scaleInStrategy;
  for (const [path, value] of [
    ['spec.scaleInStrategy.proactive.statePreservation', s?.proactive?.statePreservation],
    ['spec.scaleInStrategy.opportunistic.statePreservation', s?.opportunistic?.statePreservation],
  ] as const) {
    if (value && value !== 'Disabled')
      out.push(
        `${path} is ${JSON.stringify(value)}: keeping a member's disks after scale-in is not supported by virtkit yet; remove the field or set it to "Disabled"`,
      );
  }
  return out;
}

/** Problems that stop the pool from acting, each naming the field, the value and the fix. */
export function poolProblems(
  pool: VirtualMachinePool,
  specProblems: readonly string[] = [],
): {
  problems: string[];
  selector?: ParsedSelector;
} {
  const parsed = parseSelector(pool.spec.selector, 'spec.selector');
  const problems = [...specProblems, ...(parsed.ok ? [] : parsed.problems)];
  const labels = pool.spec.virtualMachineTemplate?.metadata?.labels ?? {};
  // Admission's selector rule (among specProblems) already says it in its own words.
  const admissionSaidIt = specProblems.some((p) => p.startsWith('spec.selector'));
  if (!pool.spec.virtualMachineTemplate)
    problems.push('spec.virtualMachineTemplate is missing; set the VirtualMachine each member is made from');
  else if (parsed.ok && !admissionSaidIt && !selectorMatches(parsed.selector, labels))
    problems.push(
      `spec.selector (${parsed.selector.text || 'empty'}) does not match spec.virtualMachineTemplate.metadata.labels ${JSON.stringify(labels)}; the pool would never see the VMs it creates, make the selector match the template labels`,
    );
  else if (parsed.ok && !admissionSaidIt && parsed.selector.requirements.length === 0)
    problems.push(
      'spec.selector is empty and would select every VM in the namespace; set spec.selector.matchLabels to labels of spec.virtualMachineTemplate.metadata.labels',
    );
  const mu = pool.spec.maxUnavailable;
  if (typeof mu === 'string' && !/^\d+%?$/.test(mu))
    problems.push(
      `spec.maxUnavailable is ${JSON.stringify(mu)}; write a number of VMs (2) or a percentage of spec.replicas ("25%")`,
    );
  problems.push(...selectorProblems(pool), ...autohealingProblems(pool), ...statePreservationProblems(pool));
  return { problems: [...new Set(problems)], selector: parsed.ok ? parsed.selector : undefined };
}

function maxUnavailable(pool: VirtualMachinePool): number {
  const v = pool.spec.maxUnavailable ?? '100%';
  const replicas = desiredReplicas(pool);
  let n: number;
  if (typeof v === 'number') n = v;
  else {
    // Validated by poolProblems: digits, with or without a percent sign (a percentage either way, as KubeVirt reads it).
    n = Math.floor((replicas * Number(String(v).replace(/%$/, ''))) / 100);
  }
  return Math.max(1, n);
}

const vmiReady = (vmi: Vmi | undefined): boolean =>
  vmi !== undefined &&
  !isDeleting(vmi) &&
  vmi.status?.phase === 'Running' &&
  hasCondition(vmi.status?.conditions, 'Ready', 'True');

/** A VMI made from an older VMI template than its member's (KubeVirt: restart it). */
function vmiOutdated(vm: Vm, vmi: Vmi): boolean {
  const want = vm.spec.template?.metadata?.labels?.[POOL_REVISION_LABEL];
  if (!want) return false;
  return vmi.metadata?.labels?.[POOL_REVISION_LABEL] !== want;
}

export function decidePool(i: PoolInputs): PoolDecision {
  const { pool } = i;
  const random = i.random ?? Math.random;
  const { problems, selector } = poolProblems(pool, i.specProblems);
  const hasFinalizer = (pool.metadata?.finalizers ?? []).includes(POOL_FINALIZER);
  const base = {
    selector,
    problems,
    release: [] as Vm[],
    addPoolFinalizer: false,
    removePoolFinalizer: false,
    releaseFinalizer: [] as Vm[],
    create: [] as Vm[],
    remove: [] as Vm[],
    replace: [] as Vm[],
    update: [] as Vm[],
    restart: [] as Vmi[],
  };
  const holdsFinalizer = (vm: Vm): boolean => (vm.metadata?.finalizers ?? []).includes(POOL_FINALIZER);

  const c = selector
    ? claim(pool, selector, i.vms, { adopt: false })
    : { owned: i.vms.filter((vm) => isControlledBy(vm, pool)), adopt: [], release: [] };
  const members = c.owned;

  if (isDeleting(pool)) {
    // Everything the pool controls or selects lets go of the pool's finalizer, then the pool does.
    const mine = i.vms.filter(
      (vm) =>
        holdsFinalizer(vm) &&
        (isControlledBy(vm, pool) || (selector && selectorMatches(selector, vm.metadata?.labels))),
    );
    return {
      ...base,
      members,
      releaseFinalizer: mine,
      removePoolFinalizer: mine.length === 0 && hasFinalizer,
    };
  }
  // Members being deleted by anyone go without waiting for the pool.
  const releaseFinalizer = members.filter((vm) => isDeleting(vm) && holdsFinalizer(vm));
  const common = { ...base, members, release: c.release, releaseFinalizer, addPoolFinalizer: !hasFinalizer };
  if (problems.length || !selector || pool.spec.paused || !i.expectationsSatisfied) return common;

  const burst = i.burst ?? BURST_REPLICAS;
  const failing = failingMembers(pool, members, i.now).slice(0, burst);
  if (failing.length) return { ...common, remove: failing };

  const diff = members.length - desiredReplicas(pool);
  const scaleIn = pool.spec.scaleInStrategy;
  if (diff < 0) {
    const taken = new Set(i.vms.map((vm) => vm.metadata?.name ?? ''));
    const names = freeMemberNames(pool.metadata?.name ?? '', Math.min(-diff, burst), taken);
    return { ...common, create: names.map((n) => desiredMember(pool, n, indexOf(n) ?? 0)) };
  }
  if (diff > 0) {
    if (scaleIn?.unmanaged || scaleIn?.opportunistic) return common;
    const deleting = members.filter(isDeleting).length;
    const count = Math.min(diff - deleting, burst);
    return { ...common, remove: scaleInCandidates(pool, members, count, random) };
  }

  // The count is right: roll template changes out.
  const updateStrategy = pool.spec.updateStrategy;
  if (updateStrategy?.unmanaged) return common;
  const proactive = !updateStrategy?.opportunistic;
  const update: Vm[] = [];
  const replace: Vm[] = [];
  const current: Vm[] = [];
  for (const vm of members) {
    if (isDeleting(vm)) continue;
    if (!isOutdated(vm, pool)) {
      current.push(vm);
      continue;
    }
    const name = vm.metadata?.name ?? '';
    const next = desiredMember(pool, name, indexOf(name) ?? 0, vm);
    if (proactive && dataVolumesChanged(vm, next)) replace.push(vm);
    else update.push(next);
  }
  if (!proactive || update.length || replace.length) return { ...common, update, replace };

  let budget =
    maxUnavailable(pool) - current.filter((vm) => !vmiReady(i.vmiOf(vm.metadata?.name ?? ''))).length;
  const restart: Vmi[] = [];
  let heldBack = false;
  for (const vm of current) {
    const vmi = i.vmiOf(vm.metadata?.name ?? '');
    if (!vmi || isDeleting(vmi) || !vmiOutdated(vm, vmi)) continue;
    // An unavailable member is already counted; restarting it costs nothing more.
    if (!vmiReady(vmi)) {
      restart.push(vmi);
      continue;
    }
    if (budget <= 0) {
      heldBack = true;
      continue;
    }
    restart.push(vmi);
    budget--;
  }
  return { ...common, restart, ...(heldBack ? { requeueAfterMs: UPDATE_RETRY_MS } : {}) };
}
