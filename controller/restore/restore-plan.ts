/**
 * One round of a VirtualMachineRestore, decided from what the caches show (KubeVirt's
 * updateVMRestore, step by step). Pure: the reconciler does the actions in order, then writes
 * the status, then removes the finalizer when asked.
 *
 * A round goes as far as it can and stops at the first step that changes something, so each
 * write is seen by the next round before the step after it is taken:
 *
 *  1. the status is initialised (complete false, Progressing);
 *  2. a deleted restore unlocks its target, deletes the claims and DataVolumes it made that the
 *     target does not use (when it never wrote the target), and lets go of its finalizer;
 *  3. the finalizer and the target VM as owner are added;
 *  4. a target with a running VMI is waited for, stopped, or failed (targetReadinessPolicy);
 *  5. the snapshot and its content must be ready (a VolumeSnapshot gone from a complete content
 *     is said as such); a different VM that exists already is refused;
 *  6. the target is locked (status.restoreInProgress);
 *  7. status.restores lists each volume backup and its restored claim; the claims are created
 *     from their VolumeSnapshots, none until all of them exist (InPlace: the old claim is
 *     deleted first), and waited for;
 *  8. template DataVolumes get their restored claims (CDI's populatedFor) and are created
 *     pre-populated; the revisions of the instancetype and preference are restored; the target
 *     VM is written (a new one created, with the restore's patches);
 *  9. DataVolumes the restored VM no longer names are deleted, the target is unlocked, and the
 *     restore is complete.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { OwnerReference } from '../../api/k8s/meta';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  VirtualMachineRestore,
  VirtualMachineRestoreStatus,
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import { setCondition, type EventSpec } from '../../kube';
import { stamp } from '../datavolume/conditions';
import type { Claim, StorageClass } from '../datavolume/objects';
import type { ControllerRevision } from '../vm/instancetype-revision';
import {
  DEFAULT_GRACE_PERIOD_MS,
  EVENT_RESTORE_COMPLETE,
  EVENT_TARGET_NOT_READY,
  hasLastRestore,
  Msg,
  POPULATED_FOR_ANNOTATION,
  PRE_POPULATED_ANNOTATION,
  RESTORE_NAME_ANNOTATION,
  restoredVolumeName,
  VM_RESTORE_FINALIZER,
} from './names';
import { operationCondition, type OperationCond } from '../snapshot/operation-condition';
import { restoredClaim } from './restored-claim';
import {
  dataVolumesToDelete,
  patchedVm,
  restoredRevisionName,
  restoredVm,
  templateIndex,
} from './restored-vm';

type Restores = NonNullable<VirtualMachineRestoreStatus['restores']>;

export interface RestoreFacts {
  readonly restore: VirtualMachineRestore;
  /** The VM spec.target names, if it exists. */
  readonly target?: VirtualMachine;
  /** Whether the target has a VMI (KubeVirt's "target not ready"). */
  readonly targetHasVmi: boolean;
  readonly snapshot?: VirtualMachineSnapshot;
  readonly content?: VirtualMachineSnapshotContent;
  /** Objects of the restore's namespace by name (cluster-scoped for storage classes). */
  readonly claim: (name: string) => Claim | undefined;
  readonly dataVolume: (name: string) => DataVolume | undefined;
  readonly volumeSnapshot: (name: string) => VolumeSnapshot | undefined;
  readonly storageClass: (name: string) => StorageClass | undefined;
  readonly revision: (name: string) => ControllerRevision | undefined;
  readonly now: Date;
}

