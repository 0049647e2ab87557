/** export.kubevirt.io/v1 VirtualMachineExport: serve a VM's volumes and manifests for download. */
import { Obj, Opt, Str, OpenEnum, List, ListMap, Timestamp, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { TypedLocalObjectReference } from '../../k8s/storage';
import { OperationCondition } from '../../snapshot/v1beta1/common';

export const VirtualMachineExportSpec = Obj('What to export and for how long.', {
  source: TypedLocalObjectReference,
  tokenSecretRef: Opt(Str('Secret holding the token clients must present; generated when left out.')),
  ttlDuration: Opt(
    Str('How long the export lives after creation, as a duration such as 2h0m0s. 2 hours when left out.'),
  ),
});
export type VirtualMachineExportSpec = Static<typeof VirtualMachineExportSpec>;

export const EXPORT_VOLUME_FORMATS = ['raw', 'gzip', 'dir', 'tar.gz'] as const;
export const EXPORT_MANIFEST_TYPES = ['all', 'auth-header-secret'] as const;
export const EXPORT_BACKUP_ENDPOINTS = ['map', 'data'] as const;

export const VirtualMachineExportVolumeFormat = Obj('One download format of a volume.', {
  format: OpenEnum('Format of the data at url.', EXPORT_VOLUME_FORMATS),
  url: Str('Where to download the volume in this format.'),
});

export const VirtualMachineExportVolume = Obj('An exported volume and its download formats.', {
  name: Str('Name of the exported volume.'),
  formats: Opt(ListMap('Formats the volume is offered in.', VirtualMachineExportVolumeFormat, ['format'])),
});

export const VirtualMachineExportBackupEndpoint = Obj('One endpoint of an exported backup.', {
  endpoint: OpenEnum('What the endpoint serves: the dirty bitmap or the data.', EXPORT_BACKUP_ENDPOINTS),
  url: Str('URL of the endpoint.'),
});

export const VirtualMachineExportBackup = Obj('An exported backup and its endpoints.', {
  name: Str('Name of the exported backup volume.'),
  endpoints: Opt(ListMap('Endpoints of the backup.', VirtualMachineExportBackupEndpoint, ['endpoint'])),
});

export const VirtualMachineExportManifest = Obj('A manifest the export serves.', {
  type: OpenEnum(
    'Which manifests: all (everything but the token secret) or the token as a CDI header secret.',
    EXPORT_MANIFEST_TYPES,
  ),
  url: Str('URL that returns the manifests.'),
});

export const VirtualMachineExportLink = Obj(
  'Download locations reachable from one side (inside or outside the cluster).',
  {
    cert: Str('CA certificate of the export server, PEM.'),
    volumes: Opt(ListMap('Exported volumes.', VirtualMachineExportVolume)),
    backups: Opt(ListMap('Exported backups.', VirtualMachineExportBackup)),
    manifests: Opt(ListMap('Exported manifests.', VirtualMachineExportManifest, ['type'])),
  },
);

export const VirtualMachineExportLinks = Obj('Where to download the export.', {
  internal: Opt(VirtualMachineExportLink),
  external: Opt(VirtualMachineExportLink),
});

export const EXPORT_PHASES = ['Pending', 'Ready', 'Terminated', 'Skipped'] as const;

export const VirtualMachineExportStatus = Obj('Observed state of an export.', {
  phase: Opt(OpenEnum('State of the export server.', EXPORT_PHASES)),
  links: Opt(VirtualMachineExportLinks),
  tokenSecretRef: Opt(Str('Secret holding the token in use.')),
  ttlExpirationTime: Opt(Timestamp('When the export is deleted (creation time plus ttlDuration).')),
  serviceName: Opt(Str('Service in front of the export server.')),
  virtualMachineName: Opt(Str('Name of the source VM, also when exporting a snapshot of it.')),
  conditions: Opt(List('Ready, PVCReady and VolumesCreated conditions.', OperationCondition)),
});
export type VirtualMachineExportStatus = Static<typeof VirtualMachineExportStatus>;

export interface VirtualMachineExport {
  apiVersion: 'export.kubevirt.io/v1';
  kind: 'VirtualMachineExport';
  metadata?: ObjectMeta;
  spec: VirtualMachineExportSpec;
  status?: VirtualMachineExportStatus;
}
