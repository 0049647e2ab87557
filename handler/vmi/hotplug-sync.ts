/**
 * The I/O of volume hotplug on the node (the decisions are ./hotplug.ts): reads each
 * hotpluggable volume's claim and attachment pod, makes a bound claim's disk ready on this node
 * (its disk.img, created sparse at the claim's size when missing, as for boot-time claims), asks
 * the launcher to attach it, asks it to detach disks that left the spec, and returns the
 * VMI's `status.volumeStatus`.
 */
import * as path from 'path';
import { HOTPLUG_POD_LABEL_VALUE } from '../../api/cdi/worker-pod';
import { confinedRealPath } from '../../common/confine';
import { errorMessage, PODS, PVCS, PVS, type KubeClient } from '../../kube';
import { LauncherApiError, type LauncherClient } from '../../launcher/api/client';
import type { HotplugDisksBody } from '../../launcher/api/protocol';
import { claimDisk, type ClaimJson, type PvJson } from '../volumes/plan';
import { ensureSparseDisk } from '../volumes/resolve';
import {
  hotplugUnsettled,
  hotplugVolumes,
  planHotplug,
  volumeStatuses,
  type HotplugObservation,
  type HotplugSpec,
  type HotplugVolume,
  type VolumeStatusEntry,
} from './hotplug';

interface PodJson {
  metadata?: { name?: string; uid?: string; deletionTimestamp?: string };
  spec?: { volumes?: { name?: string; persistentVolumeClaim?: { claimName?: string } }[] };
  status?: { phase?: string };
}

export interface HotplugResult {
  /** undefined when the launcher does not serve hotplug (an older launcher): leave the field alone. */
  readonly volumeStatus?: VolumeStatusEntry[];
  /** Look again soon: something is still on its way. */
  readonly again: boolean;
}

/** The disk of a bound claim on this node, confined to its volume's directory. */
async function claimDiskPath(
  client: KubeClient,
  namespace: string,
  v: HotplugVolume,
  claim: ClaimJson,
): Promise<string> {
  const pv = claim.spec?.volumeName
    ? await client.getIfExists<PvJson>(PVS, undefined, claim.spec.volumeName)
    : undefined;
  const disk = claimDisk(v.name, claim, pv);
  if (disk.block) return disk.path;
  // disk.img must stay inside the volume's directory (a symbolic link must not lead out).
  const file = confinedRealPath(
    path.dirname(disk.path),
    path.basename(disk.path),
    `PersistentVolumeClaim ${namespace}/${v.claimName}`,
  );
  ensureSparseDisk(file, disk.sizeBytes, v.name);
  return file;
}

export async function syncHotplug(
  client: KubeClient,
  launcher: LauncherClient,
  vmi: { metadata?: { namespace?: string }; spec?: HotplugSpec },
): Promise<HotplugResult> {
  const namespace = vmi.metadata?.namespace ?? '';
  let disks: HotplugDisksBody;
  try {
    disks = await launcher.hotplugDisks();
  } catch (e) {
    if (e instanceof LauncherApiError && e.statusCode === 404) return { again: false };
    throw e;
  }
  const hot = hotplugVolumes(vmi.spec);
  const plan = planHotplug(vmi.spec, disks);
  const observed = new Map<string, HotplugObservation>();
  let changed = false;

  if (hot.length) {
    const pods = (
      await client.list<PodJson>(PODS, namespace, { labelSelector: `kubevirt.io=${HOTPLUG_POD_LABEL_VALUE}` })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);
    const attaching = new Set(plan.attach.map((v) => v.name));
    for (const v of hot) {
      const claim = await client.getIfExists<ClaimJson>(PVCS, namespace, v.claimName);
      const pod = pods.find((p) =>
        (p.spec?.volumes ?? []).some((pv) => pv.persistentVolumeClaim?.claimName === v.claimName),
      );
      const seen: { -readonly [K in keyof HotplugObservation]: HotplugObservation[K] } = {
        ...(claim ? { claimPhase: claim.status?.phase ?? 'Pending' } : {}),
        ...(pod?.metadata?.name
          ? {
              attachPod: {
                name: pod.metadata.name,
                ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
                running: pod.status?.phase === 'Running',
              },
            }
          : {}),
      };
      if (claim && attaching.has(v.name) && claim.status?.phase === 'Bound' && claim.spec?.volumeName) {
        try {
          const file = await claimDiskPath(client, namespace, v, claim);
          seen.mounted = true;
          await launcher.attachDisk({
            name: v.name,
            path: file,
            readOnly: v.readOnly,
            ...(v.serial !== undefined ? { serial: v.serial } : {}),
            ...(v.cache !== undefined ? { cache: v.cache } : {}),
          });
          changed = true;
        } catch (e) {
          seen.error = errorMessage(e);
          seen.mounted = seen.mounted ?? false;
        }
      }
      observed.set(v.name, seen);
    }
  }

  const detachErrors = new Map<string, string>();
  for (const name of plan.detach) {
    try {
      await launcher.detachDisk(name);
      changed = true;
    } catch (e) {
      detachErrors.set(name, errorMessage(e));
    }
  }
  if (changed) disks = await launcher.hotplugDisks();
  const volumeStatus = volumeStatuses(vmi.spec, disks, observed, detachErrors);
  return { volumeStatus, again: hotplugUnsettled(volumeStatus) };
}