export type RestoreAction =
  | { readonly kind: 'addFinalizer' }
  | { readonly kind: 'setOwner'; readonly owner: OwnerReference }
  | { readonly kind: 'stopTarget' }
  | { readonly kind: 'lockTarget' }
  | { readonly kind: 'unlockTarget' }
  | { readonly kind: 'createClaim'; readonly claim: Claim }
  | { readonly kind: 'deleteClaim'; readonly name: string; readonly uid?: string }
  /** CDI's prePopulated on a DataVolume whose claim an InPlace restore replaces: it must not fill a new one. */
  | { readonly kind: 'prepopulateDataVolume'; readonly name: string }
  /** populatedFor on a restored claim, its owners dropped: the DataVolume of that name adopts it. */
  | { readonly kind: 'markClaimForDataVolume'; readonly claim: string; readonly dataVolume: string }
  | { readonly kind: 'createDataVolume'; readonly dataVolume: DataVolume }
  /** Create a revision; `replace`: delete the stale one of that name first (revisions are immutable). */
  | { readonly kind: 'createRevision'; readonly revision: ControllerRevision; readonly replace?: string }
  | { readonly kind: 'ownRevision'; readonly name: string }
  | { readonly kind: 'writeTarget'; readonly vm: VirtualMachine; readonly create: boolean }
  | { readonly kind: 'deleteDataVolume'; readonly name: string }
  /** A claim or DataVolume an unfinished restore made and the target does not use: its deletion takes it. */
  | {
      readonly kind: 'deleteUnusedRestored';
      readonly what: 'PersistentVolumeClaim' | 'DataVolume';
      readonly name: string;
      readonly uid?: string;
    };

export interface RestorePlan {
  readonly actions: readonly RestoreAction[];
  readonly status: VirtualMachineRestoreStatus;
  readonly events: readonly EventSpec[];
  /** After the status is written: remove the finalizer (a deleted restore is done). */
  readonly removeFinalizer?: boolean;
  /**
   * KubeVirt's doUpdateError: the conditions say it, a Warning event is recorded, and the round
   * is retried with backoff.
   */
  readonly error?: string;
  readonly requeueAfterMs?: number;
}

function withConditions(
  status: VirtualMachineRestoreStatus,
  now: Date,
  progressing: ['True' | 'False', string],
  ready: ['True' | 'False', string],
  failure?: string,
): VirtualMachineRestoreStatus {
  let conditions = setCondition(
    status.conditions as OperationCond[] | undefined,
    operationCondition('Progressing', progressing[0], progressing[1], now),
  );
  if (failure) conditions = setCondition(conditions, operationCondition('Failure', 'True', failure, now));
  conditions = setCondition(conditions, operationCondition('Ready', ready[0], ready[1], now));
  return { ...status, conditions };
}

const isTrue = (s: VirtualMachineRestoreStatus | undefined, type: string): boolean =>
  (s?.conditions ?? []).some((c) => c.type === type && c.status === 'True');

export function restoreFailed(r: VirtualMachineRestore): boolean {
  return isTrue(r.status, 'Failure');
}

export function restoreProgressing(r: VirtualMachineRestore): boolean {
  return r.status?.complete !== true && !restoreFailed(r);
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The snapshot and content to restore from, or KubeVirt's error (with virtkit's fix). */
function snapshotSource(
  f: RestoreFacts,
): { snapshot: VirtualMachineSnapshot; content: VirtualMachineSnapshotContent } | { error: string } {
  const ns = f.restore.metadata?.namespace ?? '';
  const key = `${ns}/${f.restore.spec.virtualMachineSnapshotName}`;
  const s = f.snapshot;
  if (!s)
    return {
      error: `VMSnapshot ${key} does not exist; create it, or name an existing VirtualMachineSnapshot in spec.virtualMachineSnapshotName`,
    };
  if (s.status?.phase === 'Failed')
    return { error: `VMSnapshot ${key} failed and is invalid to use; restore from another snapshot` };
  // A VolumeSnapshot gone from a content that was complete never comes back: say which, and
  // that nothing was restored, rather than wait for a readiness that cannot return.
  const gone = f.content?.status?.creationTime ? missingVolumeSnapshot(f, f.content) : undefined;
  if (gone) return { error: gone };
  if (s.status?.readyToUse !== true)
    return { error: `VMSnapshot ${key} not ready; the restore goes on once its status.readyToUse is true` };
  const contentName = s.status?.virtualMachineSnapshotContentName;
  if (!contentName) return { error: `no snapshot content name in ${key}` };
  const c = f.content;
  if (!c) return { error: `VMSnapshotContent ${ns}/${contentName} does not exist` };
  if (c.status?.readyToUse !== true)
    return { error: `VMSnapshotContent ${ns}/${contentName} not ready; the restore goes on once it is` };
  return { snapshot: s, content: c };
}

