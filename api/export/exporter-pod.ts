/**
 * The export server's contract (pure): the names, labels, paths and environment KubeVirt's
 * export controller gives its exporter pod (`virt-export-<export>`), its Service and its Secrets,
 * the URL layout of the server (`/volumes/<claim>/disk.img`, `/internal/manifests/all`...), the
 * token header and the external path `virtkit api` serves exports under. The controller builds
 * the pod from these; whoever runs the pod (the handler's local pod runtime in local mode, kubelet
 * with the virtkit image in cluster mode) reads them back, each value checked where it is used.
 * KubeVirt's names throughout; virtkit's additions are marked.
 */
import { createHash } from 'crypto';

export const EXPORT_GROUP = 'export.kubevirt.io';
export const EXPORT_VERSION = 'v1';
export const EXPORT_API_VERSION = `${EXPORT_GROUP}/${EXPORT_VERSION}`;
export const EXPORT_KIND = 'VirtualMachineExport';
export const EXPORT_PLURAL = 'virtualmachineexports';

/** `kubevirt.io: virt-exporter` on the exporter pod and its Service (KubeVirt's app label and value). */
export const EXPORTER_APP_LABEL = 'kubevirt.io';
export const EXPORTER_APP_VALUE = 'virt-exporter';
/** `kubevirt.io.virt-export-service: <export name>`: the pod's label the Service selects. */
export const EXPORT_SERVICE_LABEL = 'kubevirt.io.virt-export-service';

/** The exporter pod's one container (KubeVirt's). */
export const EXPORTER_CONTAINER = 'exporter';
/** The server's port in the pod, and the Service's port in front of it. */
export const EXPORT_SERVER_PORT = 8443;
export const EXPORT_SERVICE_PORT = 443;
/** The readiness probe's path (no token needed). */
export const EXPORT_READY_PATH = '/exportready';

/** Where the claims are mounted (read-only) or given as devices in the pod. */
export const FILESYSTEM_MOUNT_PATH = '/export-volumes';
export const BLOCK_MOUNT_PATH = '/dev/export-volumes';
/** The TLS Secret's volume name and mount; the token Secret's mount; the manifests' ConfigMap. */
export const CERT_VOLUME = 'certificates';
export const CERT_MOUNT_PATH = '/cert';
export const TOKEN_MOUNT_PATH = '/token';
export const MANIFEST_VOLUME = 'manifest-data';
export const MANIFEST_MOUNT_PATH = '/manifest_data';

/** The token Secret's key (KubeVirt's), and the header or query parameter a client sends it in. */
export const TOKEN_KEY = 'token';
export const TOKEN_HEADER = 'x-kubevirt-export-token';
/** The TLS Secret's keys; `ca.crt` (virtkit's) is the export's own CA, the link's `cert`. */
export const TLS_CERT_KEY = 'tls.crt';
export const TLS_KEY_KEY = 'tls.key';
export const TLS_CA_KEY = 'ca.crt';

/** The environment of the exporter container (KubeVirt's names). */
export const ExporterEnv = {
  certFile: 'CERT_FILE',
  keyFile: 'KEY_FILE',
  tokenFile: 'TOKEN_FILE',
  /** RFC 3339: the server stops then (the TTL's end, or before the certificate expires). */
  deadline: 'DEADLINE',
  vmDefUri: 'EXPORT_VM_DEF_URI',
  secretDefUri: 'EXPORT_SECRET_DEF_URI',
} as const;

/** Per volume `i`: VOLUME<i>_EXPORT_PATH and the URIs it is served at. */
export const VOLUME_ENV = /^VOLUME(\d{1,3})_EXPORT_(PATH|RAW_URI|RAW_GZIP_URI|ARCHIVE_URI|DIR_URI)$/;
export const volumeEnv = (
  i: number,
  what: 'PATH' | 'RAW_URI' | 'RAW_GZIP_URI' | 'ARCHIVE_URI' | 'DIR_URI',
): string => `VOLUME${i}_EXPORT_${what}`;

/** The server's URL layout (KubeVirt's). */
export const VOLUMES_BASE = '/volumes';
export const MANIFESTS_ALL_PATH = '/manifests/all';
export const MANIFESTS_SECRET_PATH = '/manifests/secret';
export const INTERNAL_PREFIX = '/internal';
export const EXTERNAL_PREFIX = '/external';
export const RAW_FILE = 'disk.img';
export const GZIP_FILE = 'disk.img.gz';
export const ARCHIVE_FILE = 'disk.tar.gz';
export const DIR_SEGMENT = 'dir';

