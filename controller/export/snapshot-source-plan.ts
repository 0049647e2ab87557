/**
 * What an export of a VirtualMachineSnapshot offers now (pure, KubeVirt's rules): once the
 * snapshot is readyToUse, each volume backup of its content is restored into a claim of the
 * export's own, `<export>-<source claim>`, from the backup's VolumeSnapshot (KubeVirt's
 * CreateRestorePVCDef, controlled by the export so it goes with it; content type kubevirt when
 * the VM used the claim as a disk). Those claims are served once Bound; the links name each
 * volume after the source claim. The VM manifest served is the VM as the snapshot holds it, its
 * volumes pointing at the restored claims' URLs. VolumesCreated tells how far the restores are.
 */
import { CONTENT_TYPE_ANNOTATION } from '../../api/cdi/worker-pod';
import { ExportCondition, ExportReason } from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type {
  VirtualMachineSnapshot,
  VirtualMachineSnapshotContent,
  VolumeBackup,
} from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import type { Claim } from '../datavolume/objects';
import { claimFromBackup } from '../restore/restored-claim';
import { exportOwnerRef } from './objects-plan';
import {
  cond,
  exportClaim,
  ready,
  type ExportClaim,
  type SourceLookup,
  type SourceState,
} from './source-plan';

/** What the snapshot source plan reads from the caches, besides claims. */
export interface SnapshotLookup {
  vmSnapshot(namespace: string, name: string): VirtualMachineSnapshot | undefined;
  vmSnapshotContent(namespace: string, name: string): VirtualMachineSnapshotContent | undefined;
  volumeSnapshot(namespace: string, name: string): VolumeSnapshot | undefined;
}

/** The claim an export restores a volume backup into (KubeVirt's `<export>-<source claim>`). */
export const snapshotExportClaimName = (exportName: string, sourceClaim: string): string =>
  `${exportName}-${sourceClaim}`;

/** The backup's volume is a disk of the VM (a DataVolume or claim volume): content type kubevirt. */
function isDiskBackup(b: VolumeBackup, vm: VirtualMachine | undefined): boolean {
  return (vm?.spec?.template?.spec?.volumes ?? []).some(
    (v) => v.name === b.volumeName && (v.dataVolume !== undefined || v.persistentVolumeClaim !== undefined),
  );
}

/** The VM as the snapshot content holds it. */
function snapshotVm(content: VirtualMachineSnapshotContent, ns: string): VirtualMachine | undefined {
  const held = content.spec.source.virtualMachine;
  if (!held?.spec) return undefined;
  const m = held.metadata ?? {};
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: m.name ?? '',
      namespace: ns,
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.annotations ? { annotations: m.annotations } : {}),
    },
    spec: held.spec,
  } as VirtualMachine;
}