/**
 * KubeVirt's "missing volumeSnapshot" for the first volume backup of `content` whose
 * VolumeSnapshot does not exist, with what it means and what to do; undefined if none is missing.
 */
function missingVolumeSnapshot(f: RestoreFacts, content: VirtualMachineSnapshotContent): string | undefined {
  const ns = f.restore.metadata?.namespace ?? '';
  const untouched =
    !(f.target && hasLastRestore(f.restore, f.target.metadata?.annotations)) &&
    !(f.restore.status?.restores ?? []).some((x) => f.claim(x.persistentVolumeClaim));
  for (const vb of content.spec.volumeBackups ?? []) {
    if (!vb.volumeSnapshotName || f.volumeSnapshot(vb.volumeSnapshotName)) continue;
    return `missing volumeSnapshot ${vb.volumeSnapshotName}: VolumeSnapshot ${ns}/${vb.volumeSnapshotName} (volume ${vb.volumeName} of VirtualMachineSnapshotContent ${ns}/${content.metadata?.name ?? ''}) does not exist, so VMSnapshot ${ns}/${f.restore.spec.virtualMachineSnapshotName} cannot be restored; ${untouched ? 'nothing was restored and the VM is unchanged' : 'the VM is not written until every restored claim exists'}: delete this VirtualMachineRestore and restore from another VirtualMachineSnapshot`;
  }
  return undefined;
}

