/**
 * Local mode's default StorageClass, `local`: volumes on the node's disk, made by the handler's
 * local volume provisioner (handler/storage/) when a pod first uses the claim
 * (WaitForFirstConsumer, so the volume lands on the pod's node), deleted with their claim.
 */
import { LOCAL_PROVISIONER, LOCAL_STORAGE_CLASS } from '../../handler/storage/local-volume-plan';
import { STORAGE_CLASSES, type KubeClient } from '../../kube';

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
