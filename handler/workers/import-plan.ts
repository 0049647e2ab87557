/**
 * A CDI worker pod read as an import plan (pure): which source, which claims, which size, which
 * Secret keys and which certificate ConfigMap, each value checked here, where it is used. The pod
 * is recognised by its labels (api/cdi/worker-pod.ts); nothing of its container (image, command,
 * args) is ever run: the runner starts its own `virtkit importer` with flags built from this plan.
 * Every problem is gathered into one refusal that names the pod, the env var or volume, the value
 * and the fix. A claim the container takes as a `volumeDevice` (a `volumeMode: Block` claim, at
 * CDI's /dev/cdi-block-volume) is marked so: the runner checks it against the claim's volume, and
 * never uses the device path written in the pod.
 */
import { parseQuantity } from '../../api/quantity';
import {
  CDI_APP_LABEL,
  CDI_APP_LABEL_VALUE,
  CERT_MOUNT_PATH,
  CERT_VOLUME_NAME,
  DATA_DEVICE_PATH,
  DATA_VOLUME_NAME,
  ImporterEnv,
  ImporterSource,
  SOURCE_DEVICE_PATH,
  SOURCE_VOLUME_NAME,
  WORKER_CONTAINER,
  type ImporterSourceValue,
} from '../../api/cdi/worker-pod';
import { overheadProblem } from '../importer/size';
import { parseSourceUrl, registryImageOf } from '../importer/source-url';

/** The parts of a worker pod the runner reads. */
export interface WorkerPodJson {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly deletionTimestamp?: string;
    readonly deletionGracePeriodSeconds?: number;
  };
  readonly spec?: {
    readonly nodeName?: string;
    readonly restartPolicy?: string;
    readonly terminationGracePeriodSeconds?: number;
    readonly containers?: readonly ContainerJson[];
    readonly volumes?: readonly {
      readonly name: string;
      readonly persistentVolumeClaim?: { readonly claimName?: string; readonly readOnly?: boolean };
      readonly configMap?: { readonly name?: string };
    }[];
  };
}

export interface ContainerJson {
  readonly name: string;
  readonly env?: readonly EnvVarJson[];
  readonly volumeMounts?: readonly { readonly name?: string; readonly mountPath?: string }[];
  readonly volumeDevices?: readonly { readonly name?: string; readonly devicePath?: string }[];
}

export interface EnvVarJson {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name?: string; readonly key?: string; readonly optional?: boolean };
    readonly [other: string]: unknown;
  };
}

/** An env var whose value the runner reads from a Secret (with its own client) and gives the child. */
export interface SecretEnv {
  readonly env: string;
  readonly secret: string;
  readonly key: string;
  readonly optional: boolean;
}

/** virtkit's source of an upload server pod (./upload-plan.ts); never an IMPORTER_SOURCE value. */
export const UPLOAD_SOURCE = 'upload';
/** virtkit's source of a clone source pod (./clone-source-plan.ts); never an IMPORTER_SOURCE value. */
export const CLONE_SOURCE = 'clone-source';

export interface ImportPlan {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly source: ImporterSourceValue | typeof UPLOAD_SOURCE | typeof CLONE_SOURCE;
  /** http(s) URL or docker://... (http and registry). */
  readonly endpoint?: string;
  readonly requestedBytes: number;
  readonly filesystemOverhead?: number;
  readonly insecureTls: boolean;
  /** The claim of DATA_VOLUME_NAME. */
  readonly targetClaim: string;
  /** The container takes the target claim as a volumeDevice (volumeMode Block). */
  readonly targetBlock?: true;
  /** The claim of SOURCE_VOLUME_NAME (pvc source). */
  readonly sourceClaim?: string;
  /** The container takes the source claim as a volumeDevice (volumeMode Block). */
  readonly sourceBlock?: true;
  /** Literal extra headers, passed through the child's environment. */
  readonly literalEnv: Readonly<Record<string, string>>;
  readonly secretEnv: readonly SecretEnv[];
  /** The ConfigMap of CERT_VOLUME_NAME when IMPORTER_CERT_DIR points at it. */
  readonly certConfigMap?: string;
  /**
   * A clone source pod's target (./clone-source-plan.ts): the claim in another namespace whose
   * upload server takes the stream. The pod's own claim (targetClaim) is then the source, read.
   */
  readonly cloneTarget?: { readonly namespace: string; readonly claim: string };
}

export class ImportPlanError extends Error {
  constructor(
    readonly pod: string,
    readonly problems: readonly string[],
  ) {
    super(`worker pod ${pod}: ${problems.join('; ')}`);
    this.name = 'ImportPlanError';
  }
}

