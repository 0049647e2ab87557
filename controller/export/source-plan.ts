/**
 * What an export's source offers now (pure, KubeVirt's rules): the claims to serve, whether they
 * can be served (populated, and not in use: a VM source must be stopped, a PVC source mounted by
 * no pod but this export's own), the Ready condition's reason and message while they cannot, and
 * the source's own condition (PVCReady or VolumesCreated). A VirtualMachineSnapshot source's
 * claims are restored from its volume snapshots first (./snapshot-source-plan.ts).
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import { CONTENT_TYPE_ANNOTATION } from '../../api/cdi/worker-pod';
import { ExportCondition, ExportReason } from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import type { Claim } from '../datavolume/objects';
import { snapshotSource, type SnapshotLookup } from './snapshot-source-plan';

/** One claim to serve, as the pod and the links need it. */
export interface ExportClaim {
  /** The claim served; its URLs are named after it. */
  readonly name: string;
  /** The volume's name in the links when it is not the claim's (a snapshot's source claim). */
  readonly volumeName?: string;
  /** volumeMode Block: served as raw and gzip from the device. */
  readonly block: boolean;
  /** Holds a disk image (CDI content type kubevirt): raw and gzip; otherwise a directory: dir/ and tar.gz. */
  readonly image: boolean;
  readonly phase: string;
}

