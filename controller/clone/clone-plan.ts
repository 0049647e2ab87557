/**
 * One round of a VirtualMachineClone, decided from what the caches show (KubeVirt's clone
 * controller, phase by phase). Pure: the reconciler does the actions in order, then writes the
 * status, then records the Events.
 *
 *  - unset / SnapshotInProgress: a VM source is checked (it exists, has no backend storage, its
 *    claim volumes support snapshots: else Pending or Failed) and the temporary snapshot
 *    `tmp-snapshot-<clone uid>` is created, owned by the clone (a VirtualMachineSnapshot source
 *    is used as it is); once the snapshot is ready to use and its content holds every claim
 *    volume, the phase becomes RestoreInProgress;
 *  - RestoreInProgress: the restore `tmp-restore-<clone uid>` is created, owned by the clone,
 *    onto the target VM (spec.target.name, or `<source>-clone-<5>`), with the patches of
 *    ./clone-patches.ts; a target that exists already is refused; once the restore is complete
 *    the phase becomes CreatingTargetVM;
 *  - CreatingTargetVM: once the target VM exists, Succeeded;
 *  - Succeeded: once every restored claim is Bound, the restore and the temporary snapshot are
 *    deleted and status.snapshotName and restoreName cleared; a Succeeded clone whose target VM
 *    is deleted is deleted too, as KubeVirt does;
 *  - Failed and Unknown: nothing more happens (delete the clone and make a new one).
 *
 * Conditions are KubeVirt's: Progressing True / Ready False "Still processing" while at work;
 * Progressing False "Pending" / Ready False with the reason while the source is not there or not
 * snapshot-able; Progressing False "Failed" / Ready False with the reason once failed;
 * Progressing False / Ready True "Ready" once Succeeded. virtkit adds a message saying what the
 * clone waits for, or what to do.
 */
import type { VirtualMachineClone, VirtualMachineCloneStatus } from '../../api/clone/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  OperationCondition,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '../../api/snapshot/v1beta1';
import { setCondition, type EventSpec } from '../../kube';
import type { Claim } from '../datavolume/objects';
import { restoreFailed } from '../restore/restore-plan';
import { operationCondition } from '../snapshot/operation-condition';
import type { SnapshotVm } from '../restore/restored-vm';
import { clonePatches, cloneSpecProblems } from './clone-patches';
import {
  CloneEvent,
  CloneMsg,
  cloneOwnerReference,
  CloneReason,
  cloneRestoreName,
  cloneSnapshotName,
  generatedTargetName,
} from './names';

export interface CloneFacts {
  readonly clone: VirtualMachineClone;
  /** Objects of the clone's namespace by name, as the caches hold them. */
  readonly vm: (name: string) => VirtualMachine | undefined;
  readonly snapshot: (name: string) => VirtualMachineSnapshot | undefined;
  readonly content: (name: string) => VirtualMachineSnapshotContent | undefined;
  readonly restore: (name: string) => VirtualMachineRestore | undefined;
  readonly claim: (name: string) => Claim | undefined;
  readonly now: Date;
}

export type CloneAction =
  /** Create the temporary snapshot; `event` is recorded when it was created by this round. */
  | { readonly kind: 'createSnapshot'; readonly snapshot: VirtualMachineSnapshot; readonly event: EventSpec }
  | { readonly kind: 'createRestore'; readonly restore: VirtualMachineRestore; readonly event: EventSpec }
  | { readonly kind: 'deleteRestore'; readonly name: string }
  | { readonly kind: 'deleteSnapshot'; readonly name: string }
  /** KubeVirt deletes a Succeeded clone whose target VM is gone. */
  | { readonly kind: 'deleteClone' };

export interface ClonePlan {
  readonly actions: readonly CloneAction[];
  /** The status to write (the clone's own when nothing changed). */
  readonly status: VirtualMachineCloneStatus;
  /** Recorded once the status is written, when it changed. */
  readonly events: readonly EventSpec[];
  /** Something the clone waits for that should have been there (KubeVirt's sync error): retried. */
  readonly error?: string;
}

type Cond = OperationCondition & { status: 'True' | 'False' };

/** The phases in which a clone still has work to do ('' is a new clone). */
const ACTIVE_PHASES: readonly string[] = [
  '',
  'SnapshotInProgress',
  'RestoreInProgress',
  'CreatingTargetVM',
  'Succeeded',
];

/** Claim-backed volumes: what a clone must carry over (KubeVirt checks these only). */
function claimVolumes(vm: SnapshotVm): string[] {
  return (vm.spec?.template?.spec?.volumes ?? [])
    .filter((v) => v.persistentVolumeClaim || v.dataVolume)
    .map((v) => v.name);
}

