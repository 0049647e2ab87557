/**
 * A CDI worker pod's plan as its container sees it (pure): on a kubelet node `virtkit importer`
 * runs as the worker pod's container with no flags, and reads the pod's IMPORTER_* environment
 * the way CDI's importer does. The environment is checked by the very rules the local runner
 * applies to the pod (./import-plan.ts's parseImportPlan, on the pod the environment describes:
 * the claim at /data, or the device /dev/cdi-block-volume when it is there), and becomes the
 * command line the local runner would build (./importer-args.ts), with the container's own paths.
 * Credentials are not in it: kubelet resolved the secretKeyRefs into the environment, which the
 * importer reads directly (cli/commands/importer.ts).
 */
import {
  CERT_MOUNT_PATH,
  CERT_VOLUME_NAME,
  DATA_DEVICE_PATH,
  DATA_MOUNT_PATH,
  DATA_VOLUME_NAME,
  ImporterEnv,
  ImporterSource,
  SOURCE_DEVICE_PATH,
  SOURCE_MOUNT_PATH,
  SOURCE_VOLUME_NAME,
  WORKER_CONTAINER,
} from '../../api/cdi/worker-pod';
import { importerArgs } from './importer-args';
import { parseImportPlan, type EnvVarJson } from './import-plan';

/** What the container has (the I/O side looks). */
export interface ContainerFacts {
  /** The target claim is a device at DATA_DEVICE_PATH (volumeMode Block). */
  readonly targetDevice: boolean;
  /** A clone's source claim is a device at SOURCE_DEVICE_PATH. */
  readonly sourceDevice: boolean;
  /** The certConfigMap's files, gathered into one bundle by the caller. */
  readonly caFile?: string;
  /** Scratch space for a Block target (the image is staged before it is written to the device). */
  readonly scratchDir: string;
}

/** Env names that carry credentials or headers: read by the importer itself, never planned. */
const PASSED_THROUGH = (name: string): boolean =>
  name === ImporterEnv.accessKeyId ||
  name === ImporterEnv.secretKey ||
  name.startsWith(ImporterEnv.extraHeaderPrefix);

const PLANNED: readonly string[] = Object.values(ImporterEnv).filter(
  (n) => n !== ImporterEnv.extraHeaderPrefix && !PASSED_THROUGH(n),
);

/** True when `env` is a worker pod's (kubelet gave the container IMPORTER_SOURCE). */
export function isWorkerEnvironment(env: NodeJS.ProcessEnv): boolean {
  return env[ImporterEnv.source] !== undefined;
}

/**
 * The `virtkit importer` arguments of the worker pod whose container has `env`; throws the
 * plan's ImportPlanError (every problem, naming the env var and the fix).
 */
export function importerArgsFromEnvironment(env: NodeJS.ProcessEnv, facts: ContainerFacts): string[] {
  const vars: EnvVarJson[] = PLANNED.flatMap((name) =>
    env[name] !== undefined ? [{ name, value: env[name] }] : [],
  );
  const clone = env[ImporterEnv.source] === ImporterSource.pvc;
  const certs = !!env[ImporterEnv.certDir];
  const mounts: { name: string; mountPath: string }[] = [];
  const devices: { name: string; devicePath: string }[] = [];
  if (facts.targetDevice) devices.push({ name: DATA_VOLUME_NAME, devicePath: DATA_DEVICE_PATH });
  else mounts.push({ name: DATA_VOLUME_NAME, mountPath: DATA_MOUNT_PATH });
  if (clone) {
    if (facts.sourceDevice) devices.push({ name: SOURCE_VOLUME_NAME, devicePath: SOURCE_DEVICE_PATH });
    else mounts.push({ name: SOURCE_VOLUME_NAME, mountPath: SOURCE_MOUNT_PATH });
  }
  const plan = parseImportPlan({
    metadata: { name: '(this worker pod)', namespace: '' },
    spec: {
      containers: [{ name: WORKER_CONTAINER, env: vars, volumeMounts: mounts, volumeDevices: devices }],
      volumes: [
        // The claims' names are the pod's business here: kubelet mounted them.
        { name: DATA_VOLUME_NAME, persistentVolumeClaim: { claimName: 'target' } },
        ...(clone ? [{ name: SOURCE_VOLUME_NAME, persistentVolumeClaim: { claimName: 'source' } }] : []),
        ...(certs ? [{ name: CERT_VOLUME_NAME, configMap: { name: 'certs' } }] : []),
      ],
    },
  });
  return importerArgs(
    plan,
    {
      targetDir: facts.targetDevice ? facts.scratchDir : DATA_MOUNT_PATH,
      ...(facts.targetDevice ? { targetDevice: DATA_DEVICE_PATH } : {}),
      ...(clone && !facts.sourceDevice ? { sourceDir: SOURCE_MOUNT_PATH } : {}),
      ...(clone && facts.sourceDevice ? { sourceDevice: SOURCE_DEVICE_PATH } : {}),
      ...(certs && facts.caFile ? { caFile: facts.caFile } : {}),
    },
    { mirrors: [], insecure: [] },
  );
}

/** Where the certConfigMap is in the container (IMPORTER_CERT_DIR must name it). */
export const CONTAINER_CERT_DIR = CERT_MOUNT_PATH;