export interface ConditionSpec {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

export interface SourceState {
  readonly kind: 'PersistentVolumeClaim' | 'VirtualMachine' | 'VirtualMachineSnapshot' | 'Unknown';
  readonly claims: readonly ExportClaim[];
  readonly populated: boolean;
  readonly inUse: boolean;
  /** The Ready condition while the source cannot be served (False). */
  readonly readyCondition: ConditionSpec;
  /** PVCReady (PVC source) or VolumesCreated; undefined for a VM. */
  readonly sourceCondition?: ConditionSpec;
  /** The source VM (VM source; a snapshot's VM as it was): its manifest is served. */
  readonly vm?: VirtualMachine;
  /**
   * The VM's claims as the manifests describe them, and the claim each is served as, when they
   * are not the live claims of `vm` (a snapshot source).
   */
  readonly manifestClaims?: readonly { readonly claim: Claim; readonly servedAs: string }[];
  /** Claims the controller makes before the source can be served (a snapshot's restores). */
  readonly create?: readonly Claim[];
  readonly vmName?: string;
  /** Nothing to export (a VM without volumes): phase Skipped. */
  readonly skipped: boolean;
}

/** What the claim and VM source plans read from the caches. */
export interface BaseLookup {
  claim(namespace: string, name: string): Claim | undefined;
  dataVolume(namespace: string, name: string): DataVolume | undefined;
  vm(namespace: string, name: string): VirtualMachine | undefined;
  vmi(namespace: string, name: string): VirtualMachineInstance | undefined;
  /** Pods that mount `claim` and are not this export's own (names, for the message). */
  claimUsers(namespace: string, claim: string, exportUid: string): readonly string[];
}
/** What every source plan reads. */
export type SourceLookup = BaseLookup & SnapshotLookup;

/** Whether the source can be served now: populated and not in use. */
export const sourceAvailable = (s: SourceState): boolean => s.populated && !s.inUse && s.claims.length > 0;

export const cond = (
  type: string,
  status: ConditionSpec['status'],
  reason: string,
  message = '',
): ConditionSpec => ({ type, status, reason, message });
export const ready = (reason: string, message = ''): ConditionSpec =>
  cond(ExportCondition.ready, 'False', reason, message);

function controllerOf(c: Claim): { kind?: string; name?: string } | undefined {
  return c.metadata?.ownerReferences?.find((o) => o.controller);
}

/**
 * A claim holds a disk image when it is Block, its CDI content type is kubevirt (or empty), or
 * the DataVolume that owns it has that content type (KubeVirt's isKubevirtContentType).
 */
export function holdsImage(c: Claim, dv: DataVolume | undefined): boolean {
  if (c.spec?.volumeMode === 'Block') return true;
  const ann = c.metadata?.annotations?.[CONTENT_TYPE_ANNOTATION];
  if (ann === 'kubevirt' || ann === '') return true;
  if (ann !== undefined) return false;
  if (controllerOf(c)?.kind !== 'DataVolume' || !dv) return false;
  const ct = dv.spec?.contentType;
  return ct === undefined || ct === 'kubevirt';
}

/**
 * Populated (CDI's IsPopulated): bound, and when a DataVolume owns the claim, that DataVolume
 * has Succeeded.
 */
export function isPopulated(c: Claim, dv: DataVolume | undefined): boolean {
  if (c.status?.phase !== 'Bound') return false;
  if (controllerOf(c)?.kind !== 'DataVolume') return true;
  return dv?.status?.phase === 'Succeeded';
}

export function exportClaim(c: Claim, dv: DataVolume | undefined): ExportClaim {
  return {
    name: c.metadata?.name ?? '',
    block: c.spec?.volumeMode === 'Block',
    image: holdsImage(c, dv),
    phase: c.status?.phase ?? 'Pending',
  };
}

/** PVCReady from the claims' phases: Lost worst, then Pending, Bound best (KubeVirt's). */
export function pvcCondition(claims: readonly ExportClaim[]): ConditionSpec {
  let phase = 'Bound';
  for (const c of claims) {
    if (c.phase === 'Lost') phase = 'Lost';
    else if (c.phase === 'Pending' && phase !== 'Lost') phase = 'Pending';
  }
  if (phase === 'Bound') return cond(ExportCondition.pvc, 'True', ExportReason.pvcBound);
  if (phase === 'Pending') return cond(ExportCondition.pvc, 'False', ExportReason.pvcPending);
  return cond(ExportCondition.pvc, 'False', ExportReason.unknown);
}

function ownerDv(ns: string, c: Claim, look: SourceLookup): DataVolume | undefined {
  const o = controllerOf(c);
  return o?.kind === 'DataVolume' && o.name ? look.dataVolume(ns, o.name) : undefined;
}

function pvcSource(e: VirtualMachineExport, look: SourceLookup): SourceState {
  const ns = e.metadata?.namespace ?? '';
  const name = e.spec.source.name;
  const c = look.claim(ns, name);
  const base = { kind: 'PersistentVolumeClaim' as const, skipped: false };
  if (!c)
    return {
      ...base,
      claims: [],
      populated: false,
      inUse: false,
      readyCondition: ready(ExportReason.initializing),
      sourceCondition: cond(
        ExportCondition.pvc,
        'False',
        ExportReason.pvcNotFound,
        `PersistentVolumeClaim ${ns}/${name} not found`,
      ),
    };
  const dv = ownerDv(ns, c, look);
  const claim = exportClaim(c, dv);
  const populated = isPopulated(c, dv);
  const users = populated ? look.claimUsers(ns, name, e.metadata?.uid ?? '') : [];
  const inUse = users.length > 0;
  return {
    ...base,
    claims: [claim],
    populated,
    inUse,
    readyCondition: !populated
      ? ready(ExportReason.pvcPending, `PersistentVolumeClaim ${ns}/${name} is not populated`)
      : inUse
        ? ready(
            ExportReason.inUse,
            `PersistentVolumeClaim ${ns}/${name} is in use (by pod ${users.slice(0, 3).join(', ')})`,
          )
        : ready(ExportReason.initializing),
    sourceCondition: pvcCondition([claim]),
  };
}

/** The claim names a VM's volumes use (persistentVolumeClaim and dataVolume volumes), in order. */
export function vmClaimNames(vm: VirtualMachine): string[] {
  const names: string[] = [];
  for (const v of vm.spec?.template?.spec?.volumes ?? []) {
    const n = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
    if (n && !names.includes(n)) names.push(n);
  }
  return names;
}

function vmSource(e: VirtualMachineExport, look: SourceLookup): SourceState {
  const ns = e.metadata?.namespace ?? '';
  const name = e.spec.source.name;
  const base = { kind: 'VirtualMachine' as const, vmName: name };
  const vm = look.vm(ns, name);
  if (!vm)
    return {
      ...base,
      claims: [],
      populated: false,
      inUse: false,
      skipped: false,
      readyCondition: ready(ExportReason.vmNotFound, `Virtual Machine ${ns}/${name} not found`),
    };
  const claims: ExportClaim[] = [];
  let populated = true;
  for (const claimName of vmClaimNames(vm)) {
    const c = look.claim(ns, claimName);
    if (!c) {
      // A DataVolume's claim not made yet: wait for it (a missing plain claim is skipped, as KubeVirt does).
      if (vm.spec?.template?.spec?.volumes?.some((v) => v.dataVolume?.name === claimName)) populated = false;
      continue;
    }
    const dv = ownerDv(ns, c, look);
    if (!isPopulated(c, dv)) populated = false;
    claims.push(exportClaim(c, dv));
  }
  if (!claims.length && populated)
    return {
      ...base,
      vm,
      claims,
      populated: true,
      inUse: false,
      skipped: true,
      readyCondition: ready(ExportReason.vmNoVolumes, `Virtual Machine ${ns}/${name} has no volumes`),
    };
  if (!populated)
    return {
      ...base,
      vm,
      claims,
      populated,
      inUse: false,
      skipped: false,
      readyCondition: ready(
        ExportReason.volumesNotPopulated,
        `Not all volumes in the Virtual Machine ${ns}/${name} are populated`,
      ),
    };
  // KubeVirt exports a VM's volumes only while it is stopped: a VMI that has not finished holds them.
  const vmi = look.vmi(ns, name);
  const running = !!vmi && vmi.status?.phase !== 'Succeeded' && vmi.status?.phase !== 'Failed';
  return {
    ...base,
    vm,
    claims,
    populated,
    inUse: running,
    skipped: false,
    readyCondition: running
      ? ready(ExportReason.inUse, `Virtual Machine ${ns}/${name} is running`)
      : ready(ExportReason.initializing),
  };
}

/** The source state of an export (pure). */
export function sourceState(e: VirtualMachineExport, look: SourceLookup): SourceState {
  const kind = e.spec?.source?.kind;
  if (kind === 'PersistentVolumeClaim') return pvcSource(e, look);
  if (kind === 'VirtualMachine') return vmSource(e, look);
  if (kind === 'VirtualMachineSnapshot') return snapshotSource(e, look);
  const ns = e.metadata?.namespace ?? '';
  return {
    kind: 'Unknown',
    claims: [],
    populated: false,
    inUse: false,
    skipped: false,
    readyCondition: ready(
      ExportReason.notSupported,
      `VirtualMachineExport ${ns}/${e.metadata?.name ?? ''}: spec.source.kind ${JSON.stringify(kind)} cannot be exported; use VirtualMachine, VirtualMachineSnapshot or PersistentVolumeClaim`,
    ),
  };
}