function vmOwnerRef(vm: VirtualMachine): OwnerReference {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    name: vm.metadata?.name ?? '',
    uid: vm.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

const READY_DV_PHASES = ['Succeeded', 'WaitForFirstConsumer', 'PendingPopulation'];

export function planRestore(f: RestoreFacts): RestorePlan {
  const r = f.restore;
  const now = f.now;
  const name = r.metadata?.name ?? '';
  const events: EventSpec[] = [];
  const actions: RestoreAction[] = [];
  const target = f.target;

  // 1. Initialise.
  if (!r.status)
    return {
      actions,
      events,
      status: withConditions(
        { complete: false },
        now,
        ['True', Msg.initializing],
        ['False', Msg.initializing],
      ),
    };
  let status: VirtualMachineRestoreStatus = structuredClone(r.status);
  const fail = (message: string): RestorePlan => ({
    actions,
    events,
    status: withConditions(status, now, ['False', message], ['False', message]),
    error: message,
  });
  const progress = (p: string, ready: string): RestorePlan => ({
    actions,
    events,
    status: withConditions(status, now, ['True', p], ['False', ready]),
  });

  // The target must be a VirtualMachine (admission says so; a restore stored without it is left alone).
  const t = r.spec?.target;
  if (
    !r.metadata?.deletionTimestamp &&
    (t?.kind !== 'VirtualMachine' || (t.apiGroup ?? 'kubevirt.io') !== 'kubevirt.io' || !t.name)
  )
    return fail(
      `unknown target ${JSON.stringify(t ?? null)}: spec.target must name a VirtualMachine (apiGroup kubevirt.io, kind VirtualMachine, name)`,
    );

  // 2. Deleted.
  if (r.metadata?.deletionTimestamp) {
    if (!(r.metadata.finalizers ?? []).includes(VM_RESTORE_FINALIZER)) return { actions, events, status };
    if (target?.status?.restoreInProgress === name) actions.push({ kind: 'unlockTarget' });
    actions.push(...unusedRestored(f));
    return {
      actions,
      events,
      status: withConditions(status, now, ['False', Msg.deleting], ['False', Msg.deleting]),
      removeFinalizer: true,
    };
  }
  if (!restoreProgressing(r)) return { actions, events, status };

  // 3. Finalizer and owner.
  if (!r.metadata?.ownerReferences?.length && target)
    actions.push({ kind: 'setOwner', owner: vmOwnerRef(target) });
  if (!(r.metadata?.finalizers ?? []).includes(VM_RESTORE_FINALIZER)) actions.push({ kind: 'addFinalizer' });

  // 4. The target must not run.
  if (target && f.targetHasVmi) {
    const reason = Msg.waitingReady;
    const told = (status.conditions ?? []).some((c) => c.type === 'Progressing' && c.reason === reason);
    if (!told)
      events.push({
        type: 'Normal',
        reason: EVENT_TARGET_NOT_READY,
        message: 'Restore target VMI still exists',
      });
    status = withConditions(status, now, ['False', reason], ['False', reason]);
    const policy = r.spec.targetReadinessPolicy ?? 'WaitGracePeriod';
    let requeueAfterMs: number | undefined;
    if (policy === 'StopTarget') actions.push({ kind: 'stopTarget' });
    else if (policy === 'FailImmediate')
      status = withConditions(status, now, ['False', Msg.failed], ['False', Msg.failed], Msg.targetNotReady);
    else if (policy === 'WaitGracePeriod') {
      const created = Date.parse(r.metadata?.creationTimestamp ?? '');
      const left =
        (Number.isNaN(created) ? now.getTime() : created) + DEFAULT_GRACE_PERIOD_MS - now.getTime();
      if (left < 0)
        status = withConditions(
          status,
          now,
          ['False', Msg.failed],
          ['False', Msg.failed],
          Msg.gracePeriodExceeded,
        );
      else requeueAfterMs = left + 1_000;
    }
    return { actions, events, status, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
  }

  // 5. The snapshot to restore from; an existing different VM is not overwritten.
  const source = snapshotSource(f);
  if ('error' in source) return fail(source.error);
  const { snapshot, content } = source;
  const restored = target !== undefined && hasLastRestore(r, target.metadata?.annotations);
  if (target && !restored && snapshot.status?.sourceUID && target.metadata?.uid !== snapshot.status.sourceUID)
    return fail(
      `${Msg.existingTarget}: VirtualMachine ${target.metadata?.namespace ?? ''}/${target.metadata?.name ?? ''} is not the VM snapshot ${snapshot.metadata?.name ?? ''} was taken of; name a VM that does not exist in spec.target.name, or delete that VM first`,
    );

  // 6. Lock the target.
  if (target && !restored) {
    const holder = target.status?.restoreInProgress;
    if (holder && holder !== name)
      return fail(
        `vm restore ${holder} in progress; this restore waits until VirtualMachineRestore ${holder} completes or is deleted`,
      );
    if (!holder) actions.push({ kind: 'lockTarget' });
  }

  // 7. Restored claims.
  const snapshotVm = content.spec.source.virtualMachine;
  const memoryDumps = new Set(
    (snapshotVm?.spec?.template?.spec?.volumes ?? []).filter((v) => v.memoryDump).map((v) => v.name),
  );
  const restores: Restores = [];
  for (const vb of content.spec.volumeBackups ?? []) {
    if (memoryDumps.has(vb.volumeName)) continue;
    const known = status.restores?.find((x) => x.volumeName === vb.volumeName);
    if (known) {
      restores.push(known);
      continue;
    }
    if (!vb.volumeSnapshotName)
      return fail(`VolumeSnapshotName missing in the volume backup of volume ${vb.volumeName}`);
    restores.push({
      volumeName: vb.volumeName,
      persistentVolumeClaim: restoredVolumeName(
        r,
        vb.volumeName,
        vb.persistentVolumeClaim.metadata?.name ?? '',
      ),
      volumeSnapshotName: vb.volumeSnapshotName,
    });
  }
  if (!sameJson(status.restores ?? [], restores)) {
    status = { ...status, restores };
    return progress(Msg.creatingClaims, Msg.waitingClaims);
  }
  // Every claim still to be made must have its backup and VolumeSnapshot before any is made:
  // a restore that cannot get all its volumes creates none (nothing is left half-restored).
  for (const vr of restores) {
    if (f.claim(vr.persistentVolumeClaim)) continue;
    const backup = content.spec.volumeBackups?.find((b) => b.volumeName === vr.volumeName);
    if (!backup) return fail(`volume backup for volume ${vr.volumeName} not found`);
    if (!f.volumeSnapshot(backup.volumeSnapshotName ?? '')) {
      const gone = missingVolumeSnapshot(f, {
        ...content,
        spec: { ...content.spec, volumeBackups: [backup] },
      });
      return fail(gone ?? `missing volumeSnapshot ${backup.volumeSnapshotName ?? ''}`);
    }
  }
  let claimsBusy = false;
  const inPlace = r.spec.volumeRestorePolicy === 'InPlace';
  for (const [i, vr] of restores.entries()) {
    const pvc = f.claim(vr.persistentVolumeClaim);
    if (!pvc) {
      const backup = content.spec.volumeBackups?.find((b) => b.volumeName === vr.volumeName);
      if (!backup) return fail(`volume backup for volume ${vr.volumeName} not found`);
      const vs = f.volumeSnapshot(backup.volumeSnapshotName ?? '');
      if (!vs) return fail(`missing volumeSnapshot ${backup.volumeSnapshotName ?? ''}`);
      const owner = vr.dataVolumeName
        ? { dataVolume: vr.dataVolumeName }
        : target && r.spec.volumeOwnershipPolicy !== 'None'
          ? { vm: { name: target.metadata?.name ?? '', uid: target.metadata?.uid ?? '' } }
          : undefined;
      actions.push({
        kind: 'createClaim',
        claim: restoredClaim({
          restore: r,
          claimName: vr.persistentVolumeClaim,
          backup,
          volumeSnapshot: vs,
          sourceVm: {
            name: snapshotVm?.metadata?.name ?? '',
            namespace: snapshotVm?.metadata?.namespace ?? r.metadata?.namespace ?? '',
          },
          ...(owner ? { owner } : {}),
        }),
      });
      claimsBusy = true;
    } else if (inPlace && !hasLastRestore(r, pvc.metadata?.annotations)) {
      // The old claim goes first; its DataVolume must not fill a new one meanwhile.
      if (!pvc.metadata?.deletionTimestamp) {
        const dv = pvc.metadata?.ownerReferences?.find((o) => o.controller && o.kind === 'DataVolume')?.name;
        if (dv) {
          status = {
            ...status,
            restores: (status.restores ?? restores).map((x, j) =>
              j === i ? { ...x, dataVolumeName: dv } : x,
            ),
          };
          actions.push({ kind: 'prepopulateDataVolume', name: dv });
        }
        actions.push({
          kind: 'deleteClaim',
          name: vr.persistentVolumeClaim,
          ...(pvc.metadata?.uid ? { uid: pvc.metadata.uid } : {}),
        });
      }
      claimsBusy = true;
    } else if (pvc.status?.phase === 'Pending' || !pvc.status?.phase) {
      const className = pvc.spec?.storageClassName;
      if (className) {
        const sc = f.storageClass(className);
        if (!sc)
          return fail(
            `StorageClass ${className} does not exist (named by PersistentVolumeClaim ${vr.persistentVolumeClaim})`,
          );
        if ((sc.volumeBindingMode ?? 'Immediate') === 'Immediate') claimsBusy = true;
      } else claimsBusy = true;
    } else if (pvc.status.phase !== 'Bound')
      return fail(
        `PVC ${r.metadata?.namespace ?? ''}/${vr.persistentVolumeClaim} in status ${JSON.stringify(pvc.status.phase)}`,
      );
  }
  if (claimsBusy) return progress(Msg.creatingClaims, Msg.waitingClaims);

  // 8. The target VM.
  if (!restored) {
    if (!snapshotVm?.spec) return fail('unexpected snapshot source: the content holds no VirtualMachine');
    // Template DataVolumes: their restored claims are marked for them.
    let named = false;
    const withDvs = restores.map((vr) => {
      const vol = snapshotVm.spec?.template?.spec?.volumes?.find((v) => v.name === vr.volumeName);
      const dvName = vol?.dataVolume?.name;
      if (!dvName || templateIndex(snapshotVm.spec, dvName) < 0) return vr;
      const restoredDv = restoredVolumeName(r, vr.volumeName, dvName);
      const pvc = f.claim(vr.persistentVolumeClaim);
      if (pvc && pvc.metadata?.annotations?.[POPULATED_FOR_ANNOTATION] !== restoredDv)
        actions.push({
          kind: 'markClaimForDataVolume',
          claim: vr.persistentVolumeClaim,
          dataVolume: restoredDv,
        });
      if (vr.dataVolumeName === restoredDv) return vr;
      named = true;
      return { ...vr, dataVolumeName: restoredDv };
    });
    if (!pvcsExist(f, restores))
      return fail(
        `a restored claim of ${restores.map((x) => x.persistentVolumeClaim).join(', ')} does not exist and should`,
      );
    if (named) {
      status = { ...status, restores: withDvs };
      return progress(Msg.updatingTarget, Msg.waitingTarget);
    }
    const made = restoredVm({ ...r, status }, snapshotVm, target);
    if ('problem' in made) return fail(made.problem);
    let vm = made.vm;

    let dvsBusy = false;
    for (const t of vm.spec.dataVolumeTemplates ?? []) {
      const dvName = t.metadata?.name ?? '';
      const dv = f.dataVolume(dvName);
      if (dv) {
        if (!READY_DV_PHASES.includes(dv.status?.phase ?? '')) dvsBusy = true;
        continue;
      }
      const pvc = f.claim(dvName);
      if (!pvc)
        return fail(
          `when creating restore dv pvc ${r.metadata?.namespace ?? ''}/${dvName} does not exist and should`,
        );
      // Until the claim shows the mark (and has no owner), the DataVolume would not adopt it.
      dvsBusy = true;
      if (
        pvc.metadata?.annotations?.[POPULATED_FOR_ANNOTATION] !== dvName ||
        pvc.metadata?.ownerReferences?.length
      )
        continue;
      actions.push({
        kind: 'createDataVolume',
        dataVolume: {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataVolume',
          metadata: {
            name: dvName,
            namespace: r.metadata?.namespace ?? '',
            ...(t.metadata?.labels ? { labels: { ...t.metadata.labels } } : {}),
            annotations: {
              ...(t.metadata?.annotations ?? {}),
              [RESTORE_NAME_ANNOTATION]: name,
              [PRE_POPULATED_ANNOTATION]: 'true',
            },
          },
          spec: structuredClone(t.spec),
        } as DataVolume,
      });
    }
    if (target) {
      const deleted = dataVolumesToDelete(target.spec, vm.spec);
      if (!sameJson(status.deletedDataVolumes ?? [], deleted)) {
        status = { ...status, ...(deleted.length ? { deletedDataVolumes: deleted } : {}) };
        if (!deleted.length) delete status.deletedDataVolumes;
        return progress(Msg.updatingTarget, Msg.waitingTarget);
      }
    }
    if (dvsBusy) return progress(Msg.updatingTarget, Msg.waitingTarget);

    // Revisions of the instancetype and preference, named for the target again.
    const vmName = vm.metadata?.name ?? '';
    for (const field of ['instancetype', 'preference'] as const) {
      const m = vm.spec[field];
      if (!m?.revisionName) continue;
      const copy = f.revision(m.revisionName);
      if (!copy)
        return fail(`Unable to find ControllerRevision ${r.metadata?.namespace ?? ''}/${m.revisionName}`);
      const restoredName = restoredRevisionName(m.revisionName, r.spec.virtualMachineSnapshotName, vmName);
      const existing = f.revision(restoredName);
      if (!existing || (target && !sameJson(existing.data, copy.data))) {
        actions.push({
          kind: 'createRevision',
          revision: {
            apiVersion: 'apps/v1',
            kind: 'ControllerRevision',
            metadata: {
              name: restoredName,
              namespace: r.metadata?.namespace ?? '',
              ...(copy.metadata?.labels ? { labels: { ...copy.metadata.labels } } : {}),
              ...(target ? { ownerReferences: [vmOwnerRef(target)] } : {}),
            },
            data: structuredClone(copy.data),
            revision: copy.revision ?? 0,
          },
          ...(existing ? { replace: restoredName } : {}),
        });
      }
      vm = { ...vm, spec: { ...vm.spec, [field]: { ...m, revisionName: restoredName } } };
    }
    if (!target) {
      const patched = patchedVm(vm, r.spec.patches);
      if ('problem' in patched) return fail(`error patching VM ${vmName}: ${patched.problem}`);
      vm = patched.vm;
    }
    actions.push({ kind: 'writeTarget', vm, create: !target });
    return progress(Msg.updatingTarget, Msg.waitingTarget);
  }

  // 9. Done: revisions owned by the target, obsolete DataVolumes deleted, the target unlocked.
  for (const field of ['instancetype', 'preference'] as const) {
    const rev = target.spec[field]?.revisionName;
    const cr = rev ? f.revision(rev) : undefined;
    if (cr && !cr.metadata?.ownerReferences?.some((o) => o.controller && o.uid === target.metadata?.uid))
      actions.push({ kind: 'ownRevision', name: rev! });
  }
  for (const dv of status.deletedDataVolumes ?? [])
    if (f.dataVolume(dv)) actions.push({ kind: 'deleteDataVolume', name: dv });
  if (target.status?.restoreInProgress === name) actions.push({ kind: 'unlockTarget' });
  events.push({
    type: 'Normal',
    reason: EVENT_RESTORE_COMPLETE,
    message: `Successfully completed VirtualMachineRestore ${name}`,
  });
  status = withConditions(
    { ...status, complete: true, restoreTime: stamp(now) },
    now,
    ['False', Msg.complete],
    ['True', Msg.complete],
  );
  return { actions, events, status };
}

/**
 * What a deleted restore that never wrote its target made and leaves unused: the claims it
 * created (they carry its lastRestoreUID) and the DataVolumes it created (its name), less any
 * the target VM names. A target the restore wrote keeps them all.
 */
function unusedRestored(f: RestoreFacts): RestoreAction[] {
  const r = f.restore;
  if (r.status?.complete === true || (f.target && hasLastRestore(r, f.target.metadata?.annotations)))
    return [];
  const spec = f.target?.spec;
  const used = new Set<string>();
  for (const v of spec?.template?.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) used.add(v.persistentVolumeClaim.claimName);
    if (v.dataVolume?.name) used.add(v.dataVolume.name);
  }
  for (const t of spec?.dataVolumeTemplates ?? []) if (t.metadata?.name) used.add(t.metadata.name);
  const out: RestoreAction[] = [];
  for (const vr of r.status?.restores ?? []) {
    const pvc = f.claim(vr.persistentVolumeClaim);
    if (pvc && !used.has(vr.persistentVolumeClaim) && hasLastRestore(r, pvc.metadata?.annotations))
      out.push({
        kind: 'deleteUnusedRestored',
        what: 'PersistentVolumeClaim',
        name: vr.persistentVolumeClaim,
        ...(pvc.metadata?.uid ? { uid: pvc.metadata.uid } : {}),
      });
    const dv = vr.dataVolumeName ? f.dataVolume(vr.dataVolumeName) : undefined;
    if (
      dv &&
      vr.dataVolumeName &&
      !used.has(vr.dataVolumeName) &&
      dv.metadata?.annotations?.[RESTORE_NAME_ANNOTATION] === r.metadata?.name
    )
      out.push({
        kind: 'deleteUnusedRestored',
        what: 'DataVolume',
        name: vr.dataVolumeName,
        ...(dv.metadata?.uid ? { uid: dv.metadata.uid } : {}),
      });
  }
  return out;
}

function pvcsExist(f: RestoreFacts, restores: Restores): boolean {
  return restores.every((vr) => f.claim(vr.persistentVolumeClaim) !== undefined);
}
