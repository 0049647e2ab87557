/**
 * The upload server pod of a claim (pure): what the DataVolume controller creates for a
 * DataVolume with `source.upload` (or for a claim annotated as an upload target), following
 * CDI's upload controller: named `cdi-upload-<claim>`, labelled as CDI labels it, owned by the
 * claim (so it goes with it), mounting the claim as `cdi-data-vol` at `/data` (a `volumeMode:
 * Block` claim is given as the device `/dev/cdi-block-volume` instead), with the requested size and
 * (for a filesystem claim) the filesystem overhead in CDI's environment. The node's worker runner recognises it
 * by its labels and runs its own `virtkit importer --source upload` (api/cdi/worker-pod.ts).
 *
 * virtkit's differences from CDI: no TLS material in the environment (the upload reaches the
 * pod through the node handler's mutual-TLS API and a unix socket, not a Service), so no
 * Service and no readiness probe: the runner reports the pod Ready once it listens.
 */
import { createHash } from 'crypto';
import {
  CDI_APP_LABEL,
  CDI_APP_LABEL_VALUE,
  CDI_COMPONENT_LABEL,
  CDI_UPLOAD_SERVER_COMPONENT,
  CREATED_BY_UPLOAD_ANNOTATION,
  DATA_DEVICE_PATH,
  DATA_MOUNT_PATH,
  DATA_VOLUME_NAME,
  POD_PHASE_ANNOTATION,
  POD_READY_ANNOTATION,
  POD_RESTARTS_ANNOTATION,
  UPLOAD_POD_ANNOTATION,
  UPLOAD_POD_PREFIX,
  UPLOAD_SERVER_CONTAINER,
  UPLOAD_SERVER_SERVICE_LABEL,
  UPLOAD_TARGET_LABEL,
  UploadEnv,
} from './worker-pod';

/** The longest name a label value or a Service may have. */
const MAX_NAME = 63;

/**
 * CDI's name of a claim's upload pod, `cdi-upload-<claim>`; one that would exceed 63 characters
 * keeps a prefix of the claim's name and a hash of the whole, so two long names never collide.
 */