export function isWorkerPod(pod: WorkerPodJson): boolean {
  return pod.metadata?.labels?.[CDI_APP_LABEL] === CDI_APP_LABEL_VALUE;
}

const SOURCES: readonly string[] = Object.values(ImporterSource);
const CONTENT_TYPES = ['kubevirt', 'archive'];
const EXTRA_HEADER = new RegExp(`^${ImporterEnv.extraHeaderPrefix}\\d{1,3}$`);
/** Env vars a worker pod may carry; anything else is refused, not silently dropped. */
const KNOWN_ENV: readonly string[] = Object.values(ImporterEnv).filter(
  (n) => n !== ImporterEnv.extraHeaderPrefix,
);
const SECRET_ENV: readonly string[] = [ImporterEnv.accessKeyId, ImporterEnv.secretKey];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

const isName = (s: string | undefined): s is string => !!s && s.length <= 253 && DNS_SUBDOMAIN.test(s);

/** The device path of each claim volume a worker container may take as a volumeDevice. */
export const DEVICE_PATHS: Readonly<Record<string, string>> = {
  [DATA_VOLUME_NAME]: DATA_DEVICE_PATH,
  [SOURCE_VOLUME_NAME]: SOURCE_DEVICE_PATH,
};

/**
 * The claim volumes `container` takes as devices (volumeMode Block), each at the path CDI's
 * contract gives it; a device elsewhere, of another volume, or also mounted is a problem (`say`).
 */
export function deviceVolumes(
  container: ContainerJson,
  allowed: readonly string[],
  say: (problem: string) => void,
): Set<string> {
  const devices = new Set<string>();
  for (const d of container.volumeDevices ?? []) {
    const name = String(d.name ?? '');
    const want = allowed.includes(name) ? DEVICE_PATHS[name] : undefined;
    if (!want) {
      say(
        `volumeDevices ${JSON.stringify(name.slice(0, 100))} is not a claim the runner fills; only ${allowed.join(' and ')} may be devices`,
      );
      continue;
    }
    if (d.devicePath !== want)
      say(
        `volumeDevices ${name}: devicePath ${JSON.stringify(String(d.devicePath ?? '').slice(0, 100))} must be ${want}`,
      );
    if (devices.has(name)) say(`volumeDevices ${name} is given twice; keep one`);
    if ((container.volumeMounts ?? []).some((m) => m.name === name))
      say(
        `volume ${name} is both a volumeMount and a volumeDevice; a claim is one or the other (its volumeMode)`,
      );
    devices.add(name);
  }
  return devices;
}

