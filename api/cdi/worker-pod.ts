/**
 * The CDI worker pod: the contract between the DataVolume controller, which creates the pod, and
 * whoever runs it (the handler's local pod runtime in local mode, kubelet with the virtkit image in
 * cluster mode). CDI's own names where CDI has them (labels, the `cdi-data-vol` volume mounted at
 * `/data`, or given as the device `/dev/cdi-block-volume` when the claim is `volumeMode: Block`,
 * the IMPORTER_* environment); virtkit's additions are marked.
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
 * A `volumeMode: Block` target claim is not mounted: the container gets it as a `volumeDevice`
 * at this path (CDI's), and the image is written as raw onto the device itself.
 */
export const DATA_DEVICE_PATH = '/dev/cdi-block-volume';
/**
 * virtkit's: a host-assisted clone in one pod. CDI clones with a source pod and an upload server;
 * virtkit's local volumes are directories on the node, so one pod mounts both claims, the source
 * read-only under this volume name and path.
 */
export const SOURCE_VOLUME_NAME = 'cdi-source-vol';
export const SOURCE_MOUNT_PATH = '/source';
/** virtkit's: where a clone's `volumeMode: Block` source claim is given as a volumeDevice. */
export const SOURCE_DEVICE_PATH = '/dev/cdi-source-block-volume';
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
  /** The share of a filesystem volume kept free, e.g. "0.055" (absent for a Block claim). */
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

/*
 * The upload server pod (CDI's `cdi-upload-<pvc>`): what the DataVolume controller creates for a
 * DataVolume with `source.upload` (and for a PVC carrying UPLOAD_REQUEST_ANNOTATION), built by
 * ./upload-pod.ts. The runner recognises it by its component label and runs
 * `virtkit importer --source upload`, which takes exactly one upload through the node's handler
 * (`virtkit api`'s upload proxy streams it there) and exits once disk.img is in place.
 */

/** `cdi.kubevirt.io: cdi-upload-server` (CDI's value for the upload server's pod and Service). */
export const CDI_UPLOAD_SERVER_COMPONENT = 'cdi-upload-server';
/** CDI's container name in the upload server pod. */
export const UPLOAD_SERVER_CONTAINER = 'cdi-upload-server';
/** `service: <pod name>`: CDI's selector label of the upload server's Service. */
export const UPLOAD_SERVER_SERVICE_LABEL = 'service';
/** `cdi.kubevirt.io/uploadTarget: <claim uid>` (CDI's). */
export const UPLOAD_TARGET_LABEL = 'cdi.kubevirt.io/uploadTarget';
/** CDI's prefix of the upload server's pod (and Service) name. */
export const UPLOAD_POD_PREFIX = 'cdi-upload';
/** CDI's marker on what its upload controller made: `cdi.kubevirt.io/storage.createdByUploadController: "yes"`. */
export const CREATED_BY_UPLOAD_ANNOTATION = 'cdi.kubevirt.io/storage.createdByUploadController';

/** The environment the runner reads from an upload server pod (CDI's names). */
export const UploadEnv = {
  /** The claim's requested storage, a Kubernetes quantity. */
  imageSize: 'UPLOAD_IMAGE_SIZE',
  /** The share of a filesystem volume kept free, e.g. "0.055". */
  filesystemOverhead: 'FILESYSTEM_OVERHEAD',
  /** "true" | "false"; virtkit writes sparse raw files and does not preallocate (false only). */
  preallocation: 'PREALLOCATION',
  /** The owner's UID (CDI's OWNER_UID). */
  ownerUid: 'OWNER_UID',
} as const;

/*
 * The claim annotations of CDI's upload flow (CDI's names): the controller writes them from the
 * upload pod it watches; `virtkit image-upload` and the upload proxy read them.
 */
/** Marks a claim as an upload target (value ""); virtctl's `pvc` form sets it. */
export const UPLOAD_REQUEST_ANNOTATION = 'cdi.kubevirt.io/storage.upload.target';
/** The upload pod's name, recorded on the claim. */
export const UPLOAD_POD_ANNOTATION = 'cdi.kubevirt.io/storage.uploadPodName';
/** The worker pod's phase (Pending, Running, Succeeded, Failed). */
export const POD_PHASE_ANNOTATION = 'cdi.kubevirt.io/storage.pod.phase';
/** "true" once the upload server pod is Ready to take the upload. */
export const POD_READY_ANNOTATION = 'cdi.kubevirt.io/storage.pod.ready';
/** The worker pod's container restarts. */
export const POD_RESTARTS_ANNOTATION = 'cdi.kubevirt.io/storage.pod.restarts';
/** `kubevirt` | `archive` (CDI's content type on the claim). */
export const CONTENT_TYPE_ANNOTATION = 'cdi.kubevirt.io/storage.contentType';
/** Bind the claim now, ignoring WaitForFirstConsumer (virtctl's --force-bind). */
export const BIND_IMMEDIATE_ANNOTATION = 'cdi.kubevirt.io/storage.bind.immediate.requested';
