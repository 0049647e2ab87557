/**
 * Everything a launcher pod needs before its process starts: its VMI (named by the pod's
 * kubevirt.io/domain annotation, checked against the created-by uid), the LaunchResources, and
 * the files the launcher reads.
 */
import * as fs from 'fs';
import { resolveLaunchResources } from '../volumes/resolve';
import type { VolumeSource } from '../volumes/plan';
import type { PodDir } from './pod-dir';
import { podKey, vmiOfPod, type PodJson } from './pod-types';
import { isNotFound, VIRTUAL_MACHINE_INSTANCES, type KubeClient } from '../../kube';

/** The pod cannot start yet (or ever); `reason` becomes the container's waiting reason. */
export class PodPrepareError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'PodPrepareError';
  }
}

export interface VmiJson {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    annotations?: Record<string, string>;
  };
  spec?: { volumes?: VolumeSource[]; terminationGracePeriodSeconds?: number };
  status?: Record<string, unknown>;
}

export async function preparePod(client: KubeClient, pod: PodJson, dir: PodDir): Promise<{ vmi: VmiJson }> {
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
  dir.create();
  let resources;
  try {
    resources = await resolveLaunchResources(client, ref.namespace, vmi.spec?.volumes, dir.dir);
  } catch (e) {
    const reason = (e as { reason?: unknown }).reason;
    if (typeof reason === 'string')
      throw new PodPrepareError(
        reason,
        `VirtualMachineInstance ${ref.namespace}/${ref.name}: ${(e as Error).message}`,
      );
    throw e;
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
  fs.writeFileSync(dir.resourcesFile, JSON.stringify(resources, null, 2), { mode: 0o600 });
  return { vmi };
}
