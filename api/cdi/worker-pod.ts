/**
 * The CDI worker pod: the contract between the DataVolume controller, which creates the pod, and
 * whoever runs it (the handler's local pod runtime in local mode, kubelet with the virtkit image in
 * cluster mode). CDI's own names where CDI has them (labels, the `cdi-data-vol` volume mounted at
 * `/data`, the IMPORTER_* environment); virtkit's additions are marked.
 *
 * The runner never executes a command taken from the pod: it recognises the pod by its labels,
 * reads the environment below (each value validated where it is used) and runs its own
 * `virtkit importer` with flags it builds itself.
 */

/** Labels on every worker pod (CDI's). */
export const CDI_APP_LABEL = 'app';
export const CDI_APP_LABEL_VALUE = 'containerized-data-importer';
/** `cdi.kubevirt.io: importer` (CDI's value for an importer pod). */
export const CDI_COMPONENT_LABEL = 'cdi.kubevirt.io';
export const CDI_IMPORTER_COMPONENT = 'importer';
/** `cdi.kubevirt.io/storage.import.importPvcName`: the claim the pod fills (CDI's). */
export const CDI_IMPORT_PVC_LABEL = 'cdi.kubevirt.io/storage.import.importPvcName';

/** CDI's name of an importer pod: `importer-<pvc name>`. */
export const importerPodName = (pvcName: string): string => `importer-${pvcName}`;

/** The pod's one container. */
export const WORKER_CONTAINER = 'importer';
/** The target claim's volume and where it is mounted (CDI's). */
export const DATA_VOLUME_NAME = 'cdi-data-vol';
export const DATA_MOUNT_PATH = '/data';
/**
 * virtkit's: a host-assisted clone in one pod. CDI clones with a source pod and an upload server;
 * virtkit's local volumes are directories on the node, so one pod mounts both claims, the source
 * read-only under this volume name and path.
 */
export const SOURCE_VOLUME_NAME = 'cdi-source-vol';
export const SOURCE_MOUNT_PATH = '/source';
/** Where a certConfigMap is mounted (CDI's IMPORTER_CERT_DIR points there). */
export const CERT_VOLUME_NAME = 'cdi-cert-vol';
export const CERT_MOUNT_PATH = '/certs';

/** The environment the runner reads (CDI's names). */
export const ImporterEnv = {
  /** http | registry | none (blank) | pvc (virtkit's clone). */
  source: 'IMPORTER_SOURCE',
  /** The URL (http) or `docker://host/repo:tag` (registry). */
  endpoint: 'IMPORTER_ENDPOINT',
  /** kubevirt (a disk image) | archive. */
  contentType: 'IMPORTER_CONTENTTYPE',
  /** The claim's requested storage, a Kubernetes quantity. */
  imageSize: 'IMPORTER_IMAGE_SIZE',
  /** The DataVolume's UID. */
  ownerUid: 'OWNER_UID',
  /** The share of a filesystem volume kept free, e.g. "0.055". */
  filesystemOverhead: 'FILESYSTEM_OVERHEAD',
  insecureTls: 'INSECURE_TLS',
  /** From the secretRef Secret's accessKeyId / secretKey, as secretKeyRef env (never literal). */
  accessKeyId: 'IMPORTER_ACCESS_KEY_ID',
  secretKey: 'IMPORTER_SECRET_KEY',
  /** Directory of the certConfigMap's files. */
  certDir: 'IMPORTER_CERT_DIR',
  /** IMPORTER_EXTRA_HEADER_0, _1, ...: "Name: value". */
  extraHeaderPrefix: 'IMPORTER_EXTRA_HEADER_',
} as const;

/** IMPORTER_SOURCE values. */
export const ImporterSource = {
  http: 'http',
  registry: 'registry',
  blank: 'none',
  /** virtkit's: copy the claim mounted at SOURCE_MOUNT_PATH. */
  pvc: 'pvc',
} as const;
export type ImporterSourceValue = (typeof ImporterSource)[keyof typeof ImporterSource];

/**
 * virtkit's: a pod condition the runner keeps on a running worker pod, `message` the progress in
 * CDI's format ("45.20%"), which the controller copies to the DataVolume's status.progress. (CDI's
 * controller scrapes the importer's metrics endpoint instead; a pod condition needs no network
 * path from the controller to the pod, and only the pods/status permission the runner has.)
 */
export const PROGRESS_CONDITION = 'virtkit.io/Progress';

/**
 * The container's termination message, as CDI's importer writes it: "Import Complete" on
 * success; on failure the importer's error message (CDI's words, see docs/importer.md), with
 * `reason: Error` and a non-zero exit code. restartPolicy is OnFailure: a failed import is run
 * again after kubelet's crash-loop back-off (10 s doubling to 5 min), restartCount counts the
 * runs, and `lastState.terminated` keeps the last failure's message.
 */
export const IMPORT_COMPLETE_MESSAGE = 'Import Complete';

/**
 * KubeVirt's: a launcher pod with this annotation carries no VM; it exists only so the scheduler
 * binds WaitForFirstConsumer claims of a VMI's DataVolumes to a node before CDI fills them. The
 * runner reports it Running and starts nothing.
 */
export const EPHEMERAL_PROVISIONING_ANNOTATION = 'kubevirt.io/ephemeral-provisioning';
/** KubeVirt's hotplug attachment pods (`hp-volume-*`): label `kubevirt.io: hotplug-disk`. Run like the above. */
export const HOTPLUG_POD_LABEL_VALUE = 'hotplug-disk';
