/**
 * An upload server pod read as an import plan (pure): the pod is recognised by CDI's labels
 * (`app: containerized-data-importer`, `cdi.kubevirt.io: cdi-upload-server`), its one container
 * named `cdi-upload-server`, its target claim the `cdi-data-vol` volume, its size and overhead
 * from CDI's UPLOAD_IMAGE_SIZE and FILESYSTEM_OVERHEAD. Nothing of the container is run: the
 * runner starts its own `virtkit importer --source upload`. Every problem is gathered into one
 * refusal naming the pod, the field and the fix.
 */
import { parseQuantity } from '../../api/quantity';
import {
  CDI_COMPONENT_LABEL,
  CDI_UPLOAD_SERVER_COMPONENT,
  DATA_VOLUME_NAME,
  UPLOAD_SERVER_CONTAINER,
  UploadEnv,
} from '../../api/cdi/worker-pod';
import { overheadProblem } from '../importer/size';
import {
  deviceVolumes,
  ImportPlanError,
  isWorkerPod,
  UPLOAD_SOURCE,
  literalEnvOf,
  soleContainer,
  type ImportPlan,
  type WorkerPodJson,
} from './import-plan';

/** TLS material CDI's controller puts in the pod; virtkit's upload path needs none, so it is ignored. */
const IGNORED_ENV = ['TLS_KEY', 'TLS_CERT', 'CLIENT_CERT', 'CLIENT_NAME', 'DESTINATION'];
const KNOWN_ENV: readonly string[] = [...Object.values(UploadEnv), ...IGNORED_ENV];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isUploadServerPod(pod: WorkerPodJson): boolean {
  return isWorkerPod(pod) && pod.metadata?.labels?.[CDI_COMPONENT_LABEL] === CDI_UPLOAD_SERVER_COMPONENT;
}

/** The plan of an upload server pod; throws ImportPlanError with every problem found. */
export function parseUploadPlan(pod: WorkerPodJson): ImportPlan {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const problems: string[] = [];
  const say = (m: string): void => void problems.push(m);
  const container = soleContainer(
    pod,
    UPLOAD_SERVER_CONTAINER,
    'upload server pod',
    ' (docs/handler.md, upload server pods)',
  );
  const env = literalEnvOf(container, KNOWN_ENV, say, {
    ignored: IGNORED_ENV,
    hint: " (docs/handler.md lists the upload server pod's variables)",
  });
  const sizeText = env.get(UploadEnv.imageSize);
  const size = sizeText ? parseQuantity(sizeText) : undefined;
  if (!sizeText)
    say(`env ${UploadEnv.imageSize} is missing; give the claim's size as a quantity such as 10Gi`);
  else if (size === undefined || !Number.isSafeInteger(Math.floor(size)) || Math.floor(size) <= 0)
    say(`env ${UploadEnv.imageSize} "${sizeText.slice(0, 100)}" is not a positive quantity such as 10Gi`);
  const overheadText = env.get(UploadEnv.filesystemOverhead);
  let overhead: number | undefined;
  if (overheadText !== undefined && overheadText !== '') {
    overhead = /^\d*\.?\d+$/.test(overheadText) ? Number(overheadText) : NaN;
    const p = overheadProblem(overhead);
    if (p) say(`env ${UploadEnv.filesystemOverhead} "${overheadText.slice(0, 100)}": ${p}`);
  }
  const prealloc = env.get(UploadEnv.preallocation);
  if (prealloc !== undefined && prealloc !== '' && prealloc !== 'false')
    say(
      `env ${UploadEnv.preallocation} "${prealloc.slice(0, 20)}": preallocation is not supported by virtkit yet; set false`,
    );
  const volumes = pod.spec?.volumes ?? [];
  const v = volumes.find((x) => x.name === DATA_VOLUME_NAME);
  const claim = v?.persistentVolumeClaim?.claimName;
  if (!v)
    say(
      `volume ${DATA_VOLUME_NAME} is missing; mount the claim to fill as a persistentVolumeClaim volume named ${DATA_VOLUME_NAME}`,
    );
  else if (!claim || claim.length > 253 || !DNS_SUBDOMAIN.test(claim))
    say(
      `volume ${DATA_VOLUME_NAME} must be a persistentVolumeClaim with a valid claimName (got ${JSON.stringify(claim ?? null)})`,
    );
  // A Block claim is the container's device at CDI's /dev/cdi-block-volume.
  const block = deviceVolumes(container, [DATA_VOLUME_NAME], say).has(DATA_VOLUME_NAME);
  if (problems.length) throw new ImportPlanError(`${namespace}/${name}`, problems);
  return {
    namespace,
    name,
    uid: pod.metadata?.uid ?? '',
    source: UPLOAD_SOURCE,
    requestedBytes: Math.floor(size!),
    ...(overhead !== undefined ? { filesystemOverhead: overhead } : {}),
    insecureTls: false,
    targetClaim: claim!,
    ...(block ? { targetBlock: true as const } : {}),
    literalEnv: {},
    secretEnv: [],
  };
}
