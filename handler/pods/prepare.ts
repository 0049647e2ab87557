/**
 * Everything a launcher pod needs before its process starts: its VMI (named by the pod's
 * kubevirt.io/domain annotation, checked against the created-by uid), judged by the spec guard
 * (api/ validation and feature gates) before anything on this node is touched, the
 * LaunchResources, and the files the launcher reads.
 */
import { isMigrationTargetPod } from '../../api/kubevirt/v1/migration-labels';
import * as fs from 'fs';
import type { LaunchResources } from '../../launcher/session';
import { DEFAULT_IFNAME } from '../network/cni';
import { resolveLaunchResources } from '../volumes/resolve';
import type { SpecGuard } from '../vmi/spec-guard';
import type { VmiJson } from '../vmi/vmi-json';
import type { PodDir } from './pod-dir';
import { podKey, vmiOfPod, type PodJson } from './pod-types';
import { isNotFound, VIRTUAL_MACHINE_INSTANCES, type EventRecorder, type KubeClient } from '../../kube';
import type { ImagePuller } from '../images/puller';

/** Registry images for container disks: the node's cache, and where pull failures are reported. */
export interface PodImages {
  readonly puller: ImagePuller;
  /** A failed pull is a Warning Event on the VMI (reason ErrImagePull / ImagePullBackOff). */
  readonly recorder?: EventRecorder;
}

const IMAGE_PULL_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrImageNeverPull',
  'InvalidImageName',
]);

/** The pod cannot start yet (or ever); `reason` becomes the container's waiting reason. */
export class PodPrepareError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    /** When to look again (ms); the work queue's back-off when unset. */
    readonly retryMs?: number,
  ) {
    super(message);
    this.name = 'PodPrepareError';
  }
}

/** The container's waiting reason while its VMI is refused (as the VMI's condition says). */
export const INVALID_SPEC_WAITING_REASON = 'InvalidSpec';
/**
 * A refused VMI is looked at again after this long (and at once when the feature gates
 * change): a spec fixed without admission has no pod event to wake the pod up.
 */
export const REFUSED_RETRY_MS = 30_000;

/** What the launcher reads with --resources: the volumes resolved here, and the cluster's gates. */
export type HandlerLaunchResources = LaunchResources & { readonly featureGates: readonly string[] };

/**
 * The VMI of a launcher pod (named by its kubevirt.io/domain annotation, checked against the
 * created-by uid), judged by the spec guard: a refusal is the pod's waiting reason. Both pod
 * runtimes start here (local mode's below, cluster mode's in ../kubelet/launcher-pods.ts).
 */
export async function checkedVmiOfPod(
  client: KubeClient,
  pod: PodJson,
  guard: SpecGuard,
): Promise<{ vmi: VmiJson; ref: { namespace: string; name: string }; featureGates: readonly string[] }> {
  const ref = vmiOfPod(pod);
  if (!ref) {
    throw new PodPrepareError(
      'CreateContainerConfigError',
      `pod ${podKey(pod)} has no kubevirt.io/domain annotation naming its VirtualMachineInstance`,
    );
  }
  let vmi: VmiJson;
  try {
    vmi = await client.get<VmiJson>(VIRTUAL_MACHINE_INSTANCES, ref.namespace, ref.name);
  } catch (e) {
    if (isNotFound(e))
      throw new PodPrepareError(
        'CreateContainerConfigError',
        `VirtualMachineInstance ${ref.namespace}/${ref.name} of pod ${podKey(pod)} does not exist`,
      );
    throw e;
  }
  if (ref.uid && vmi.metadata?.uid !== ref.uid) {
    throw new PodPrepareError(
      'CreateContainerConfigError',
      `pod ${podKey(pod)} was made for VirtualMachineInstance uid ${ref.uid}, but ${ref.namespace}/${ref.name} now has uid ${vmi.metadata?.uid}`,
    );
  }
  // Nothing on this node is touched for a VMI the handler may not act on.
  const check = await guard.check(vmi);
  if (!check.act)
    throw new PodPrepareError(
      INVALID_SPEC_WAITING_REASON,
      `VirtualMachineInstance ${ref.namespace}/${ref.name} is refused: ${check.problems.join('; ')}`,
      REFUSED_RETRY_MS,
    );
  return { vmi, ref, featureGates: check.featureGates };
}

/** The volume resolution's failure as the pod's waiting reason (an image pull's also as an Event). */
export async function asPodPrepareError(
  e: unknown,
  vmi: VmiJson,
  ref: { namespace: string; name: string },
  images?: PodImages,
): Promise<never> {
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === 'string') {
    const retryMs = (e as { retryMs?: unknown }).retryMs;
    if (IMAGE_PULL_REASONS.has(reason))
      await images?.recorder?.record(
        { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: vmi.metadata },
        { type: 'Warning', reason, message: (e as Error).message },
      );
    throw new PodPrepareError(
      reason,
      `VirtualMachineInstance ${ref.namespace}/${ref.name}: ${(e as Error).message}`,
      typeof retryMs === 'number' ? retryMs : undefined,
    );
  }
  throw e;
}

export async function preparePod(
  client: KubeClient,
  pod: PodJson,
  dir: PodDir,
  guard: SpecGuard,
  images?: PodImages,
): Promise<{ vmi: VmiJson }> {
  const { vmi, ref, featureGates } = await checkedVmiOfPod(client, pod, guard);
  dir.create();
  let resolved: LaunchResources;
  try {
    resolved = await resolveLaunchResources(
      client,
      ref.namespace,
      vmi.spec?.volumes,
      dir.dir,
      images?.puller,
      vmi.spec?.domain?.firmware?.kernelBoot?.container,
    );
  } catch (e) {
    return asPodPrepareError(e, vmi, ref, images);
  }
  fs.writeFileSync(
    dir.vmiFile,
    JSON.stringify(
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: vmi.metadata,
        spec: vmi.spec,
      },
      null,
      2,
    ),
  );
  // The gates as the check saw them: the launcher enforces them too (it trusts nothing either).
  // The launcher runs in the pod's network namespace, whose eth0 the CNI plugins configure
  // (./runtime.ts): it binds the guest's pod network to it.
  const resources: HandlerLaunchResources = {
    ...resolved,
    featureGates,
    podInterfaceName: DEFAULT_IFNAME,
    // A migration's target pod: QEMU starts waiting for the incoming guest (handler/vmi/migration-plan.ts).
    ...(isMigrationTargetPod(pod.metadata?.labels) ? { migrationTarget: true } : {}),
  };
  fs.writeFileSync(dir.resourcesFile, JSON.stringify(resources, null, 2), { mode: 0o600 });
  return { vmi };
}
