/**
 * The snapshot's source VM as KubeVirt's snapshot controller sees it, and the lock that makes a
 * snapshot the VM's only one in progress. Pure.
 *
 * State: online (its VMI exists), paused (the VMI's Paused condition is True), guest agent
 * (AgentConnected is True), frozen (the VMI's status.fsFreezeStatus is `frozen`), locked (the
 * VM's status.snapshotInProgress names this snapshot and the VM has the
 * snapshot.kubevirt.io/snapshot-source-protection finalizer).
 *
 * The lock waits, with KubeVirt's words in the Progressing condition's reason ("Source not
 * locked" and why), while a claim of the VM does not exist, is being deleted, is not Bound or
 * is still being populated by its DataVolume; while the VM is stopped but a pod still uses one
 * of its claims; and while another snapshot of the VM is in progress. Otherwise the snapshot
 * takes it: status.snapshotInProgress first, then the finalizer.
 */
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachineSnapshot } from '../../api/snapshot/v1beta1';
import type { Claim } from '../datavolume/objects';
import { SNAPSHOT_SOURCE_FINALIZER } from './names';
import { volumeClaims } from './volumes';

export const SOURCE_LOCKED = 'Source locked and operation in progress';
export const SOURCE_NOT_LOCKED = 'Source not locked';

export interface SourceState {
  readonly uid: string;
  readonly online: boolean;
  readonly paused: boolean;
  readonly guestAgent: boolean;
  readonly frozen: boolean;
  readonly locked: boolean;
}

const conditionTrue = (vmi: VirtualMachineInstance | undefined, type: string): boolean =>
  (vmi?.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

export function sourceState(
  vm: VirtualMachine,
  vmi: VirtualMachineInstance | undefined,
  snapshot: VirtualMachineSnapshot,
): SourceState {
  return {
    uid: vm.metadata?.uid ?? '',
    online: vmi !== undefined,
    paused: conditionTrue(vmi, 'Paused'),
    guestAgent: conditionTrue(vmi, 'AgentConnected'),
    frozen: vmi?.status?.fsFreezeStatus === 'frozen',
    locked:
      vm.status?.snapshotInProgress === snapshot.metadata?.name &&
      (vm.metadata?.finalizers ?? []).includes(SNAPSHOT_SOURCE_FINALIZER),
  };
}

/** A pod, as far as the lock reads it: the claims its volumes mount. */
export interface ClaimUser {
  metadata?: { name?: string; namespace?: string };
  spec?: { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] };
  status?: { phase?: string };
}

export interface LockFacts {
  /** A claim in the VM's namespace, by name. */
  readonly claim: (name: string) => Claim | undefined;
  /** A DataVolume in the VM's namespace, by name. */
  readonly dataVolume: (name: string) => DataVolume | undefined;
  /** The pods of the VM's namespace that may use its claims (launcher and CDI worker pods). */
  readonly pods: readonly ClaimUser[];
}

export type LockCheck =
  | {
      readonly ok: true;
      /** status.snapshotInProgress must still be written. */
      readonly writeStatus: boolean;
      /** The source finalizer must still be added. */
      readonly addFinalizer: boolean;
    }
  | {
      readonly ok: false;
      /** KubeVirt's Progressing reason: "Source not locked" and why. */
      readonly reason: string;
      /** What the user can do, naming the object. */
      readonly message: string;
    };

function describeVm(vm: VirtualMachine): string {
  return `VirtualMachine ${vm.metadata?.namespace ?? ''}/${vm.metadata?.name ?? ''}`;
}