export const rawUri = (claim: string): string => `${VOLUMES_BASE}/${claim}/${RAW_FILE}`;
export const rawGzipUri = (claim: string): string => `${VOLUMES_BASE}/${claim}/${GZIP_FILE}`;
export const archiveUri = (claim: string): string => `${VOLUMES_BASE}/${claim}/${ARCHIVE_FILE}`;
export const dirUri = (claim: string): string => `${VOLUMES_BASE}/${claim}/${DIR_SEGMENT}/`;

/** The pod volume name of a claim (KubeVirt's: dots become dashes). */
export const claimVolumeName = (claim: string): string => claim.replace(/\./g, '-');

/**
 * The manifests ConfigMap (KubeVirt's `exporter-vm-manifest-<export>`) and its keys: the VM
 * (expanded, without status), one `dv-<claim>` per claim a DataVolume template does not make,
 * the hosts of the two links and the export's name.
 */
export const manifestConfigMapName = (exportName: string): string => `exporter-vm-manifest-${exportName}`;
export const ManifestKeys = {
  vm: 'virtualmachine-manifest',
  exportName: 'export-name',
  internalHost: 'internal_host',
  externalHost: 'external_host',
  internalCa: 'internal_ca_cm',
  externalCa: 'external_ca_cm',
  /**
   * virtkit's: JSON `{ "<claim the manifests name>": "<claim served>" }` when a volume is served
   * under another claim's name (a snapshot export serves the claims it restored).
   */
  servedClaims: 'served-claims',
} as const;
export const dataVolumeManifestKey = (claim: string): string => `dv-${claim}`;
/** The CDI header Secret a re-import names (`secretExtraHeaders`), and the CA ConfigMap. */
export const headerSecretName = (exportName: string): string => `header-secret-${exportName}`;
export const caConfigMapName = (exportName: string): string => `export-ca-cm-${exportName}`;

/** KubeVirt's default ttlDuration: 2 hours. */
export const DEFAULT_TTL_MS = 2 * 60 * 60 * 1000;

const DNS1035_MAX = 63;

/**
 * `<prefix>-<name>`, kept within a DNS-1035 label: when too long, the name is cut and a short
 * hash of the whole keeps it unique (the shape of OpenShift's naming.GetName KubeVirt uses).
 */
export function boundedName(prefix: string, name: string): string {
  const full = `${prefix}-${name}`;
  if (full.length <= DNS1035_MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, DNS1035_MAX - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** The exporter pod and its Service: `virt-export-<export name>`. */
export const exporterPodName = (exportName: string): string => boundedName('virt-export', exportName);
export const exportServiceName = exporterPodName;
/** The generated token Secret: `export-token-<export name>` (KubeVirt's). */
export const tokenSecretName = (exportName: string): string => boundedName('export-token', exportName);
/** virtkit's: the TLS Secret of the server (KubeVirt's is a random `secret-<suffix>`). */
export const certSecretName = (exportName: string): string => boundedName('virt-export-cert', exportName);

/** `https://` + the internal host: the Service's DNS name (KubeVirt's). */
export const internalHost = (namespace: string, exportName: string): string =>
  `${exportServiceName(exportName)}.${namespace}.svc`;

/**
 * The external path of an export (KubeVirt's virt-exportproxy layout), under which `virtkit api`
 * forwards `/volumes/...`, `/external/manifests/...` to the export server.
 */
export const externalBasePath = (namespace: string, exportName: string): string =>
  ['', 'api', EXPORT_GROUP, EXPORT_VERSION, 'namespaces', namespace, EXPORT_PLURAL, exportName].join('/');

/** The Ready condition's reasons and the other conditions (KubeVirt's). */
export const ExportReason = {
  initializing: 'Initializing',
  podReady: 'PodReady',
  podPending: 'PodPending',
  podCompleted: 'PodCompleted',
  inUse: 'InUse',
  unknown: 'Unknown',
  pvcBound: 'PVCBound',
  pvcPending: 'PVCPending',
  pvcNotFound: 'PVCNotFound',
  vmNotFound: 'VMNotFound',
  vmNoVolumes: 'VMNoVolumes',
  volumesNotPopulated: 'VolumesNotPopulated',
  vmSnapshotNotFound: 'VMSnapshotNotFound',
  vmSnapshotNoVolumes: 'VMSnapshotNoVolumes',
  notAllPvcsCreated: 'NotAllPVCsCreated',
  allPvcsReady: 'AllPVCsReady',
  notAllPvcsReady: 'NotAllPVCsReady',
  /** virtkit's: a source kind that cannot be exported. */
  notSupported: 'NotSupported',
} as const;
export const ExportCondition = {
  ready: 'Ready',
  pvc: 'PVCReady',
  volumesCreated: 'VolumesCreated',
} as const;
