/**
 * Kubernetes core storage types that CDI and KubeVirt's snapshot, clone and export kinds
 * embed: typed object references and the PersistentVolumeClaim spec. They belong to
 * k8s.io/api/core/v1; they live here until api/k8s grows a storage file.
 */
import { Obj, Opt, Str, StringList, type Static } from '../../schema/dsl';
import { LabelSelector } from '../../k8s/meta';
import { ResourceList } from '../../k8s/resources';

export const TypedLocalObjectReference = Obj(
  'A reference to an object of a given kind in the same namespace.',
  {
    apiGroup: Opt(Str('API group of the referenced kind; empty for the core group (PersistentVolumeClaim).')),
    kind: Str('Kind of the referenced object, for example VirtualMachine.'),
    name: Str('Name of the referenced object.'),
  },
);
export type TypedLocalObjectReference = Static<typeof TypedLocalObjectReference>;

export const TypedObjectReference = Obj(
  'A reference to an object of a given kind, possibly in another namespace.',
  {
    apiGroup: Opt(Str('API group of the referenced kind; empty for the core group.')),
    kind: Str('Kind of the referenced object.'),
    name: Str('Name of the referenced object.'),
    namespace: Opt(Str('Namespace of the referenced object; the referrer namespace when left out.')),
  },
);
export type TypedObjectReference = Static<typeof TypedObjectReference>;

export const VolumeResourceRequirements = Obj('Storage size the claim asks for and may grow to.', {
  requests: Opt(ResourceList('Minimum storage the volume must have, for example storage: 10Gi.')),
  limits: Opt(ResourceList('Maximum storage the volume may have.')),
});
export type VolumeResourceRequirements = Static<typeof VolumeResourceRequirements>;

const claimFields = {
  accessModes: Opt(
    StringList(
      'Access modes the volume must support: ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.',
    ),
  ),
  selector: Opt(LabelSelector),
  resources: Opt(VolumeResourceRequirements),
  volumeName: Opt(Str('Name of an existing PersistentVolume to bind to.')),
  storageClassName: Opt(Str('StorageClass that provisions the volume; the cluster default when left out.')),
  volumeMode: Opt(Str('Filesystem or Block; Filesystem when left out.')),
  dataSource: Opt(TypedLocalObjectReference),
  dataSourceRef: Opt(TypedObjectReference),
};

export const PersistentVolumeClaimSpec = Obj(
  'Desired characteristics of a PersistentVolumeClaim, as in Kubernetes.',
  {
    ...claimFields,
    volumeAttributesClassName: Opt(Str('VolumeAttributesClass that sets mutable attributes of the volume.')),
  },
);
export type PersistentVolumeClaimSpec = Static<typeof PersistentVolumeClaimSpec>;

/** CDI's `storage` stanza: the PVC fields CDI can complete from the StorageProfile. */
export const StorageSpec = Obj(
  'Storage to provision for the DataVolume; CDI fills access and volume modes from the StorageProfile when left out.',
  {
    ...claimFields,
    volumeMode: Opt(
      Str('Filesystem, Block, or FromStorageProfile; picked from the StorageProfile when left out.'),
    ),
  },
);
export type StorageSpec = Static<typeof StorageSpec>;
