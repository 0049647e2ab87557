/**
 * Kubernetes storage types KubeVirt embeds: claim specs (in DataVolume templates and
 * status), claim references, typed object references and downward API files.
 */
import { Obj, Opt, Str, Bool, Int32, Enum, Quantity, List, StringList, type Static } from '../schema/dsl';
import { LabelSelector } from './meta';
import { ResourceList } from './resources';

export const PERSISTENT_VOLUME_ACCESS_MODES = [
  'ReadWriteOnce',
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOncePod',
] as const;
export type PersistentVolumeAccessMode = (typeof PERSISTENT_VOLUME_ACCESS_MODES)[number];

export const PERSISTENT_VOLUME_MODES = ['Block', 'Filesystem'] as const;
export type PersistentVolumeMode = (typeof PERSISTENT_VOLUME_MODES)[number];

export function AccessModes(description: string) {
  return List(description, Enum('An access mode.', PERSISTENT_VOLUME_ACCESS_MODES));
}

export function VolumeMode(description: string) {
  return Enum(description, PERSISTENT_VOLUME_MODES);
}

export const VolumeResourceRequirements = Obj('Storage size the claim asks for and may grow to.', {
  requests: Opt(ResourceList('Minimum storage the volume must have, for example storage: 10Gi.')),
  limits: Opt(ResourceList('Maximum storage the volume may have.')),
});
export type VolumeResourceRequirements = Static<typeof VolumeResourceRequirements>;

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
    namespace: Opt(
      Str(
        'Namespace of the referenced object; the referrer namespace when left out. Another namespace needs a ReferenceGrant there.',
      ),
    ),
  },
);
export type TypedObjectReference = Static<typeof TypedObjectReference>;

/**
 * The claim fields a storage request is made of, shared by the PersistentVolumeClaim
 * spec and the specs that complete or extend it (CDI's `storage` stanza). Access and
 * volume modes stay plain strings here, as the API server (not the CRD) checks them.
 */
export const persistentVolumeClaimRequestFields = {
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
    ...persistentVolumeClaimRequestFields,
    volumeAttributesClassName: Opt(Str('VolumeAttributesClass that sets mutable attributes of the volume.')),
  },
);
export type PersistentVolumeClaimSpec = Static<typeof PersistentVolumeClaimSpec>;

/** The fields of Kubernetes' PersistentVolumeClaimVolumeSource, for reuse where KubeVirt inlines them. */
export const persistentVolumeClaimVolumeSourceFields = {
  claimName: Str('Name of the persistent volume claim in the namespace of the VMI.'),
  readOnly: Opt(Bool('Attach the claim read-only.')),
};

export const PersistentVolumeClaimVolumeSource = Obj(
  'A reference to a persistent volume claim in the same namespace.',
  persistentVolumeClaimVolumeSourceFields,
);
export type PersistentVolumeClaimVolumeSource = Static<typeof PersistentVolumeClaimVolumeSource>;

export const SecretReference = Obj('A reference to a secret, possibly in another namespace.', {
  name: Opt(Str('Name of the secret.')),
  namespace: Opt(Str('Namespace of the secret.')),
});
export type SecretReference = Static<typeof SecretReference>;

export const ObjectFieldSelector = Obj('Selects a field of the pod.', {
  apiVersion: Opt(Str('Schema version the field path is written in; defaults to v1.')),
  fieldPath: Str('Path of the field, for example metadata.labels.'),
});
export type ObjectFieldSelector = Static<typeof ObjectFieldSelector>;

export const ResourceFieldSelector = Obj('Selects a resource request or limit of a container.', {
  containerName: Opt(Str('Container whose resources are read.')),
  resource: Str('Resource to read, for example limits.memory.'),
  divisor: Opt(Quantity('Unit the value is divided by; defaults to 1.')),
});
export type ResourceFieldSelector = Static<typeof ResourceFieldSelector>;

export const DownwardAPIVolumeFile = Obj('One file of a downward API volume.', {
  path: Str('Relative path of the file; must not contain "..".'),
  fieldRef: Opt(ObjectFieldSelector),
  resourceFieldRef: Opt(ResourceFieldSelector),
  mode: Opt(Int32('File permission bits, 0 to 0777.', { minimum: 0, maximum: 511 })),
});
export type DownwardAPIVolumeFile = Static<typeof DownwardAPIVolumeFile>;
