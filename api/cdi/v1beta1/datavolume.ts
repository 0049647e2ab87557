/**
 * cdi.kubevirt.io/v1beta1 DataVolume: a PVC plus the recipe that fills it (an import,
 * a clone, an upload or a blank image). KubeVirt embeds DataVolumeSpec in
 * VirtualMachine.spec.dataVolumeTemplates.
 */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Int32,
  Enum,
  OpenEnum,
  List,
  StringList,
  Empty,
  Timestamp,
  type Static,
} from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { PersistentVolumeClaimSpec } from '../../k8s/storage';
import { StorageSpec } from './k8s-storage';

export const DataVolumeSourceHTTP = Obj('Import from an http(s) URL.', {
  url: Str('URL of the image to download, http or https.'),
  secretRef: Opt(Str('Secret with accessKeyId (user) and secretKey (password) for basic authentication.')),
  certConfigMap: Opt(Str('ConfigMap holding the CA certificate that signs the server certificate.')),
  extraHeaders: Opt(StringList('Extra HTTP headers sent with the request, "Name: value" each.')),
  secretExtraHeaders: Opt(
    StringList('Secrets each holding one extra HTTP header that should not appear in the manifest.'),
  ),
});

export const DataVolumeSourceS3 = Obj('Import from an S3-compatible object store.', {
  url: Str('URL of the object to download.'),
  secretRef: Opt(Str('Secret with accessKeyId and secretKey for the bucket.')),
  certConfigMap: Opt(Str('ConfigMap holding the CA certificate of the endpoint.')),
});

export const DataVolumeSourceGCS = Obj('Import from Google Cloud Storage.', {
  url: Str('URL of the object to download.'),
  secretRef: Opt(Str('Secret with the service account key for the bucket.')),
});

export const REGISTRY_PULL_METHODS = ['pod', 'node'] as const;

export const PlatformOptions = Obj('Runtime platform the image must fit.', {
  architecture: Opt(Str('CPU architecture to pick from a multi-arch image, for example amd64.')),
});

export const DataVolumeSourceRegistry = Obj('Import a disk image packaged in a container image.', {
  url: Opt(Str('Image reference with its scheme: docker://registry/repo:tag or oci-archive://path.')),
  imageStream: Opt(Str('OpenShift ImageStream to import from, instead of url.')),
  pullMethod: Opt(
    Enum(
      'Who pulls the image: an importer pod, or the node container runtime (uses its cache).',
      REGISTRY_PULL_METHODS,
    ),
  ),
  secretRef: Opt(Str('Secret with registry credentials.')),
  certConfigMap: Opt(Str('ConfigMap holding the CA certificate of the registry.')),
  platform: Opt(PlatformOptions),
});

export const DataVolumeSourcePVC = Obj('Clone an existing PersistentVolumeClaim.', {
  namespace: Str('Namespace of the PVC to clone.'),
  name: Str('Name of the PVC to clone.'),
});
export type DataVolumeSourcePVC = Static<typeof DataVolumeSourcePVC>;

export const DataVolumeSourceSnapshot = Obj('Restore from an existing VolumeSnapshot.', {
  namespace: Str('Namespace of the VolumeSnapshot.'),
  name: Str('Name of the VolumeSnapshot.'),
});
export type DataVolumeSourceSnapshot = Static<typeof DataVolumeSourceSnapshot>;

export const DataVolumeSourceImageIO = Obj('Import a disk from oVirt through its imageio service.', {
  url: Str('URL of the oVirt engine API.'),
  diskId: Str('ID of the oVirt disk to import.'),
  secretRef: Opt(Str('Secret with the oVirt user name and password.')),
  certConfigMap: Opt(Str('ConfigMap holding the CA certificate of the engine.')),
  insecureSkipVerify: Opt(Bool('Skip TLS verification of the engine; only for testing.')),
});

export const DataVolumeSourceVDDK = Obj('Import a disk from VMware vCenter or ESXi with VDDK.', {
  url: Opt(Str('URL of the vCenter or ESXi host.')),
  uuid: Opt(Str('UUID of the VMware virtual machine the disk belongs to.')),
  backingFile: Opt(Str('Path of the virtual disk file on the datastore.')),
  thumbprint: Opt(Str('SHA-1 thumbprint of the host certificate.')),
  secretRef: Opt(Str('Secret with the vSphere user name and password.')),
  initImageURL: Opt(Str('Image holding the VDDK library; overrides the cluster-wide setting.')),
  extraArgs: Opt(Str('ConfigMap with extra arguments passed to the VDDK library.')),
});

/** Source kinds in the order CDI documents them; a rule checks exactly one is set. */
export const DATA_VOLUME_SOURCE_KINDS = [
  'http',
  's3',
  'gcs',
  'registry',
  'pvc',
  'upload',
  'blank',
  'imageio',
  'vddk',
  'snapshot',
] as const;

