/**
 * The VolumeSnapshotClass a VM snapshot takes a claim's VolumeSnapshot with, as KubeVirt
 * chooses it: the classes whose `driver` is the claim's StorageClass `provisioner`; the only
 * one, or among several the one annotated `snapshot.storage.kubernetes.io/is-default-class`
 * (KubeVirt looks at the key, whatever its value). No StorageClass or no matching class: none,
 * and the volume is left out of the snapshot. Several matches and no default: a problem (the
 * snapshot cannot choose). Pure.
 */
import {
  DEFAULT_SNAPSHOT_CLASS_ANNOTATION,
  type VolumeSnapshotClass,
} from '../../api/volumesnapshot/v1/index';
import type { StorageClass } from '../datavolume/objects';

export type SnapshotClassChoice =
  { readonly className: string } | { readonly none: string } | { readonly problem: string };

export function snapshotClassFor(
  storageClassName: string | undefined,
  storageClasses: ReadonlyMap<string, StorageClass>,
  classes: readonly VolumeSnapshotClass[],
): SnapshotClassChoice {
  if (!storageClassName) return { none: 'the claim names no StorageClass' };
  const sc = storageClasses.get(storageClassName);
  if (!sc) return { none: `StorageClass ${JSON.stringify(storageClassName)} does not exist` };
  const matches = classes.filter((c) => c.driver === sc.provisioner);
  if (matches.length === 0)
    return {
      none: `no VolumeSnapshotClass has driver ${JSON.stringify(sc.provisioner ?? '')} (the provisioner of StorageClass ${JSON.stringify(storageClassName)})`,
    };
  if (matches.length === 1) return { className: matches[0]!.metadata?.name ?? '' };
  const byDefault = matches.find(
    (c) => c.metadata?.annotations?.[DEFAULT_SNAPSHOT_CLASS_ANNOTATION] !== undefined,
  );
  if (byDefault) return { className: byDefault.metadata?.name ?? '' };
  const names = matches.map((c) => c.metadata?.name ?? '').join(', ');
  return {
    problem: `${matches.length} matching VolumeSnapshotClasses for ${storageClassName} (${names}): annotate one of them ${DEFAULT_SNAPSHOT_CLASS_ANNOTATION}: "true"`,
  };
}
