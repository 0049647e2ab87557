/**
 * VMI volumes: the named storage sources disks, filesystems and the guest read from.
 * A volume carries exactly one source (admission checks that; the schema lists them all).
 */
import { Obj, Opt, Str, Bool, Enum, Quantity, List, Empty, type Static } from '../../schema/dsl';
import { LocalObjectReference } from '../../k8s/meta';
import {
  DownwardAPIVolumeFile,
  PersistentVolumeClaimVolumeSource,
  persistentVolumeClaimVolumeSourceFields,
  PULL_POLICIES,
} from '../../k8s/core';

const hotpluggable = Opt(
  Bool('Whether the volume may be hot-plugged into and unplugged from a running VMI.'),
);
const volumeLabel = Opt(
  Str('Filesystem label of the disk the guest sees, for example cidata, config-2 or OEMDRV.'),
);

export const HOST_DISK_TYPES = ['Disk', 'DiskOrCreate'] as const;
export type HostDiskType = (typeof HOST_DISK_TYPES)[number];

export const HostDisk = Obj('A disk image file on the node.', {
  path: Str('Path of the image file on the node.'),
  type: Enum(
    'Disk requires the image to exist; DiskOrCreate creates a sparse image when it is missing.',
    HOST_DISK_TYPES,
  ),
  capacity: Opt(Quantity('Size of the image created by DiskOrCreate.')),
  shared: Opt(Bool('Whether the path is on storage shared between nodes (allows live migration).')),
});
export type HostDisk = Static<typeof HostDisk>;

export const KubeVirtPersistentVolumeClaimVolumeSource = Obj(
  'A persistent volume claim in the namespace of the VMI, attached to the guest directly.',
  {
    ...persistentVolumeClaimVolumeSourceFields,
    hotpluggable,
  },
);
export type KubeVirtPersistentVolumeClaimVolumeSource = Static<
  typeof KubeVirtPersistentVolumeClaimVolumeSource
>;

const cloudInitFields = (provider: string) => ({
  secretRef: Opt(
    Obj(
      `Secret whose userdata (or userData) key holds the ${provider} user data.`,
      LocalObjectReference.properties,
    ),
  ),
  userDataBase64: Opt(Str(`${provider} user data, base64-encoded.`)),
  userData: Opt(Str(`${provider} user data, inline (for example a #cloud-config document).`)),
  networkDataSecretRef: Opt(
    Obj(
      `Secret whose networkdata (or networkData) key holds the ${provider} network configuration.`,
      LocalObjectReference.properties,
    ),
  ),
  networkDataBase64: Opt(Str(`${provider} network configuration, base64-encoded.`)),
  networkData: Opt(Str(`${provider} network configuration, inline.`)),
});

export const CloudInitNoCloudSource = Obj(
  'Cloud-init data served to the guest as a NoCloud disk.',
  cloudInitFields('NoCloud'),
);
export type CloudInitNoCloudSource = Static<typeof CloudInitNoCloudSource>;

export const CloudInitConfigDriveSource = Obj(
  'Cloud-init data served to the guest as an OpenStack config drive.',
  cloudInitFields('Config drive'),
);
export type CloudInitConfigDriveSource = Static<typeof CloudInitConfigDriveSource>;

export const SysprepSource = Obj(
  'A Windows answer file (autounattend.xml or unattend.xml) attached as a CD-ROM.',
  {
    secret: Opt(Obj('Secret holding the answer file.', LocalObjectReference.properties)),
    configMap: Opt(Obj('ConfigMap holding the answer file.', LocalObjectReference.properties)),
  },
);
export type SysprepSource = Static<typeof SysprepSource>;

export const ContainerDiskSource = Obj('A disk image shipped inside a container image.', {
  image: Str('Container image that holds the disk, for example quay.io/containerdisks/fedora:latest.'),
  imagePullSecret: Opt(Str('Name of the registry secret needed to pull the image.')),
  path: Opt(Str('Path of the disk file inside the image; by default the single file under /disk.')),
  imagePullPolicy: Opt(
    Enum('When to pull the image; defaults to Always for :latest and IfNotPresent otherwise.', PULL_POLICIES),
  ),
});
export type ContainerDiskSource = Static<typeof ContainerDiskSource>;

export const EphemeralVolumeSource = Obj(
  'A copy-on-write layer over a claim; writes are dropped when the VMI stops.',
  {
    persistentVolumeClaim: Opt(PersistentVolumeClaimVolumeSource),
  },
);
export type EphemeralVolumeSource = Static<typeof EphemeralVolumeSource>;

export const EmptyDiskSource = Obj('A blank sparse disk that lives and dies with the VMI.', {
  capacity: Quantity('Size of the disk, for example 2Gi.', { positive: true }),
});
export type EmptyDiskSource = Static<typeof EmptyDiskSource>;

export const DataVolumeSource = Obj(
  'A DataVolume (and the claim of the same name) in the namespace of the VMI.',
  {
    name: Str('Name of the DataVolume and of its claim.'),
    hotpluggable,
  },
);
export type DataVolumeSource = Static<typeof DataVolumeSource>;

