/**
 * A clone source pod read as a plan (pure): the pod CDI's host-assisted clone puts in the source
 * claim's namespace (api/cdi/clone-source-pod.ts), recognised by `cdi.kubevirt.io:
 * cdi-clone-source`, its one container `cdi-clone-source`, its claim the `cdi-data-vol` volume
 * (read-only; mounted at CDI's `/var/run/cdi/clone/source`, or a Block claim's volumeDevice at
 * `/dev/cdi-block-volume`), its target the claim named by VIRTKIT_CLONE_TARGET_NAMESPACE and
 * VIRTKIT_CLONE_TARGET_CLAIM. Nothing of the container is run: the runner starts its own
 * `virtkit cloner`, once it has checked that the target claim asked for this clone. Every
 * problem is gathered into one refusal naming the pod, the field and the fix.
 */
import {
  CLONE_SOURCE_COMPONENT,
  CLONE_SOURCE_CONTAINER,
  CLONE_SOURCE_DEVICE_PATH,
  CLONE_SOURCE_MOUNT_PATH,
  CloneSourceEnv,
} from '../../api/cdi/clone-source-pod';
import { CDI_COMPONENT_LABEL, DATA_VOLUME_NAME } from '../../api/cdi/worker-pod';
import {
  CLONE_SOURCE,
  ImportPlanError,
  isWorkerPod,
  literalEnvOf,
  soleContainer,
  type ImportPlan,
  type WorkerPodJson,
} from './import-plan';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KNOWN_ENV: readonly string[] = Object.values(CloneSourceEnv);

export function isCloneSourcePod(pod: WorkerPodJson): boolean {
  return isWorkerPod(pod) && pod.metadata?.labels?.[CDI_COMPONENT_LABEL] === CLONE_SOURCE_COMPONENT;
}

/** The plan of a clone source pod; throws ImportPlanError with every problem found. */
export function parseCloneSourcePlan(pod: WorkerPodJson): ImportPlan {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const problems: string[] = [];
  const say = (m: string): void => void problems.push(m);
  const container = soleContainer(pod, CLONE_SOURCE_CONTAINER, 'clone source pod');
  const env = literalEnvOf(container, KNOWN_ENV, say);
  const targetNamespace = env.get(CloneSourceEnv.targetNamespace) ?? '';
  const targetClaim = env.get(CloneSourceEnv.targetClaim) ?? '';
  if (!NAMESPACE.test(targetNamespace) || targetNamespace.length > 63)
    say(
      `env ${CloneSourceEnv.targetNamespace} ${JSON.stringify(targetNamespace.slice(0, 100))} is not a namespace; give the clone target's namespace`,
    );
  if (!NAME.test(targetClaim) || targetClaim.length > 253)
    say(
      `env ${CloneSourceEnv.targetClaim} ${JSON.stringify(targetClaim.slice(0, 100))} is not a PersistentVolumeClaim name; give the clone target's claim`,
    );
  const volume = (pod.spec?.volumes ?? []).find((v) => v.name === DATA_VOLUME_NAME);
  const claim = volume?.persistentVolumeClaim?.claimName;
  if (!volume)
    say(
      `volume ${DATA_VOLUME_NAME} is missing; the source claim must be a persistentVolumeClaim volume of that name`,
    );
  else if (!claim || claim.length > 253 || !NAME.test(claim))
    say(
      `volume ${DATA_VOLUME_NAME} must be a persistentVolumeClaim with a valid claimName (got ${JSON.stringify(claim ?? null)})`,
    );
  else if (volume.persistentVolumeClaim?.readOnly !== true)
    say(
      `volume ${DATA_VOLUME_NAME}: the source claim must be read-only (persistentVolumeClaim.readOnly: true)`,
    );
  const mounts = (container.volumeMounts ?? []).filter((m) => m.name === DATA_VOLUME_NAME);
  const devices = (container.volumeDevices ?? []).filter((d) => d.name === DATA_VOLUME_NAME);
  const block = devices.length > 0;
  if (mounts.length + devices.length !== 1)
    say(
      `the container must take volume ${DATA_VOLUME_NAME} exactly once: mounted at ${CLONE_SOURCE_MOUNT_PATH} (read-only), or as a volumeDevice at ${CLONE_SOURCE_DEVICE_PATH}`,
    );
  else if (block && devices[0].devicePath !== CLONE_SOURCE_DEVICE_PATH)
    say(`volumeDevices ${DATA_VOLUME_NAME}: devicePath must be ${CLONE_SOURCE_DEVICE_PATH}`);
  else if (!block && mounts[0].mountPath !== CLONE_SOURCE_MOUNT_PATH)
    say(`volumeMounts ${DATA_VOLUME_NAME}: mountPath must be ${CLONE_SOURCE_MOUNT_PATH}`);
  if (problems.length) throw new ImportPlanError(`${namespace}/${name}`, problems);
  return {
    namespace,
    name,
    uid: pod.metadata?.uid ?? '',
    source: CLONE_SOURCE,
    requestedBytes: 0,
    insecureTls: false,
    targetClaim: claim!,
    ...(block ? { targetBlock: true as const } : {}),
    literalEnv: {},
    secretEnv: [],
    cloneTarget: { namespace: targetNamespace, claim: targetClaim },
  };
}
