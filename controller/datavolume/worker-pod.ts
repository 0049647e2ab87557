/**
 * The worker pod that fills a DataVolume's claim (pure), exactly as api/cdi/worker-pod.ts
 * describes it to the node's runner: `importer-<claim>`, controlled by the claim (as CDI's
 * importer pods are), restartPolicy OnFailure (a failed run is retried with back-off), one
 * container `importer` running virtkit's image with `importer`, the claim at /data (a
 * `volumeMode: Block` claim as the device /dev/cdi-block-volume instead, without
 * FILESYSTEM_OVERHEAD: a device has no filesystem), and the IMPORTER_* environment of the source.
 * Credentials only ever reach the pod as secretKeyRef.
 */
import type { DataVolume } from '../../api/cdi/v1beta1';
import {
  CDI_APP_LABEL,
  CDI_APP_LABEL_VALUE,
  CDI_COMPONENT_LABEL,
  CDI_IMPORT_PVC_LABEL,
  CDI_IMPORTER_COMPONENT,
  CERT_MOUNT_PATH,
  CERT_VOLUME_NAME,
  DATA_DEVICE_PATH,
  DATA_MOUNT_PATH,
  DATA_VOLUME_NAME,
  ImporterEnv,
  ImporterSource,
  importerPodName,
  SOURCE_DEVICE_PATH,
  SOURCE_MOUNT_PATH,
  SOURCE_VOLUME_NAME,
  WORKER_CONTAINER,
  type ImporterSourceValue,
} from '../../api/cdi/worker-pod';
import { DEFAULT_LAUNCHER_IMAGE, type PodSketch } from '../vmi/launcher-pod';
import type { Claim } from './objects';
import type { ResolvedSource } from './source';

export interface WorkerPodInputs {
  readonly dv: DataVolume;
  /** The claim to fill (its name, UID and requested size). */
  readonly claim: Claim;
  readonly source: Extract<ResolvedSource, { type: 'import' | 'clone' }>;
  readonly overhead: number;
  /** A clone's source claim's spec.volumeMode (a Block source is given as a device). @default Filesystem */
  readonly sourceVolumeMode?: string;
  /** virtkit's image, as the launcher pod uses it. @default DEFAULT_LAUNCHER_IMAGE */
  readonly image?: string;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef: { name: string; key: string } };
}

/** The worker pod as created (the launcher pod's shape: same fields are rendered). */
export type WorkerPodSketch = PodSketch;

/** The Secret keys CDI reads credentials from (http basic auth, registry login). */
const SECRET_KEYS = { accessKeyId: 'accessKeyId', secretKey: 'secretKey' } as const;

function secretEnv(secret: string): EnvVar[] {
  return [
    {
      name: ImporterEnv.accessKeyId,
      valueFrom: { secretKeyRef: { name: secret, key: SECRET_KEYS.accessKeyId } },
    },
    {
      name: ImporterEnv.secretKey,
      valueFrom: { secretKeyRef: { name: secret, key: SECRET_KEYS.secretKey } },
    },
  ];
}

export function renderWorkerPod(i: WorkerPodInputs): WorkerPodSketch {
  const { dv, claim, source } = i;
  const claimName = claim.metadata?.name ?? '';
  const block = claim.spec?.volumeMode === 'Block';
  const s = dv.spec.source ?? {};
  let importerSource: ImporterSourceValue;
  let endpoint = '';
  let secret: string | undefined;
  let certConfigMap: string | undefined;
  const extra: EnvVar[] = [];
  if (source.type === 'clone') {
    importerSource = ImporterSource.pvc;
  } else if (source.kind === 'http') {
    importerSource = ImporterSource.http;
    endpoint = s.http?.url ?? '';
    secret = s.http?.secretRef;
    certConfigMap = s.http?.certConfigMap;
    (s.http?.extraHeaders ?? []).forEach((h, n) =>
      extra.push({ name: `${ImporterEnv.extraHeaderPrefix}${n}`, value: h }),
    );
  } else if (source.kind === 'registry') {
    importerSource = ImporterSource.registry;
    endpoint = s.registry?.url ?? '';
    secret = s.registry?.secretRef;
    certConfigMap = s.registry?.certConfigMap;
  } else {
    importerSource = ImporterSource.blank;
  }

  const env: EnvVar[] = [
    { name: ImporterEnv.source, value: importerSource },
    ...(endpoint ? [{ name: ImporterEnv.endpoint, value: endpoint }] : []),
    { name: ImporterEnv.contentType, value: dv.spec.contentType ?? 'kubevirt' },
    { name: ImporterEnv.imageSize, value: String(claim.spec?.resources?.requests?.storage ?? '') },
    { name: ImporterEnv.ownerUid, value: dv.metadata?.uid ?? '' },
    ...(block ? [] : [{ name: ImporterEnv.filesystemOverhead, value: String(i.overhead) }]),
    ...(secret ? secretEnv(secret) : []),
    ...(certConfigMap ? [{ name: ImporterEnv.certDir, value: CERT_MOUNT_PATH }] : []),
    ...extra,
  ];
  // A Block claim is a device in the container, as kubelet requires of volumeMode Block.
  const mounts: { name: string; mountPath: string; readOnly?: boolean }[] = [];
  const devices: { name: string; devicePath: string }[] = [];
  if (block) devices.push({ name: DATA_VOLUME_NAME, devicePath: DATA_DEVICE_PATH });
  else mounts.push({ name: DATA_VOLUME_NAME, mountPath: DATA_MOUNT_PATH });
  const volumes: Record<string, unknown>[] = [
    { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName } },
  ];
  if (source.type === 'clone') {
    if (i.sourceVolumeMode === 'Block')
      devices.push({ name: SOURCE_VOLUME_NAME, devicePath: SOURCE_DEVICE_PATH });
    else mounts.push({ name: SOURCE_VOLUME_NAME, mountPath: SOURCE_MOUNT_PATH, readOnly: true });
    volumes.push({
      name: SOURCE_VOLUME_NAME,
      persistentVolumeClaim: { claimName: source.name, readOnly: true },
    });
  }
  if (certConfigMap) {
    mounts.push({ name: CERT_VOLUME_NAME, mountPath: CERT_MOUNT_PATH, readOnly: true });
    volumes.push({ name: CERT_VOLUME_NAME, configMap: { name: certConfigMap } });
  }
  const spec: Record<string, unknown> = {
    restartPolicy: 'OnFailure',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    containers: [
      {
        name: WORKER_CONTAINER,
        image: i.image ?? DEFAULT_LAUNCHER_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        command: ['virtkit'],
        args: ['importer'],
        env,
        ...(mounts.length ? { volumeMounts: mounts } : {}),
        ...(devices.length ? { volumeDevices: devices } : {}),
        terminationMessagePolicy: 'File',
      },
    ],
    volumes,
  };
  if (dv.spec.priorityClassName) spec.priorityClassName = dv.spec.priorityClassName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: importerPodName(claimName),
      namespace: claim.metadata?.namespace,
      labels: {
        [CDI_APP_LABEL]: CDI_APP_LABEL_VALUE,
        [CDI_COMPONENT_LABEL]: CDI_IMPORTER_COMPONENT,
        [CDI_IMPORT_PVC_LABEL]: claimName,
      },
      annotations: {},
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          name: claimName,
          uid: claim.metadata?.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec,
  };
}
