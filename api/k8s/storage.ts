/**
 * Kubernetes storage types KubeVirt embeds: claim specs (in DataVolume templates and
 * status), claim references, typed object references and downward API files.
 */
import { Obj, Opt, Str, Bool, Int32, Enum, Quantity, List, MapOf, type Static } from '../schema/dsl';
import { LabelSelector } from './meta';

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

function QuantityMap(description: string) {
  return MapOf(description, Quantity('Amount of the resource, for example 10Gi.'));
}

export const VolumeResourceRequirements = Obj('Storage requested and limited for a volume.', {
  requests: Opt(QuantityMap('Minimum resources, usually storage: 10Gi.')),
  limits: Opt(QuantityMap('Maximum resources.')),
});
export type VolumeResourceRequirements = Static<typeof VolumeResourceRequirements>;

export const TypedLocalObjectReference = Obj(
  'A reference to an object of a given kind in the same namespace.',
  {
    apiGroup: Opt(Str('API group of the referent; empty for the core group.')),
    kind: Str('Kind of the referent.'),
    name: Str('Name of the referent.'),
  },
);
export type TypedLocalObjectReference = Static<typeof TypedLocalObjectReference>;

export const TypedObjectReference = Obj(
  'A reference to an object of a given kind, possibly in another namespace.',
  {
    apiGroup: Opt(Str('API group of the referent; empty for the core group.')),
    kind: Str('Kind of the referent.'),
    name: Str('Name of the referent.'),
    namespace: Opt(Str('Namespace of the referent; cross-namespace use needs a ReferenceGrant.')),
  },
);
export type TypedObjectReference = Static<typeof TypedObjectReference>;

export const PersistentVolumeClaimSpec = Obj('The desired characteristics of a persistent volume claim.', {
  accessModes: Opt(AccessModes('How the volume may be mounted, for example ReadWriteOnce.')),
  selector: Opt(LabelSelector),
  resources: Opt(VolumeResourceRequirements),
  volumeName: Opt(Str('Name of a specific persistent volume to bind.')),
  storageClassName: Opt(Str('Storage class that provisions the volume; empty string asks for no class.')),
  volumeMode: Opt(VolumeMode('Whether the volume is a raw block device or carries a filesystem.')),
  dataSource: Opt(TypedLocalObjectReference),
  dataSourceRef: Opt(TypedObjectReference),
  volumeAttributesClassName: Opt(Str('VolumeAttributesClass applied to the volume.')),
});
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