/** The source state of a VirtualMachineSnapshot export (pure). */
export function snapshotSource(e: VirtualMachineExport, look: SourceLookup): SourceState {
  const ns = e.metadata?.namespace ?? '';
  const exportName = e.metadata?.name ?? '';
  const uid = e.metadata?.uid ?? '';
  const name = e.spec.source.name;
  const what = `VirtualMachineSnapshot ${ns}/${name}`;
  const base = { kind: 'VirtualMachineSnapshot' as const, inUse: false, skipped: false };
  const volumesCreated = (status: 'True' | 'False', reason: string, message = '') =>
    cond(ExportCondition.volumesCreated, status, reason, message);
  const waiting = (reason: string, message: string, vmName?: string): SourceState => ({
    ...base,
    ...(vmName ? { vmName } : {}),
    claims: [],
    populated: false,
    readyCondition: ready(reason, message),
    sourceCondition: volumesCreated('False', reason, message),
  });

  const snap = look.vmSnapshot(ns, name);
  if (!snap) return waiting(ExportReason.vmSnapshotNotFound, `${what} not found`);
  const vmName = snap.spec.source.name;
  if (!snap.status?.readyToUse)
    return waiting(
      ExportReason.notAllPvcsCreated,
      `${what} is not ready to use (phase ${snap.status?.phase ?? 'Unknown'}); the export waits for it`,
      vmName,
    );
  const contentName = snap.status.virtualMachineSnapshotContentName ?? '';
  const content = contentName ? look.vmSnapshotContent(ns, contentName) : undefined;
  if (!content)
    return waiting(
      ExportReason.notAllPvcsCreated,
      `${what} is ready but its VirtualMachineSnapshotContent ${JSON.stringify(contentName)} is not found`,
      vmName,
    );
  const vm = snapshotVm(content, ns);
  const backups = content.spec.volumeBackups ?? [];
  if (!backups.length)
    return {
      ...base,
      vmName,
      claims: [],
      populated: true,
      skipped: true,
      readyCondition: ready(ExportReason.initializing),
      sourceCondition: volumesCreated(
        'False',
        ExportReason.vmSnapshotNoVolumes,
        `${what} does not contain any volume snapshots`,
      ),
    };

  const claims: ExportClaim[] = [];
  const create: Claim[] = [];
  const manifestClaims: { claim: Claim; servedAs: string }[] = [];
  const problems: string[] = [];
  for (const b of backups) {
    const sourceClaim = b.persistentVolumeClaim.metadata?.name ?? '';
    const served = snapshotExportClaimName(exportName, sourceClaim);
    manifestClaims.push({
      claim: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: sourceClaim, namespace: ns },
        ...(b.persistentVolumeClaim.spec ? { spec: b.persistentVolumeClaim.spec } : {}),
      } as Claim,
      servedAs: served,
    });
    const existing = look.claim(ns, served);
    if (existing) {
      const mine = existing.metadata?.ownerReferences?.some((o) => o.controller && o.uid === uid);
      if (!mine) {
        problems.push(
          `PersistentVolumeClaim ${ns}/${served} exists and is not this export's; delete it or give the export another name`,
        );
        continue;
      }
      claims.push({ ...exportClaim(existing, undefined), volumeName: sourceClaim });
      continue;
    }
    const vs = b.volumeSnapshotName ? look.volumeSnapshot(ns, b.volumeSnapshotName) : undefined;
    if (!vs) {
      problems.push(
        `volume ${b.volumeName}'s VolumeSnapshot ${JSON.stringify(b.volumeSnapshotName ?? '')} is not found`,
      );
      continue;
    }
    const claim = claimFromBackup(served, ns, b, vs);
    if (isDiskBackup(b, vm)) claim.metadata.annotations[CONTENT_TYPE_ANNOTATION] = 'kubevirt';
    claim.metadata.ownerReferences = [exportOwnerRef(e)];
    create.push(claim);
  }
  // A restored claim is Bound once the snapshot's data is in it (its provisioner's contract).
  const bound = claims.filter((c) => c.phase === 'Bound').length;
  const populated = !problems.length && !create.length && bound === backups.length;
  const sourceCondition = problems.length
    ? volumesCreated(
        'False',
        ExportReason.notAllPvcsCreated,
        `Not all PVCs have been restored: ${problems.join('; ')}`,
      )
    : create.length
      ? volumesCreated(
          'False',
          ExportReason.notAllPvcsCreated,
          'Not all PVCs have been successfully restored',
        )
      : populated
        ? volumesCreated('True', ExportReason.allPvcsReady)
        : volumesCreated('False', ExportReason.notAllPvcsReady, 'Not all PVCs are ready');
  return {
    ...base,
    vmName,
    ...(vm ? { vm } : {}),
    manifestClaims,
    claims,
    ...(create.length ? { create } : {}),
    populated,
    readyCondition: problems.length
      ? ready(ExportReason.notAllPvcsCreated, `${what}: ${problems.join('; ')}`)
      : ready(ExportReason.initializing),
    sourceCondition,
  };
}
