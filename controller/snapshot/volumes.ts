/**
 * Which of a VM's volumes a snapshot can hold, as KubeVirt decides: volumes backed by a
 * PersistentVolumeClaim (`persistentVolumeClaim`, `dataVolume` whose claim has the
 * DataVolume's name, `memoryDump`) are snapshottable; everything else (containerDisk,
 * cloudInitNoCloud, cloudInitConfigDrive, emptyDisk, ephemeral, configMap, secret,
 * serviceAccount, downwardAPI, hostDisk, sysprep...) is not, and is listed as excluded.
 * Pure.
 */
import type { Volume } from '../../api/kubevirt/v1';
import type { VirtualMachineSpec } from '../../api/kubevirt/v1';
import type { VolumeBackup } from '../../api/snapshot/v1beta1';

/** The claim behind a volume, or undefined when the volume has none (not snapshottable). */
export function claimOfVolume(volume: Volume): string | undefined {
  return volume.persistentVolumeClaim?.claimName ?? volume.dataVolume?.name ?? volume.memoryDump?.claimName;
}

export function isSnapshottable(volume: Volume): boolean {
  return claimOfVolume(volume) !== undefined;
}

export interface VolumeClaim {
  readonly volumeName: string;
  readonly claimName: string;
}

/** The VM's claim-backed volumes, in the order the template lists them. */
export function volumeClaims(spec: VirtualMachineSpec | undefined): VolumeClaim[] {
  const out: VolumeClaim[] = [];
  for (const v of spec?.template?.spec?.volumes ?? []) {
    const claimName = claimOfVolume(v);
    if (claimName) out.push({ volumeName: v.name, claimName });
  }
  return out;
}

export interface SnapshotVolumes {
  readonly includedVolumes: string[];
  readonly excludedVolumes: string[];
  /** A snapshottable volume was left out (no snapshot class, not bound...): the PartialSnapshot indication. */
  readonly partial: boolean;
}

/**
 * status.snapshotVolumes of a finished snapshot: every volume of the captured VM, included when
 * the content holds a backup of it, excluded otherwise.
 */
export function snapshotVolumes(
  spec: VirtualMachineSpec | undefined,
  backups: readonly VolumeBackup[] | undefined,
): SnapshotVolumes {
  const backedUp = new Set((backups ?? []).map((b) => b.volumeName));
  const includedVolumes: string[] = [];
  const excludedVolumes: string[] = [];
  let partial = false;
  for (const v of spec?.template?.spec?.volumes ?? []) {
    if (backedUp.has(v.name)) includedVolumes.push(v.name);
    else {
      excludedVolumes.push(v.name);
      if (isSnapshottable(v)) partial = true;
    }
  }
  return { includedVolumes, excludedVolumes, partial };
}