/** KubeVirt's IsBackendStorageNeeded: a persistent TPM or persistent EFI variables. */
function needsBackendStorage(vm: SnapshotVm): boolean {
  const domain = vm.spec?.template?.spec?.domain;
  return domain?.devices?.tpm?.persistent === true || domain?.firmware?.bootloader?.efi?.persistent === true;
}

/** KubeVirt's validateVolumeSnapshotStatus: each claim volume's status.volumeSnapshotStatuses entry. */
function unsnapshotableVolumes(vm: VirtualMachine): string[] {
  const statuses = vm.status?.volumeSnapshotStatuses ?? [];
  return claimVolumes(vm).flatMap((name) => {
    const s = statuses.find((x) => x.name === name);
    if (!s) return [CloneMsg.volumeSupportUnknown(name)];
    return s.enabled ? [] : [CloneMsg.volumeNotSnapshotable(name)];
  });
}

export function planClone(f: CloneFacts): ClonePlan {
  const c = f.clone;
  const now = f.now;
  const ns = c.metadata?.namespace ?? '';
  const name = c.metadata?.name ?? '';
  const source = c.spec.source;
  const fromVm = source.kind === 'VirtualMachine';
  const actions: CloneAction[] = [];
  const events: EventSpec[] = [];
  const unchanged: ClonePlan = { actions, events, status: c.status ?? {} };
  let status: VirtualMachineCloneStatus = structuredClone(c.status ?? {});

  const conditions = (
    progressing: ['True' | 'False', string],
    ready: ['True' | 'False', string],
    message?: string,
  ): void => {
    let list = setCondition(
      status.conditions as Cond[] | undefined,
      operationCondition('Progressing', progressing[0], progressing[1], now, message),
    );
    list = setCondition(list, operationCondition('Ready', ready[0], ready[1], now, message));
    status = { ...status, conditions: list };
  };
  const event = (reason: string, message: string, type: 'Normal' | 'Warning' = 'Normal'): void => {
    events.push({ type, reason, message });
  };
  const working = (message?: string, error?: string): ClonePlan => {
    conditions(['True', CloneReason.processing], ['False', CloneReason.processing], message ?? error);
    return { actions, events, status, ...(error ? { error } : {}) };
  };
  const pending = (eventReason: string, reason: string, message: string): ClonePlan => {
    conditions(['False', CloneReason.pending], ['False', reason], message);
    event(eventReason, reason);
    return { actions, events, status };
  };
  const fail = (eventReason: string, reason: string, message?: string): ClonePlan => {
    status = { ...status, phase: 'Failed' };
    conditions(['False', CloneReason.failed], ['False', reason], message);
    event(eventReason, message ? `${reason}: ${message}` : reason, 'Warning');
    return { actions, events, status };
  };

  if (c.metadata?.deletionTimestamp) return unchanged;
  const phase = status.phase ?? '';
  // Failed and Unknown are final; a phase virtkit does not know is left alone too.
  if (!ACTIVE_PHASES.includes(phase)) return unchanged;
  if (phase === 'Succeeded' && status.targetName && !f.vm(status.targetName))
    return { actions: [{ kind: 'deleteClone' }], events, status: c.status ?? {} };

  let snapshotName = fromVm ? status.snapshotName : source.name;
  let snapshot: VirtualMachineSnapshot | undefined;
  let content: VirtualMachineSnapshotContent | undefined;

  // The snapshot.
  if (phase === '' || phase === 'SnapshotInProgress') {
    if (!status.restoreName) {
      const problems = cloneSpecProblems(c.spec);
      if (problems.length) return fail(CloneEvent.specInvalid, problems.join('; '));
    }
    if (fromVm && !snapshotName) {
      const vm = f.vm(source.name);
      if (!vm)
        return pending(
          CloneEvent.sourceDoesNotExist,
          CloneMsg.sourceMissing('VirtualMachine', ns, source.name),
          `the clone starts once VirtualMachine ${ns}/${source.name} exists; create it, or name an existing VM in spec.source.name`,
        );
      if (needsBackendStorage(vm))
        return fail(
          CloneEvent.sourceWithBackendStorage,
          CloneMsg.backendStorage(`VM ${ns}/${source.name}`),
          'a VM with a persistent TPM (spec.template.spec.domain.devices.tpm.persistent) or persistent EFI variables (spec.template.spec.domain.firmware.bootloader.efi.persistent) cannot be cloned',
        );
      const unsupported = unsnapshotableVolumes(vm);
      if (unsupported.length)
        return pending(
          CloneEvent.volumeSnapshotsInvalid,
          unsupported.join('\n'),
          `every claim volume of VirtualMachine ${ns}/${source.name} must support snapshots (see its status.volumeSnapshotStatuses): give its StorageClass a VolumeSnapshotClass; the clone goes on once they do`,
        );
      const snap: VirtualMachineSnapshot = {
        apiVersion: 'snapshot.kubevirt.io/v1beta1',
        kind: 'VirtualMachineSnapshot',
        metadata: { name: cloneSnapshotName(c), namespace: ns, ownerReferences: [cloneOwnerReference(c)] },
        spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: source.name } },
      };
      actions.push({
        kind: 'createSnapshot',
        snapshot: snap,
        event: {
          type: 'Normal',
          reason: CloneEvent.snapshotCreated,
          message: CloneMsg.snapshotCreated(snap.metadata!.name!, name),
        },
      });
      status = { ...status, phase: 'SnapshotInProgress', snapshotName: snap.metadata!.name! };
      return working(`waiting for VirtualMachineSnapshot ${ns}/${snap.metadata!.name!} to be ready to use`);
    }
    snapshotName = snapshotName ?? '';
    snapshot = f.snapshot(snapshotName);
    if (!snapshot) {
      if (!fromVm)
        return pending(
          CloneEvent.sourceDoesNotExist,
          CloneMsg.sourceMissing('VirtualMachineSnapshot', ns, source.name),
          `the clone starts once VirtualMachineSnapshot ${ns}/${source.name} exists; create it, or name an existing snapshot in spec.source.name`,
        );
      return working(undefined, CloneMsg.snapshotNotCreated(snapshotName, name));
    }
    status = { ...status, phase: 'SnapshotInProgress' };
    if (snapshot.status?.phase === 'Failed')
      return fail(
        CloneEvent.snapshotFailed,
        `snapshot ${snapshotName} failed`,
        `${snapshot.status.error?.message ?? 'see its conditions'}; delete this clone and create it again`,
      );
    if (snapshot.status?.readyToUse !== true) {
      const why = snapshot.status?.conditions?.find((x) => x.type === 'Progressing')?.reason;
      return working(
        `waiting for VirtualMachineSnapshot ${ns}/${snapshotName} to be ready to use${why ? ` (${why})` : ''}`,
      );
    }
    const contentName = snapshot.status.virtualMachineSnapshotContentName ?? '';
    content = f.content(contentName);
    if (!content) return working(undefined, CloneMsg.contentMissing(contentName, ns));
    const problem = contentProblem(content, ns, snapshotName);
    if (problem) return fail(CloneEvent.snapshotContentInvalid, problem);
    event(CloneEvent.snapshotReady, CloneMsg.snapshotReady(snapshotName, name));
    status = { ...status, phase: 'RestoreInProgress' };
  }

  // The restore.
  if (status.phase === 'RestoreInProgress') {
    snapshotName = snapshotName ?? '';
    snapshot ??= f.snapshot(snapshotName);
    if (!snapshot) return fail(CloneEvent.snapshotDeleted, CloneMsg.snapshotGone(snapshotName));
    if (!status.restoreName) {
      const restoreName = cloneRestoreName(c);
      // A restore an earlier round made, whose status write was lost.
      const made = f.restore(restoreName);
      if (made) {
        status = { ...status, restoreName, targetName: made.spec.target.name };
        return working(`waiting for VirtualMachineRestore ${ns}/${restoreName} to complete`);
      }
      const contentName = snapshot.status?.virtualMachineSnapshotContentName ?? '';
      content ??= f.content(contentName);
      if (!content) return working(undefined, CloneMsg.contentMissing(contentName, ns));
      const vm: SnapshotVm = content.spec.source.virtualMachine ?? {};
      const targetName =
        c.spec.target?.name || generatedTargetName(vm.metadata?.name ?? source.name, c.metadata?.uid ?? '');
      if (f.vm(targetName))
        return fail(
          CloneEvent.targetExists,
          `target VirtualMachine ${ns}/${targetName} already exists`,
          'a clone creates a new VM and never overwrites one: name a VM that does not exist in spec.target.name (or leave spec.target out for a generated name), or delete that VM, then create the clone again',
        );
      const patches = clonePatches(vm, c.spec);
      if ('problems' in patches) return fail(CloneEvent.specInvalid, patches.problems.join('; '));
      const restore: VirtualMachineRestore = {
        apiVersion: 'snapshot.kubevirt.io/v1beta1',
        kind: 'VirtualMachineRestore',
        metadata: { name: restoreName, namespace: ns, ownerReferences: [cloneOwnerReference(c)] },
        spec: {
          target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: targetName },
          virtualMachineSnapshotName: snapshotName,
          ...(c.spec.volumeNamePolicy ? { volumeRestorePolicy: c.spec.volumeNamePolicy } : {}),
          ...(patches.patches.length ? { patches: patches.patches } : {}),
        },
      };
      actions.push({
        kind: 'createRestore',
        restore,
        event: {
          type: 'Normal',
          reason: CloneEvent.restoreCreated,
          message: CloneMsg.restoreCreated(restoreName, name),
        },
      });
      status = { ...status, restoreName, targetName };
      return working(`waiting for VirtualMachineRestore ${ns}/${restoreName} to complete`);
    }
    const restoreName = status.restoreName;
    const restore = f.restore(restoreName);
    if (!restore) return working(undefined, CloneMsg.restoreNotCreated(restoreName, name));
    if (restoreFailed(restore)) {
      const why = restore.status?.conditions?.find((x) => x.type === 'Failure')?.reason;
      return fail(
        CloneEvent.restoreFailed,
        `restore ${restoreName} failed${why ? `: ${why}` : ''}`,
        'delete this clone and create it again',
      );
    }
    if (restore.status?.complete !== true) {
      const progressing = restore.status?.conditions?.find((x) => x.type === 'Progressing');
      const why = progressing?.status === 'False' ? progressing.reason : undefined;
      return working(
        `waiting for VirtualMachineRestore ${ns}/${restoreName} to complete${why ? `: ${why}` : ''}`,
      );
    }
    event(CloneEvent.restoreReady, CloneMsg.restoreReady(restoreName, name));
    status = { ...status, phase: 'CreatingTargetVM', targetName: restore.spec.target.name };
  }

  // The target VM.
  if (status.phase === 'CreatingTargetVM') {
    const targetName = status.targetName ?? c.spec.target?.name ?? '';
    if (!f.vm(targetName)) return working(undefined, CloneMsg.targetNotCreated(targetName, name));
    event(CloneEvent.targetVmCreated, CloneMsg.targetCreated(targetName, name));
    status = { ...status, phase: 'Succeeded' };
  }

  // Done; the temporary objects go once the new VM's claims are bound.
  conditions(['False', CloneReason.ready], ['True', CloneReason.ready]);
  const restoreName = status.restoreName;
  if (!restoreName) return { actions, events, status };
  const restore = f.restore(restoreName);
  for (const vr of restore?.status?.restores ?? []) {
    const claim = f.claim(vr.persistentVolumeClaim);
    if (!claim)
      return { actions, events, status, error: CloneMsg.pvcNotCreated(vr.persistentVolumeClaim, name) };
    // Claims of a WaitForFirstConsumer class bind when the new VM first starts.
    if (claim.status?.phase !== 'Bound') return { actions, events, status };
  }
  if (restore) event(CloneEvent.pvcBound, CloneMsg.pvcBound(name));
  actions.push({ kind: 'deleteRestore', name: restoreName });
  if (fromVm && status.snapshotName) actions.push({ kind: 'deleteSnapshot', name: status.snapshotName });
  status = { ...status };
  delete status.snapshotName;
  delete status.restoreName;
  return { actions, events, status };
}

/** KubeVirt's verifySnapshotContent: what makes a ready snapshot unusable for a clone. */
function contentProblem(
  content: VirtualMachineSnapshotContent,
  ns: string,
  snapshotName: string,
): string | undefined {
  const contentName = content.metadata?.name ?? '';
  if (!content.spec.virtualMachineSnapshotName) return CloneMsg.contentNameless(contentName);
  const vm: SnapshotVm = content.spec.source.virtualMachine ?? {};
  if (!vm.spec?.template) return undefined;
  if (needsBackendStorage(vm)) return CloneMsg.backendStorage(`snapshot ${ns}/${snapshotName}`);
  const backedUp = new Set((content.spec.volumeBackups ?? []).map((b) => b.volumeName));
  const missing = claimVolumes(vm).filter((v) => !backedUp.has(v));
  if (!missing.length) return undefined;
  return `${missing.map((v) => CloneMsg.volumeNotBackedUp(v, content.spec.virtualMachineSnapshotName ?? '')).join('\n')}; the snapshot left these claim volumes out (see its status.snapshotVolumes.excludedVolumes): give their StorageClass a VolumeSnapshotClass and clone again`;
}