/** Why a claim of the VM is not ready to be snapshotted, with KubeVirt's words and a fix. */
function claimProblem(
  vm: VirtualMachine,
  volumeName: string,
  claimName: string,
  facts: LockFacts,
): { kubevirt: string; message: string } | undefined {
  const claim = facts.claim(claimName);
  const ns = vm.metadata?.namespace ?? '';
  const what = `PersistentVolumeClaim ${ns}/${claimName} (volume ${JSON.stringify(volumeName)} of ${describeVm(vm)})`;
  if (!claim)
    return {
      kubevirt: `volume doesnt exist: ${claimName}`,
      message: `${what} does not exist; the snapshot waits for it: create the claim, or remove the volume from the VM`,
    };
  if (claim.metadata?.deletionTimestamp)
    return {
      kubevirt: `volume is being deleted: ${claimName}`,
      message: `${what} is being deleted; the snapshot waits: let the deletion finish and give the VM a claim that exists`,
    };
  if (claim.status?.phase !== 'Bound')
    return {
      kubevirt: `volume not bound: ${claimName}`,
      message: `${what} is ${claim.status?.phase ?? 'not bound'}, not Bound; the snapshot waits until it binds (a WaitForFirstConsumer claim binds when a pod first uses it: start the VM once)`,
    };
  const owner = claim.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'DataVolume');
  if (owner) {
    const dv = facts.dataVolume(owner.name);
    if (dv?.status?.phase !== 'Succeeded')
      return {
        kubevirt: `volume not populated: ${claimName}`,
        message: `${what} is still being populated by DataVolume ${ns}/${owner.name} (phase ${dv?.status?.phase ?? 'unknown'}); the snapshot waits until it has Succeeded`,
      };
  }
  return undefined;
}

/**
 * Whether the snapshot may lock its source now, and what is left to write; or why it waits.
 * `state` is sourceState() of the same VM.
 */
export function lockCheck(
  vm: VirtualMachine,
  snapshot: VirtualMachineSnapshot,
  state: SourceState,
  facts: LockFacts,
): LockCheck {
  const name = snapshot.metadata?.name ?? '';
  const inProgress = vm.status?.snapshotInProgress;
  const hasFinalizer = (vm.metadata?.finalizers ?? []).includes(SNAPSHOT_SOURCE_FINALIZER);
  if (state.locked) return { ok: true, writeStatus: false, addFinalizer: false };
  const ns = vm.metadata?.namespace ?? '';
  const claims = volumeClaims(vm.spec);
  for (const c of claims) {
    const problem = claimProblem(vm, c.volumeName, c.claimName, facts);
    if (problem)
      return {
        ok: false,
        reason: `${SOURCE_NOT_LOCKED} source ${ns}/${vm.metadata?.name ?? ''} ${problem.kubevirt}`,
        message: problem.message,
      };
  }
  if (!state.online) {
    const names = new Set(claims.map((c) => c.claimName));
    const users = facts.pods.filter(
      (p) =>
        p.status?.phase !== 'Succeeded' &&
        (p.spec?.volumes ?? []).some((v) => names.has(v.persistentVolumeClaim?.claimName ?? '')),
    );
    if (users.length)
      return {
        ok: false,
        reason: `${SOURCE_NOT_LOCKED} source is offline but ${users.length} pods using PVCs [${[...names].sort().join(' ')}]`,
        message: `${describeVm(vm)} is stopped but pods still use its claims (${users.map((p) => p.metadata?.name ?? '').join(', ')}); the snapshot waits until they are gone`,
      };
  }
  if (inProgress !== undefined && inProgress !== null && inProgress !== name)
    return {
      ok: false,
      reason: `${SOURCE_NOT_LOCKED} snapshot ${JSON.stringify(inProgress)} in progress`,
      message: `VirtualMachineSnapshot ${ns}/${inProgress} of ${describeVm(vm)} is in progress; this snapshot waits until it is done (one snapshot of a VM at a time)`,
    };
  return { ok: true, writeStatus: inProgress !== name, addFinalizer: !hasFinalizer };
}

/** Whether the freeze must go to the guest: locked, online, not paused, agent up, not frozen yet. */
export function freezeNeeded(state: SourceState): boolean {
  return state.locked && state.online && !state.paused && state.guestAgent && !state.frozen;
}

/** Whether a thaw must go to the guest (KubeVirt's Unfreeze: locked, agent up, not paused). */
export function thawNeeded(state: SourceState | undefined): boolean {
  return state !== undefined && state.locked && state.online && state.guestAgent && !state.paused;
}