export const ConfigMapVolumeSource = Obj('A ConfigMap presented to the guest as a disk or filesystem.', {
  name: Opt(Str('Name of the ConfigMap.')),
  optional: Opt(Bool('Start even when the ConfigMap or its keys are missing.')),
  volumeLabel,
});
export type ConfigMapVolumeSource = Static<typeof ConfigMapVolumeSource>;

export const SecretVolumeSource = Obj('A Secret presented to the guest as a disk or filesystem.', {
  secretName: Opt(Str('Name of the Secret.')),
  optional: Opt(Bool('Start even when the Secret or its keys are missing.')),
  volumeLabel,
});
export type SecretVolumeSource = Static<typeof SecretVolumeSource>;

export const DownwardAPIVolumeSource = Obj('Pod metadata presented to the guest as files.', {
  fields: Opt(List('Files to create, each from a pod field or resource.', DownwardAPIVolumeFile)),
  volumeLabel,
});
export type DownwardAPIVolumeSource = Static<typeof DownwardAPIVolumeSource>;

export const ServiceAccountVolumeSource = Obj(
  'The token and CA of a service account, presented to the guest; at most one per VMI.',
  {
    serviceAccountName: Opt(Str('Name of the service account.')),
  },
);
export type ServiceAccountVolumeSource = Static<typeof ServiceAccountVolumeSource>;

export const DownwardMetricsVolumeSource = Empty(
  'A small disk with host and guest metrics in vhostmd format.',
);
export type DownwardMetricsVolumeSource = Static<typeof DownwardMetricsVolumeSource>;

export const MemoryDumpVolumeSource = Obj(
  'A claim attached to the launcher that receives a dump of guest memory.',
  {
    ...persistentVolumeClaimVolumeSourceFields,
    hotpluggable,
  },
);
export type MemoryDumpVolumeSource = Static<typeof MemoryDumpVolumeSource>;

export const ContainerPathVolumeSource = Obj(
  'A path of the launcher container shared with the guest over virtiofs.',
  {
    path: Str(
      'Absolute path inside the compute container; it must be the mount path of one of its volume mounts.',
    ),
    readOnly: Opt(Bool('Share the path read-only; defaults to true (write access is not supported).')),
  },
);
export type ContainerPathVolumeSource = Static<typeof ContainerPathVolumeSource>;

/** Every source a volume can have, by field name (exactly one is set on a valid volume). */
export const volumeSourceFields = {
  hostDisk: Opt(HostDisk),
  persistentVolumeClaim: Opt(KubeVirtPersistentVolumeClaimVolumeSource),
  cloudInitNoCloud: Opt(CloudInitNoCloudSource),
  cloudInitConfigDrive: Opt(CloudInitConfigDriveSource),
  sysprep: Opt(SysprepSource),
  containerDisk: Opt(ContainerDiskSource),
  ephemeral: Opt(EphemeralVolumeSource),
  emptyDisk: Opt(EmptyDiskSource),
  dataVolume: Opt(DataVolumeSource),
  configMap: Opt(ConfigMapVolumeSource),
  secret: Opt(SecretVolumeSource),
  downwardAPI: Opt(DownwardAPIVolumeSource),
  serviceAccount: Opt(ServiceAccountVolumeSource),
  downwardMetrics: Opt(DownwardMetricsVolumeSource),
  memoryDump: Opt(MemoryDumpVolumeSource),
  containerPath: Opt(ContainerPathVolumeSource),
};

export type VolumeSourceName = keyof typeof volumeSourceFields;
export const VOLUME_SOURCE_NAMES = Object.keys(volumeSourceFields) as VolumeSourceName[];

export const Volume = Obj('A named volume; disks and filesystems refer to it by name.', {
  name: Str('Name of the volume, a DNS label unique within the VMI.'),
  ...volumeSourceFields,
});
export type Volume = Static<typeof Volume>;

export const HotplugVolumeSource = Obj(
  'The source of a volume hot-plugged into a running VMI; exactly one member is set.',
  {
    persistentVolumeClaim: Opt(KubeVirtPersistentVolumeClaimVolumeSource),
    dataVolume: Opt(DataVolumeSource),
  },
);
export type HotplugVolumeSource = Static<typeof HotplugVolumeSource>;

export const UTILITY_VOLUME_TYPES = ['MemoryDump', 'Backup'] as const;
export type UtilityVolumeType = (typeof UTILITY_VOLUME_TYPES)[number];

export const UtilityVolume = Obj(
  'A claim mounted into the launcher pod for operational work (memory dumps, backups), with no disk in the guest.',
  {
    name: Str('Name of the utility volume, unique among all volumes of the VMI.'),
    ...persistentVolumeClaimVolumeSourceFields,
    type: Opt(Enum('What the volume is used for.', UTILITY_VOLUME_TYPES)),
  },
);
export type UtilityVolume = Static<typeof UtilityVolume>;
