/**
 * The claim a restore makes for one volume backup (KubeVirt's CreateRestorePVCDef): the source
 * claim's labels (minus the backend-storage label), annotations (minus the binding and CDI
 * state of the old claim), access modes, StorageClass and volume mode; its size the larger of
 * the source request and the VolumeSnapshot's restoreSize; its data source the backup's
 * VolumeSnapshot; marked with the restore and the source VM; the volume's override applied.
 * Pure.
 */
import type { ObjectMeta } from '../../api/k8s/meta';
import { parseQuantity } from '../../api/quantity';
import type { VirtualMachineRestore, VolumeBackup } from '../../api/snapshot/v1beta1';
import type { VolumeSnapshot } from '../../api/volumesnapshot/v1';
import type { Claim } from '../datavolume/objects';
import {
  BACKEND_STORAGE_LABEL,
  LAST_RESTORE_ANNOTATION,
  lastRestoreValue,
  POPULATED_FOR_ANNOTATION,
  RESTORE_ANNOTATION_PREFIXES_DROPPED,
  RESTORE_NAME_ANNOTATION,
  RESTORE_SOURCE_NAME_LABEL,
  RESTORE_SOURCE_NAMESPACE_LABEL,
} from './names';

const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';

export interface RestoredClaimInputs {
  readonly restore: VirtualMachineRestore;
  readonly claimName: string;
  readonly backup: VolumeBackup;
  readonly volumeSnapshot: VolumeSnapshot;
  readonly sourceVm: { readonly name: string; readonly namespace: string };
  /**
   * The claim's owner: a DataVolume that is not a template of the VM (the DataVolume adopts the
   * claim through CDI's populatedFor annotation), the target VM (volumeOwnershipPolicy Vm, when
   * the VM exists), or nobody.
   */
  readonly owner?:
    { readonly dataVolume: string } | { readonly vm: { readonly name: string; readonly uid: string } };
}

/**
 * The claim that restores one volume backup, before anyone marks it as theirs (KubeVirt's
 * CreateRestorePVCDef, which its export controller uses too): the source claim's labels (minus
 * the backend-storage label), annotations (minus binding and CDI state), access modes,
 * StorageClass and volume mode; its size the larger of the source request and the VolumeSnapshot's
 * restoreSize; its data source the backup's VolumeSnapshot. Pure.
 */
export function claimFromBackup(
  claimName: string,
  namespace: string,
  backup: VolumeBackup,
  volumeSnapshot: VolumeSnapshot,
): Claim & {
  metadata: ObjectMeta & { labels: Record<string, string>; annotations: Record<string, string> };
} {
  const source = backup.persistentVolumeClaim;
  const labels: Record<string, string> = { ...(source.metadata?.labels ?? {}) };
  delete labels[BACKEND_STORAGE_LABEL];
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(source.metadata?.annotations ?? {}))
    if (!RESTORE_ANNOTATION_PREFIXES_DROPPED.some((p) => k.startsWith(p))) annotations[k] = v;

  const spec = source.spec ?? {};
  const requests: Record<string, string | number> = { ...(spec.resources?.requests ?? {}) };
  const restoreSize = volumeSnapshot.status?.restoreSize;
  const want = parseQuantity(requests.storage);
  const least = parseQuantity(restoreSize);
  if (restoreSize !== undefined && least !== undefined && (want === undefined || want < least))
    requests.storage = String(restoreSize);
  const ref = { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: backup.volumeSnapshotName ?? '' };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claimName, namespace, labels, annotations },
    spec: {
      ...(spec.accessModes ? { accessModes: [...spec.accessModes] } : {}),
      resources: { ...(spec.resources ?? {}), requests },
      ...(spec.storageClassName !== undefined ? { storageClassName: spec.storageClassName } : {}),
      ...(spec.volumeMode ? { volumeMode: spec.volumeMode } : {}),
      dataSource: ref,
      dataSourceRef: ref,
    },
  };
}

/** The claim a restore makes (see the file comment). */
export function restoredClaim(i: RestoredClaimInputs): Claim {
  const claim = claimFromBackup(i.claimName, i.restore.metadata?.namespace ?? '', i.backup, i.volumeSnapshot);
  const { labels, annotations } = claim.metadata;
  labels[RESTORE_SOURCE_NAME_LABEL] = i.sourceVm.name;
  labels[RESTORE_SOURCE_NAMESPACE_LABEL] = i.sourceVm.namespace;
  annotations[RESTORE_NAME_ANNOTATION] = i.restore.metadata?.name ?? '';
  annotations[LAST_RESTORE_ANNOTATION] = lastRestoreValue(i.restore);
  const override = i.restore.spec.volumeRestoreOverrides?.find((o) => o.volumeName === i.backup.volumeName);
  Object.assign(labels, override?.labels ?? {});
  Object.assign(annotations, override?.annotations ?? {});
  const owner = i.owner;
  if (owner && 'dataVolume' in owner) annotations[POPULATED_FOR_ANNOTATION] = owner.dataVolume;
  else if (owner)
    claim.metadata.ownerReferences = [
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        name: owner.vm.name,
        uid: owner.vm.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  return claim;
}
