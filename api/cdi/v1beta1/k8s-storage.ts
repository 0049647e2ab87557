/**
 * CDI's `storage` stanza, and the Kubernetes storage types CDI embeds. Those (typed object
 * references, the PersistentVolumeClaim spec) are defined once in api/k8s/storage.ts and
 * re-exported here, where the snapshot, clone and export groups first found them.
 */
import { Obj, Opt, Str, type Static } from '../../schema/dsl';
import { persistentVolumeClaimRequestFields } from '../../k8s/storage';

export {
  TypedLocalObjectReference,
  TypedObjectReference,
  VolumeResourceRequirements,
  PersistentVolumeClaimSpec,
} from '../../k8s/storage';

/** CDI's `storage` stanza: the PVC fields CDI can complete from the StorageProfile. */
export const StorageSpec = Obj(
  'Storage to provision for the DataVolume; CDI fills access and volume modes from the StorageProfile when left out.',
  {
    ...persistentVolumeClaimRequestFields,
    volumeMode: Opt(
      Str('Filesystem, Block, or FromStorageProfile; picked from the StorageProfile when left out.'),
    ),
  },
);
export type StorageSpec = Static<typeof StorageSpec>;