export function uploadPodName(claimName: string): string {
  const full = `${UPLOAD_POD_PREFIX}-${claimName}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(claimName).digest('hex').slice(0, 8);
  const keep = MAX_NAME - UPLOAD_POD_PREFIX.length - hash.length - 2;
  return `${UPLOAD_POD_PREFIX}-${claimName.slice(0, keep).replace(/[-.]+$/, '')}-${hash}`;
}

export interface UploadClaim {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  /** spec.resources.requests.storage, as written (a quantity such as "10Gi"). */
  readonly requestedStorage: string;
}

export interface UploadPodOptions {
  readonly claim: UploadClaim;
  /** The container image (cluster mode's virtkit image); the local runner never runs it. */
  readonly image: string;
  /** CDI's filesystem overhead for the claim's class, e.g. "0.055". Omit for block claims. */
  readonly filesystemOverhead?: string;
  /** The claim is `volumeMode: Block`: the container gets it as a device, not a mount. @default false */
  readonly block?: boolean;
  /** The owner's UID (the DataVolume's), passed as OWNER_UID. */
  readonly ownerUid?: string;
  /** @default "IfNotPresent" */
  readonly imagePullPolicy?: string;
}

/** The checks a builder input must pass; every problem gathered. */
function problemsOf(o: UploadPodOptions): string[] {
  const p: string[] = [];
  const name = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (!name.test(o.claim.name) || o.claim.name.length > 253)
    p.push(`claim.name ${JSON.stringify(o.claim.name)} is not a valid PersistentVolumeClaim name`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.claim.namespace) || o.claim.namespace.length > 63)
    p.push(`claim.namespace ${JSON.stringify(o.claim.namespace)} is not a valid namespace`);
  if (!o.claim.uid) p.push('claim.uid is empty; build the pod from the stored claim');
  if (!/^\d+(\.\d+)?([KMGTPE]i?|[kmMGTPE]|e\d+)?$/.test(o.claim.requestedStorage))
    p.push(
      `claim.requestedStorage ${JSON.stringify(o.claim.requestedStorage)} is not a quantity such as 10Gi`,
    );
  if (o.filesystemOverhead !== undefined && !/^(0(\.\d+)?|\.\d+)$/.test(o.filesystemOverhead))
    p.push(`filesystemOverhead ${JSON.stringify(o.filesystemOverhead)} is not a fraction such as 0.055`);
  if (o.block && o.filesystemOverhead !== undefined)
    p.push('filesystemOverhead is given for a Block claim, which has no filesystem; leave it out');
  if (!o.image) p.push('image is empty');
  return p;
}

/** The upload server pod for `o.claim`; throws one Error naming every bad input. */
export function uploadServerPod(o: UploadPodOptions): Record<string, unknown> {
  const problems = problemsOf(o);
  if (problems.length) throw new Error(`uploadServerPod: ${problems.join('; ')}`);
  const name = uploadPodName(o.claim.name);
  const env = [
    { name: UploadEnv.imageSize, value: o.claim.requestedStorage },
    ...(o.filesystemOverhead !== undefined
      ? [{ name: UploadEnv.filesystemOverhead, value: o.filesystemOverhead }]
      : []),
    { name: UploadEnv.preallocation, value: 'false' },
    ...(o.ownerUid ? [{ name: UploadEnv.ownerUid, value: o.ownerUid }] : []),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.claim.namespace,
      annotations: { [CREATED_BY_UPLOAD_ANNOTATION]: 'yes' },
      labels: {
        [CDI_APP_LABEL]: CDI_APP_LABEL_VALUE,
        [CDI_COMPONENT_LABEL]: CDI_UPLOAD_SERVER_COMPONENT,
        [UPLOAD_SERVER_SERVICE_LABEL]: name,
        [UPLOAD_TARGET_LABEL]: o.claim.uid,
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          name: o.claim.name,
          uid: o.claim.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      restartPolicy: 'OnFailure',
      containers: [
        {
          name: UPLOAD_SERVER_CONTAINER,
          image: o.image,
          imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
          env,
          ...(o.block
            ? { volumeDevices: [{ name: DATA_VOLUME_NAME, devicePath: DATA_DEVICE_PATH }] }
            : { volumeMounts: [{ name: DATA_VOLUME_NAME, mountPath: DATA_MOUNT_PATH }] }),
        },
      ],
      volumes: [
        { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: o.claim.name, readOnly: false } },
      ],
    },
  };
}

/** The parts of an observed upload pod the controller reads. */
export interface ObservedUploadPod {
  readonly metadata?: { readonly name?: string };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
    readonly containerStatuses?: readonly { readonly restartCount?: number }[];
  };
}

export type UploadDataVolumePhase = 'UploadScheduled' | 'UploadReady' | 'Succeeded' | 'Failed';

/**
 * What the controller makes of its upload pod (pure), as CDI's upload and DataVolume controllers
 * do: the DataVolume's phase (UploadScheduled until the pod is Ready, then UploadReady, then
 * Succeeded; Failed for a pod refused for good) and the claim annotations CDI keeps in step with
 * the pod (`cdi.kubevirt.io/storage.pod.phase`, `.pod.ready`, `.pod.restarts`,
 * `.uploadPodName`), which `virtkit image-upload`, virtctl and the upload proxy read.
 */
export function uploadPodObservation(pod: ObservedUploadPod): {
  readonly phase: UploadDataVolumePhase;
  readonly claimAnnotations: Readonly<Record<string, string>>;
} {
  const podPhase = pod.status?.phase ?? 'Pending';
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const restarts = pod.status?.containerStatuses?.[0]?.restartCount ?? 0;
  const phase: UploadDataVolumePhase =
    podPhase === 'Succeeded'
      ? 'Succeeded'
      : podPhase === 'Failed'
        ? 'Failed'
        : ready
          ? 'UploadReady'
          : 'UploadScheduled';
  return {
    phase,
    claimAnnotations: {
      [POD_PHASE_ANNOTATION]: podPhase,
      [POD_READY_ANNOTATION]: String(ready && podPhase === 'Running'),
      [POD_RESTARTS_ANNOTATION]: String(restarts),
      ...(pod.metadata?.name ? { [UPLOAD_POD_ANNOTATION]: pod.metadata.name } : {}),
    },
  };
}
