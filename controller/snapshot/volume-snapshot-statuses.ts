/**
 * A VM's `status.volumeSnapshotStatuses`, which KubeVirt's snapshot controller keeps on every VM:
 * for each volume, whether a snapshot could include it, and why not (KubeVirt's words). A
 * volume can be snapshotted when it is claim-backed and its StorageClass has a
 * VolumeSnapshotClass (./snapshot-class.ts). The StorageClass of a DataVolume volume is its
 * DataVolume's (`spec.pvc`, then `spec.storage`), else its dataVolumeTemplate's, else its
 * claim's. Pure.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachine, Volume, VolumeSnapshotStatus } from '../../api/kubevirt/v1';
import type { VolumeSnapshotClass } from '../../api/volumesnapshot/v1';
import type { Claim, StorageClass } from '../datavolume/objects';
import { snapshotClassFor } from './snapshot-class';
import { isSnapshottable } from './volumes';

export interface VolumeStatusFacts {
  /** A claim of the VM's namespace, by name. */
  readonly claim: (name: string) => Claim | undefined;
  /** A DataVolume of the VM's namespace, by name. */
  readonly dataVolume: (name: string) => DataVolume | undefined;
  readonly storageClasses: ReadonlyMap<string, StorageClass>;
  readonly snapshotClasses: readonly VolumeSnapshotClass[];
}

/** The StorageClass name of a claim-backed volume, or KubeVirt's error when it cannot be told. */
function storageClassOf(
  vm: VirtualMachine,
  volume: Volume,
  facts: VolumeStatusFacts,
): { name: string } | { error: string } {
  const ofClaim = (claimName: string): { name: string } | { error: string } => {
    const claim = facts.claim(claimName);
    return claim ? { name: claim.spec?.storageClassName ?? '' } : { error: 'PVC not found' };
  };
  if (volume.persistentVolumeClaim) return ofClaim(volume.persistentVolumeClaim.claimName);
  if (volume.memoryDump) return ofClaim(volume.memoryDump.claimName);
  const dvName = volume.dataVolume?.name ?? '';
  const dv = facts.dataVolume(dvName);
  const fromDv = dv?.spec?.pvc?.storageClassName || dv?.spec?.storage?.storageClassName;
  if (fromDv) return { name: fromDv };
  if (dv) {
    const template = vm.spec.dataVolumeTemplates?.find((t) => t.metadata?.name === dvName);
    const fromTemplate = template?.spec?.pvc?.storageClassName || template?.spec?.storage?.storageClassName;
    if (fromTemplate) return { name: fromTemplate };
  }
  return ofClaim(dvName);
}

export function volumeSnapshotStatus(
  vm: VirtualMachine,
  volume: Volume,
  facts: VolumeStatusFacts,
): VolumeSnapshotStatus {
  const name = volume.name;
  if (!isSnapshottable(volume))
    return { name, enabled: false, reason: `Snapshot is not supported for this volumeSource type [${name}]` };
  const sc = storageClassOf(vm, volume, facts);
  if ('error' in sc) return { name, enabled: false, reason: sc.error };
  const choice = snapshotClassFor(sc.name, facts.storageClasses, facts.snapshotClasses);
  if ('problem' in choice) return { name, enabled: false, reason: choice.problem };
  if ('none' in choice)
    return {
      name,
      enabled: false,
      reason: `No VolumeSnapshotClass: Volume snapshots are not configured for this StorageClass [${sc.name}] [${name}]`,
    };
  return { name, enabled: true };
}

/** Every volume of the VM's template, in order; undefined for a VM without volumes. */
export function volumeSnapshotStatuses(
  vm: VirtualMachine,
  facts: VolumeStatusFacts,
): VolumeSnapshotStatus[] | undefined {
  const volumes = vm.spec?.template?.spec?.volumes ?? [];
  return volumes.length ? volumes.map((v) => volumeSnapshotStatus(vm, v, facts)) : undefined;
}
