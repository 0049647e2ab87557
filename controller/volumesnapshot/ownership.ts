/**
 * Whose VolumeSnapshot is it? virtkit's snapshot controller takes only the snapshots of its
 * local driver (`virtkit.io/local-volume`); every other one is the cluster's own snapshot
 * controller's (a CSI driver's), left alone without a write. The class decides: the one the
 * snapshot names, else the default class of the source claim's driver. Where nothing says, the
 * snapshot is taken as ours only when the local driver has a default class (local mode), so a
 * cluster that uses only its CSI drivers never sees virtkit write to its snapshots. Pure.
 */
import { LOCAL_VOLUME_DRIVER } from '../../api/storage/local';
import {
  DEFAULT_SNAPSHOT_CLASS_ANNOTATION,
  type VolumeSnapshot,
  type VolumeSnapshotClass,
  type VolumeSnapshotContent,
} from '../../api/volumesnapshot/v1';
import type { Claim, StorageClass } from '../datavolume/objects';

const STORAGE_PROVISIONER_ANNOTATIONS = [
  'volume.kubernetes.io/storage-provisioner',
  'volume.beta.kubernetes.io/storage-provisioner',
];

export interface OwnershipFacts {
  readonly classes: readonly VolumeSnapshotClass[];
  /** The source claim (`spec.source.persistentVolumeClaimName`), when it exists. */
  readonly claim?: Claim;
  /** The claim's StorageClass, when it exists. */
  readonly claimClass?: StorageClass;
  /** The content named by `spec.source.volumeSnapshotContentName`, when it exists. */
  readonly sourceContent?: VolumeSnapshotContent;
}

export type Ownership =
  | { readonly ours: false }
  | {
      readonly ours: true;
      /** The class snapshots are taken with (dynamic snapshots without a problem). */
      readonly snapshotClass?: VolumeSnapshotClass;
      /** Why the snapshot cannot go on, for status.error. */
      readonly problem?: string;
    };

export function describeSnapshot(s: VolumeSnapshot): string {
  return `VolumeSnapshot ${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
}

/** The driver of a claim's volume: what kube-controller-manager wrote on it, else its class's provisioner. */
export function claimDriver(claim: Claim, claimClass: StorageClass | undefined): string | undefined {
  const a = claim.metadata?.annotations ?? {};
  for (const k of STORAGE_PROVISIONER_ANNOTATIONS) if (a[k]) return a[k];
  return claimClass?.provisioner;
}

/** The classes of the local driver marked default. */
export function defaultLocalClasses(classes: readonly VolumeSnapshotClass[]): VolumeSnapshotClass[] {
  return classes.filter(
    (c) =>
      c.driver === LOCAL_VOLUME_DRIVER &&
      c.metadata?.annotations?.[DEFAULT_SNAPSHOT_CLASS_ANNOTATION] === 'true',
  );
}

const classLabel = (c: VolumeSnapshotClass): string => c.metadata?.name ?? '';

export function snapshotOwnership(snapshot: VolumeSnapshot, facts: OwnershipFacts): Ownership {
  const what = describeSnapshot(snapshot);
  const ns = snapshot.metadata?.namespace ?? '';
  const className = snapshot.spec?.volumeSnapshotClassName;
  const named = className ? facts.classes.find((c) => c.metadata?.name === className) : undefined;
  const haveDefault = defaultLocalClasses(facts.classes).length > 0;
  const source = snapshot.spec?.source ?? {};

  // Pre-provisioned: the content's driver decides.
  if (source.volumeSnapshotContentName !== undefined) {
    const c = facts.sourceContent;
    if (c) return c.spec?.driver === LOCAL_VOLUME_DRIVER ? { ours: true } : { ours: false };
    if (className ? named?.driver !== LOCAL_VOLUME_DRIVER : !haveDefault) return { ours: false };
    return {
      ours: true,
      problem: `${what}: spec.source.volumeSnapshotContentName ${JSON.stringify(source.volumeSnapshotContentName)} names no VolumeSnapshotContent; create it (spec.driver ${LOCAL_VOLUME_DRIVER}, spec.source.snapshotHandle <node>/<directory>, spec.volumeSnapshotRef naming ${ns}/${snapshot.metadata?.name ?? ''}) or fix the name`,
    };
  }

  // Dynamic: the claim's driver and the class's must both be the local one.
  const claimName = source.persistentVolumeClaimName ?? '';
  const claim = facts.claim;
  const driver = claim ? claimDriver(claim, facts.claimClass) : undefined;
  const claimIsLocal = driver === LOCAL_VOLUME_DRIVER;
  const claimWhat = `PersistentVolumeClaim ${ns}/${claimName}`;
  if (className) {
    if (!named)
      return claimIsLocal
        ? {
            ours: true,
            problem: `${what}: spec.volumeSnapshotClassName ${JSON.stringify(className)} names no VolumeSnapshotClass; create it with driver ${LOCAL_VOLUME_DRIVER}, or name an existing class of that driver (kubectl get volumesnapshotclass)`,
          }
        : { ours: false };
    if (named.driver !== LOCAL_VOLUME_DRIVER)
      return claimIsLocal
        ? {
            ours: true,
            problem: `${what}: spec.volumeSnapshotClassName ${JSON.stringify(className)} is a class of driver ${JSON.stringify(named.driver)}, but ${claimWhat} is a ${LOCAL_VOLUME_DRIVER} volume, which only that driver can snapshot; name a VolumeSnapshotClass of driver ${LOCAL_VOLUME_DRIVER}${haveDefault ? ` (such as ${classLabel(defaultLocalClasses(facts.classes)[0]!)})` : ''} or leave spec.volumeSnapshotClassName out`,
          }
        : { ours: false };
    if (claim && driver !== undefined && !claimIsLocal)
      return {
        ours: true,
        problem: `${what}: ${claimWhat} is a volume of ${JSON.stringify(driver)}, not of ${LOCAL_VOLUME_DRIVER}, so VolumeSnapshotClass ${JSON.stringify(className)} (driver ${LOCAL_VOLUME_DRIVER}) cannot snapshot it; name a VolumeSnapshotClass of driver ${JSON.stringify(driver)}`,
      };
    return { ours: true, snapshotClass: named };
  }
  if (!claim) {
    if (!haveDefault) return { ours: false };
    return { ours: true };
  }
  if (driver !== undefined && !claimIsLocal) return { ours: false };
  if (driver === undefined && !haveDefault) return { ours: false };
  const defaults = defaultLocalClasses(facts.classes);
  if (defaults.length === 0)
    return {
      ours: true,
      problem: `${what}: spec.volumeSnapshotClassName is not set and no VolumeSnapshotClass of driver ${LOCAL_VOLUME_DRIVER} is marked default (annotation ${DEFAULT_SNAPSHOT_CLASS_ANNOTATION}: "true"); set spec.volumeSnapshotClassName or mark one class default`,
    };
  if (defaults.length > 1)
    return {
      ours: true,
      problem: `${what}: spec.volumeSnapshotClassName is not set and ${defaults.length} VolumeSnapshotClasses of driver ${LOCAL_VOLUME_DRIVER} are marked default (${defaults.map(classLabel).sort().join(', ')}); keep the annotation ${DEFAULT_SNAPSHOT_CLASS_ANNOTATION} on one of them or set spec.volumeSnapshotClassName`,
    };
  return { ours: true, snapshotClass: defaults[0] };
}