/** The import plan of a worker pod; throws ImportPlanError with every problem found. */
export function parseImportPlan(pod: WorkerPodJson): ImportPlan {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const ref = `${namespace}/${name}`;
  const problems: string[] = [];
  const say = (m: string): void => void problems.push(m);

  const containers = pod.spec?.containers ?? [];
  const container = containers.find((c) => c.name === WORKER_CONTAINER);
  if (!container || containers.length !== 1)
    throw new ImportPlanError(ref, [
      `spec.containers must be exactly one container named "${WORKER_CONTAINER}" (found ${containers.map((c) => JSON.stringify(c.name)).join(', ') || 'none'}); recreate the pod from the DataVolume controller's template`,
    ]);

  const env = new Map<string, EnvVarJson>();
  const literal = (n: string): string | undefined => {
    const v = env.get(n);
    if (!v) return undefined;
    if (v.valueFrom) {
      say(`env ${n} must be a literal value, not valueFrom; set value`);
      return undefined;
    }
    return v.value ?? '';
  };
  for (const e of container.env ?? []) {
    if (env.has(e.name)) say(`env ${e.name} is given twice; keep one`);
    env.set(e.name, e);
    if (!KNOWN_ENV.includes(e.name) && !EXTRA_HEADER.test(e.name))
      say(
        `env ${e.name} is not one the runner reads; remove it (docs/importer.md lists the IMPORTER_* variables the runner reads)`,
      );
  }

  const source = literal(ImporterEnv.source);
  if (source === undefined)
    say(`env ${ImporterEnv.source} is missing; set it to one of ${SOURCES.join(', ')}`);
  else if (!SOURCES.includes(source))
    say(`env ${ImporterEnv.source} "${source.slice(0, 100)}" is not one of ${SOURCES.join(', ')}`);

  const endpoint = literal(ImporterEnv.endpoint);
  const wantsEndpoint = source === ImporterSource.http || source === ImporterSource.registry;
  if (wantsEndpoint && !endpoint)
    say(
      `env ${ImporterEnv.endpoint} is missing; give the ${source === ImporterSource.http ? 'http(s):// URL' : 'docker://HOST/REPO:TAG image'} to import`,
    );
  if (endpoint && source !== undefined && !wantsEndpoint && SOURCES.includes(source))
    say(`env ${ImporterEnv.endpoint} is set for source ${source}, which takes none; remove it`);
  if (endpoint && (endpoint.length > 8192 || /[\0\r\n]/.test(endpoint)))
    say(`env ${ImporterEnv.endpoint} is longer than 8192 characters or has a line break or NUL`);
  // Checked here too, before it goes on a command line: a URL with a password in it never does.
  else if (endpoint && (source === ImporterSource.http || source === ImporterSource.registry)) {
    try {
      if (source === ImporterSource.http) parseSourceUrl(endpoint, `env ${ImporterEnv.endpoint}`);
      else registryImageOf(endpoint);
    } catch (e) {
      say((e as Error).message);
    }
  }

  const contentType = literal(ImporterEnv.contentType);
  if (contentType !== undefined && contentType !== '' && !CONTENT_TYPES.includes(contentType))
    say(`env ${ImporterEnv.contentType} "${contentType.slice(0, 100)}" is not kubevirt or archive`);
  else if (contentType === 'archive')
    say(
      `env ${ImporterEnv.contentType} "archive" is not supported by virtkit's importer yet; use kubevirt (a disk image)`,
    );

  const sizeText = literal(ImporterEnv.imageSize);
  const size = sizeText ? parseQuantity(sizeText) : undefined;
  if (!sizeText)
    say(`env ${ImporterEnv.imageSize} is missing; give the claim's size as a quantity such as 10Gi`);
  else if (size === undefined || !Number.isSafeInteger(Math.floor(size)) || Math.floor(size) <= 0)
    say(`env ${ImporterEnv.imageSize} "${sizeText.slice(0, 100)}" is not a positive quantity such as 10Gi`);

  const overheadText = literal(ImporterEnv.filesystemOverhead);
  let overhead: number | undefined;
  if (overheadText !== undefined && overheadText !== '') {
    overhead = /^\d*\.?\d+$/.test(overheadText) ? Number(overheadText) : NaN;
    const p = overheadProblem(overhead);
    if (p) say(`env ${ImporterEnv.filesystemOverhead} "${overheadText.slice(0, 100)}": ${p}`);
  }

  const insecureText = literal(ImporterEnv.insecureTls);
  if (
    insecureText !== undefined &&
    insecureText !== '' &&
    insecureText !== 'true' &&
    insecureText !== 'false'
  )
    say(`env ${ImporterEnv.insecureTls} "${insecureText.slice(0, 100)}" is not true or false`);

  if (insecureText === 'true' && source !== undefined && source !== ImporterSource.registry)
    say(
      `env ${ImporterEnv.insecureTls} "true" applies to the registry source only (source ${source}); remove it`,
    );

  literal(ImporterEnv.ownerUid);

  // Credentials only as secretKeyRef: a literal value would sit in the pod spec for anyone to read.
  const secretEnv: SecretEnv[] = [];
  const literalEnv: Record<string, string> = {};
  for (const [n, e] of env) {
    const isSecret = SECRET_ENV.includes(n);
    if (!isSecret && !EXTRA_HEADER.test(n)) continue;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      if (!isName(ref.name))
        say(`env ${n}: secretKeyRef.name "${String(ref.name ?? '').slice(0, 100)}" is not a Secret name`);
      else if (!ref.key || !SECRET_KEY.test(ref.key))
        say(`env ${n}: secretKeyRef.key "${String(ref.key ?? '').slice(0, 100)}" is not a valid key`);
      else secretEnv.push({ env: n, secret: ref.name, key: ref.key, optional: ref.optional === true });
    } else if (e.valueFrom) say(`env ${n}: only valueFrom.secretKeyRef is read; use a secretKeyRef`);
    else if (isSecret)
      say(
        `env ${n} carries a literal value; credentials go in a Secret, referenced with valueFrom.secretKeyRef`,
      );
    else if (/[\0\r\n]/.test(e.value ?? '')) say(`env ${n} has a line break or NUL in its value`);
    else literalEnv[n] = e.value ?? '';
  }
  const secretNames = new Set(secretEnv.map((s) => s.env));
  if (secretNames.has(ImporterEnv.accessKeyId) !== secretNames.has(ImporterEnv.secretKey))
    say(`env ${ImporterEnv.accessKeyId} and ${ImporterEnv.secretKey} come together; give both or neither`);

  const volumes = pod.spec?.volumes ?? [];
  const claimOf = (volume: string, required: boolean): string | undefined => {
    const v = volumes.find((x) => x.name === volume);
    if (!v) {
      if (required)
        say(
          `volume ${volume} is missing; mount the claim to fill as a persistentVolumeClaim volume named ${volume}`,
        );
      return undefined;
    }
    const claim = v.persistentVolumeClaim?.claimName;
    if (!isName(claim)) {
      say(
        `volume ${volume} must be a persistentVolumeClaim with a valid claimName (got ${JSON.stringify(claim ?? null)})`,
      );
      return undefined;
    }
    return claim;
  };
  const targetClaim = claimOf(DATA_VOLUME_NAME, true);
  const isClone = source === ImporterSource.pvc;
  const sourceClaim = claimOf(SOURCE_VOLUME_NAME, isClone);
  if (sourceClaim && !isClone) say(`volume ${SOURCE_VOLUME_NAME} is only for source pvc; remove it`);
  if (isClone && sourceClaim && sourceClaim === targetClaim)
    say(
      `volume ${SOURCE_VOLUME_NAME} names the target claim ${sourceClaim}; a claim cannot be cloned into itself`,
    );

  const devices = deviceVolumes(container, [DATA_VOLUME_NAME, SOURCE_VOLUME_NAME], say);
  if (devices.has(SOURCE_VOLUME_NAME) && !sourceClaim)
    say(`volumeDevices ${SOURCE_VOLUME_NAME} names no source claim; remove it`);

  const certDir = literal(ImporterEnv.certDir);
  let certConfigMap: string | undefined;
  if (certDir) {
    const v = volumes.find((x) => x.name === CERT_VOLUME_NAME);
    if (certDir !== CERT_MOUNT_PATH)
      say(
        `env ${ImporterEnv.certDir} "${certDir.slice(0, 100)}" must be ${CERT_MOUNT_PATH}, where volume ${CERT_VOLUME_NAME} is mounted`,
      );
    else if (!v || !isName(v.configMap?.name))
      say(
        `env ${ImporterEnv.certDir} is set but volume ${CERT_VOLUME_NAME} is not a configMap volume with a valid name; add it`,
      );
    else if (source !== ImporterSource.http)
      say(
        `volume ${CERT_VOLUME_NAME}: a certConfigMap is supported for the http source only (source ${source})`,
      );
    else certConfigMap = v.configMap!.name;
  }

  if (problems.length) throw new ImportPlanError(ref, problems);
  return {
    namespace,
    name,
    uid: pod.metadata?.uid ?? '',
    source: source as ImporterSourceValue,
    ...(endpoint ? { endpoint } : {}),
    requestedBytes: Math.floor(size!),
    ...(overhead !== undefined ? { filesystemOverhead: overhead } : {}),
    insecureTls: insecureText === 'true',
    targetClaim: targetClaim!,
    ...(devices.has(DATA_VOLUME_NAME) ? { targetBlock: true as const } : {}),
    ...(isClone && sourceClaim ? { sourceClaim } : {}),
    ...(isClone && sourceClaim && devices.has(SOURCE_VOLUME_NAME) ? { sourceBlock: true as const } : {}),
    literalEnv,
    secretEnv,
    ...(certConfigMap ? { certConfigMap } : {}),
  };
}

