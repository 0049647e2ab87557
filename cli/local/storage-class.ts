/**
 * Local mode's default StorageClass, `local`: volumes on the node's disk, made by the handler's
 * local volume provisioner (handler/storage/) when a pod first uses the claim
 * (WaitForFirstConsumer, so the volume lands on the pod's node), deleted with their claim. Beside
 * it, the default VolumeSnapshotClass of its driver, `local-snapshots`: snapshots taken by the
 * handler of the volume's node, deleted with their VolumeSnapshot.
 */
import { LOCAL_SNAPSHOT_CLASS, LOCAL_STORAGE_CLASS, LOCAL_VOLUME_DRIVER } from '../../api/storage/local';
import {
  DEFAULT_SNAPSHOT_CLASS_ANNOTATION,
  VOLUME_SNAPSHOT_API_VERSION,
} from '../../api/volumesnapshot/v1/well-known';
import { STORAGE_CLASSES, VOLUME_SNAPSHOT_CLASSES, type KubeClient } from '../../kube';

const LOCAL_PROVISIONER = LOCAL_VOLUME_DRIVER;

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

export function localStorageClass(): Record<string, unknown> {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_STORAGE_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: false,
  };
}

/** Creates or updates the class (its provisioner and binding mode are immutable, and always these). */
export async function applyLocalStorageClass(client: KubeClient): Promise<void> {
  await client.apply(STORAGE_CLASSES, undefined, LOCAL_STORAGE_CLASS, localStorageClass());
}

export function localSnapshotClass(): Record<string, unknown> {
  return {
    apiVersion: VOLUME_SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshotClass',
    metadata: { name: LOCAL_SNAPSHOT_CLASS, annotations: { [DEFAULT_SNAPSHOT_CLASS_ANNOTATION]: 'true' } },
    driver: LOCAL_VOLUME_DRIVER,
    deletionPolicy: 'Delete',
  };
}

/** Creates or updates the snapshot class (after the snapshot CRDs). */
export async function applyLocalSnapshotClass(client: KubeClient): Promise<void> {
  await client.apply(VOLUME_SNAPSHOT_CLASSES, undefined, LOCAL_SNAPSHOT_CLASS, localSnapshotClass());
}