export const DataVolumeSource = Obj('Where the data comes from; set exactly one member.', {
  http: Opt(DataVolumeSourceHTTP),
  s3: Opt(DataVolumeSourceS3),
  gcs: Opt(DataVolumeSourceGCS),
  registry: Opt(DataVolumeSourceRegistry),
  pvc: Opt(DataVolumeSourcePVC),
  upload: Opt(Empty('Wait for an upload through the CDI upload proxy (virtctl image-upload).')),
  blank: Opt(Empty('Create an empty raw disk image.')),
  imageio: Opt(DataVolumeSourceImageIO),
  vddk: Opt(DataVolumeSourceVDDK),
  snapshot: Opt(DataVolumeSourceSnapshot),
});
export type DataVolumeSource = Static<typeof DataVolumeSource>;

export const DataVolumeSourceRef = Obj(
  'An indirect source: a DataSource that names the PVC or snapshot to clone.',
  {
    kind: Str('Kind of the referenced object; only DataSource is supported.'),
    namespace: Opt(Str('Namespace of the DataSource; the DataVolume namespace when left out.')),
    name: Str('Name of the DataSource.'),
  },
);
export type DataVolumeSourceRef = Static<typeof DataVolumeSourceRef>;

export const DataVolumeCheckpoint = Obj('One stage of a multistage (warm) import.', {
  previous: Str('Snapshot identifier of the previous checkpoint.'),
  current: Str('Snapshot identifier of this checkpoint.'),
});

export const DATA_VOLUME_CONTENT_TYPES = ['kubevirt', 'archive'] as const;

export const DataVolumeSpec = Obj('Desired state of a DataVolume: a data source and the storage to fill.', {
  source: Opt(DataVolumeSource),
  sourceRef: Opt(DataVolumeSourceRef),
  pvc: Opt(PersistentVolumeClaimSpec),
  storage: Opt(StorageSpec),
  priorityClassName: Opt(Str('PriorityClass of the importer, cloner or upload pod.')),
  contentType: Opt(
    Enum(
      'What the data is: a disk image (kubevirt) or a tar archive to extract (archive). kubevirt when left out.',
      DATA_VOLUME_CONTENT_TYPES,
    ),
  ),
  checkpoints: Opt(List('Stages of a multistage import, in order.', DataVolumeCheckpoint)),
  finalCheckpoint: Opt(Bool('True when the last listed checkpoint is the final one.')),
  preallocation: Opt(Bool('Allocate the whole volume up front instead of thin provisioning.')),
});
export type DataVolumeSpec = Static<typeof DataVolumeSpec>;

export const DATA_VOLUME_PHASES = [
  'Pending',
  'PVCBound',
  'ImportScheduled',
  'ImportInProgress',
  'CloneScheduled',
  'CloneInProgress',
  'SnapshotForSmartCloneInProgress',
  'CloneFromSnapshotSourceInProgress',
  'SmartClonePVCInProgress',
  'CSICloneInProgress',
  'ExpansionInProgress',
  'NamespaceTransferInProgress',
  'UploadScheduled',
  'UploadReady',
  'WaitForFirstConsumer',
  'PendingPopulation',
  'Succeeded',
  'Failed',
  'Unknown',
  'Paused',
  'PrepClaimInProgress',
  'RebindInProgress',
] as const;

/** CDI's condition shape (shared with DataSource): lastHeartbeatTime instead of lastProbeTime. */
export const CdiCondition = Obj('A condition of a CDI object.', {
  type: OpenEnum('Condition type.', ['Ready', 'Bound', 'Running'] as const),
  status: Str('True, False or Unknown.'),
  lastTransitionTime: Opt(Timestamp('When the status last changed.')),
  lastHeartbeatTime: Opt(Timestamp('When the condition was last refreshed.')),
  reason: Opt(Str('Machine-readable reason for the last transition.')),
  message: Opt(Str('Human-readable details of the last transition.')),
});
export type CdiCondition = Static<typeof CdiCondition>;

export const DataVolumeStatus = Obj('Observed state of a DataVolume.', {
  claimName: Opt(Str('Name of the PVC that holds the data.')),
  phase: Opt(
    OpenEnum('Where the population is, for example ImportInProgress or Succeeded.', DATA_VOLUME_PHASES),
  ),
  progress: Opt(Str('Transfer progress as a percentage such as "45.00%", or N/A.')),
  restartCount: Opt(Int32('How many times the populating pod has restarted.')),
  conditions: Opt(List('Ready, Bound and Running conditions.', CdiCondition)),
});
export type DataVolumeStatus = Static<typeof DataVolumeStatus>;

export interface DataVolume {
  apiVersion: 'cdi.kubevirt.io/v1beta1';
  kind: 'DataVolume';
  metadata?: ObjectMeta;
  spec: DataVolumeSpec;
  status?: DataVolumeStatus;
}