/**
 * The one container of a CDI worker pod the runner reads (named `container`), or an
 * ImportPlanError naming what is there; `what` names the pod kind, `docs` where it is described.
 */
export function soleContainer(pod: WorkerPodJson, container: string, what: string, docs = ''): ContainerJson {
  const containers = pod.spec?.containers ?? [];
  const found = containers.find((c) => c.name === container);
  if (!found || containers.length !== 1)
    throw new ImportPlanError(`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`, [
      `spec.containers must be exactly one container named "${container}" (found ${containers.map((c) => JSON.stringify(c.name)).join(', ') || 'none'}); the ${what} is written by the DataVolume controller: delete it and let it be made again${docs}`,
    ]);
  return found;
}

/**
 * The literal values of a worker pod container's `known` env vars (those in `ignored` dropped);
 * an unknown name (`hint` appended), a valueFrom or a duplicate is said as a problem.
 */
export function literalEnvOf(
  container: ContainerJson,
  known: readonly string[],
  say: (problem: string) => void,
  o: { readonly ignored?: readonly string[]; readonly hint?: string } = {},
): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of container.env ?? []) {
    if (!known.includes(e.name)) say(`env ${e.name} is not one the runner reads; remove it${o.hint ?? ''}`);
    else if (o.ignored?.includes(e.name)) continue;
    else if (e.valueFrom) say(`env ${e.name} must be a literal value, not valueFrom; set value`);
    else if (env.has(e.name)) say(`env ${e.name} is given twice; keep one`);
    else env.set(e.name, e.value ?? '');
  }
  return env;
}
