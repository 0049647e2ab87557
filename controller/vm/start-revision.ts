/**
 * What a running VMI was started from, and whether the VM has changed since: KubeVirt's
 * `revision-start-vm-<vm uid>-<vm generation>` ControllerRevision, written when the VM
 * controller creates a VMI (data `{"spec": <the VM's spec>}` with each instancetype and
 * preference matcher carrying the `revisionName` the VM's status recorded; `revision` = the VM
 * generation; controlled by the VM; older ones of the VM deleted), and the `RestartRequired`
 * decision made from it. Pure.
 *
 * RestartRequired follows KubeVirt's syncRestartRequired: both the spec the VMI started from
 * and the VM's current spec are expanded with their instancetype and preference revisions, and
 * their `template.spec` compared; a difference sets the condition (status True, KubeVirt's
 * message), none removes it. A change of the template's metadata, the run strategy or the
 * instancetype object (its revision is kept) needs no restart; a change of the matcher to
 * another instancetype whose spec differs does. virtkit has no live updates (KubeVirt's
 * LiveUpdate rollout strategy), so every field of the template counts but hotpluggable volumes
 * and their disks, which reach the running VMI live (./volume-requests.ts). The condition
 * goes when the VMI is stopped or a new one started.
 */
import { isDeepStrictEqual } from 'util';
import type { VirtualMachine, VirtualMachineSpec } from '../../api/kubevirt/v1';
import { expandVirtualMachine, type ResolvedSpecs } from '../../api/instancetype/expand';
import type { ControllerRevision } from './instancetype-revision';
import { vmControllerRef } from './vmi-from-vm';
import { withoutHotplugVolumes } from './volume-requests';

export const RESTART_REQUIRED_MESSAGE = 'a non-live-updatable field was changed in the template spec';

const PREFIX = 'revision-start-vm-';

/** `revision-start-vm-<uid>-<generation>`, KubeVirt's name. */
export function startRevisionName(vmUid: string, generation: number): string {
  return `${PREFIX}${vmUid}-${generation}`;
}

function generationOf(vm: VirtualMachine, revision: ControllerRevision): number | undefined {
  const name = revision.metadata?.name ?? '';
  const prefix = `${PREFIX}${vm.metadata?.uid ?? ''}-`;
  if (!vm.metadata?.uid || !name.startsWith(prefix)) return undefined;
  const gen = Number(name.slice(prefix.length));
  return Number.isInteger(gen) ? gen : undefined;
}

/** The VM's spec as a start revision stores it: matchers name the revisions status recorded. */
export function startSpec(vm: VirtualMachine): VirtualMachineSpec {
  const spec = structuredClone(vm.spec);
  const it = vm.status?.instancetypeRef?.controllerRevisionRef?.name;
  const pref = vm.status?.preferenceRef?.controllerRevisionRef?.name;
  if (spec.instancetype && it) spec.instancetype.revisionName = it;
  if (spec.preference && pref) spec.preference.revisionName = pref;
  return spec;
}

/** The start revision of the VM at its current generation. */
export function startRevision(vm: VirtualMachine): ControllerRevision {
  const generation = vm.metadata?.generation ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: startRevisionName(vm.metadata?.uid ?? '', generation),
      namespace: vm.metadata?.namespace,
      ownerReferences: [vmControllerRef(vm)],
    },
    data: { spec: startSpec(vm) },
    revision: generation,
  };
}

/** The VM's start revision of the highest generation among `revisions`, if any. */
export function latestStartRevision(
  vm: VirtualMachine,
  revisions: readonly ControllerRevision[],
): ControllerRevision | undefined {
  let best: { gen: number; rev: ControllerRevision } | undefined;
  for (const rev of revisions) {
    const gen = generationOf(vm, rev);
    if (gen !== undefined && (!best || gen > best.gen)) best = { gen, rev };
  }
  return best?.rev;
}

/** Names of the VM's start revisions other than the one of `generation` (deleted once a VMI starts). */
export function staleStartRevisions(
  vm: VirtualMachine,
  revisions: readonly ControllerRevision[],
  generation: number,
): string[] {
  return revisions
    .filter((r) => {
      const gen = generationOf(vm, r);
      return gen !== undefined && gen !== generation;
    })
    .map((r) => r.metadata?.name ?? '');
}

/** The VM spec a start revision holds, or undefined when it holds none. */
export function specOfStartRevision(revision: ControllerRevision): VirtualMachineSpec | undefined {
  const spec = (revision.data as { spec?: unknown } | undefined)?.spec;
  return spec && typeof spec === 'object' && !Array.isArray(spec) ? (spec as VirtualMachineSpec) : undefined;
}

/** JSON's view of a value: `undefined` fields gone, so an absent and an unset field compare equal. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * Whether the VMI started from `started` (its spec, expanded with `startedSpecs`) needs a
 * restart to reflect the VM now (`vm`, expanded with `specs`). Undefined when either cannot be
 * expanded: the condition is then left as it is, as KubeVirt does.
 */
export function restartRequired(
  started: VirtualMachineSpec,
  startedSpecs: ResolvedSpecs,
  vm: VirtualMachine,
  specs: ResolvedSpecs,
): boolean | undefined {
  const before = expandVirtualMachine({ ...vm, spec: started }, startedSpecs);
  const now = expandVirtualMachine(vm, specs);
  if (!before.ok || !now.ok) return undefined;
  // Hotplugged volumes reach the running VMI live: they alone need no restart.
  return !isDeepStrictEqual(
    plain(withoutHotplugVolumes(before.vm.spec.template?.spec)),
    plain(withoutHotplugVolumes(now.vm.spec.template?.spec)),
  );
}
