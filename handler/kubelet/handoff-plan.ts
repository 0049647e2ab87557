/**
 * What the handler hands a launcher container kubelet started (pure): where the pod's shared
 * folders are on this node, which parts of a VMI cluster mode runs today, and the launcher's
 * resources with the paths it sees inside its container (launcher/handoff.ts is the other side).
 *
 * In cluster mode kubelet mounts what Kubernetes mounts (configMap, secret and
 * persistentVolumeClaim volumes, at DISKS_DIR/<volume>); the handler readies each claim's
 * disk.img for the launcher (./claim-disks.ts), puts each containerDisk's base image into its
 * volume's emptyDir, resolves cloud-init Secrets and wires the pod network's bindings the launcher
 * plans (./pod-netns.ts); a dataVolume volume is the claim of the DataVolume's name, filled by
 * CDI's importer pod that kubelet runs. Ephemeral volumes, hostDisks, kernelBoot containers,
 * sysprep and Multus networks are refused here by name until their node-side work is built (issue 17):
 * a VMI that needs one stays Scheduled with a Warning Event, rather than running with a
 * stand-in.
 */
import * as path from 'path';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import { DISKS_DIR, PRIVATE_VOLUME, SOCKETS_VOLUME } from '../../api/kubevirt/v1/launcher-pod-layout';
import { QEMU_DIR } from '../../launcher/session';
import { effectiveInterfaces } from '../../launcher/plan/network';
import { handoffPaths } from '../../launcher/handoff';
import type { HandlerLaunchResources } from '../pods/prepare';
import type { LaunchResources } from '../../launcher/session';
import { DEFAULT_IFNAME } from '../network/cni';
import type { PodJson } from '../pods/pod-types';
import type { Readiness } from '../probes/prober';

/** kubelet's pod folders (the handler DaemonSet mounts them, HostToContainer). */
export const DEFAULT_KUBELET_PODS_DIR = '/var/lib/kubelet/pods';

/** A disk image in a containerDisk volume's emptyDir (KubeVirt's file name). */
export const CONTAINER_DISK_FILE = 'disk.img';

export interface KubeletPodFolders {
  /** The folder shared with the launcher (SOCKETS_VOLUME). */
  readonly socketDir: string;
  readonly waiting: string;
  readonly resourcesFile: string;
  readonly socket: string;
  /** The bindings the launcher asks the handler to wire, and the handler's answer. */
  readonly networkRequest: string;
  readonly networkDone: string;
  /** The handler's own mark that it began wiring (a later handler then clears leftovers first). */
  readonly networkStarted: string;
  /** The launcher's work folder (PRIVATE_VOLUME). */
  readonly privateDir: string;
  readonly qemuDir: string;
  readonly finalStatusFile: string;
  /** The emptyDir of a pod volume, as this node sees it. */
  emptyDir(volume: string): string;
}

/** A pod uid kubelet would have made a folder for (no path tricks). */
const POD_UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A volume name is a DNS label (the API validated it; checked again where it becomes a path). */
const VOLUME_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function kubeletPodFolders(podsDir: string, podUid: string): KubeletPodFolders {
  if (!POD_UID.test(podUid))
    throw new Error(
      `pod uid ${JSON.stringify(podUid)} is not a UUID; kubelet's pod folders are named by one`,
    );
  const emptyDirs = path.join(podsDir, podUid, 'volumes', 'kubernetes.io~empty-dir');
  const emptyDir = (volume: string): string => {
    if (!VOLUME_NAME.test(volume))
      throw new Error(`volume name ${JSON.stringify(volume)} is not a DNS label such as my-disk`);
    return path.join(emptyDirs, volume);
  };
  const socketDir = emptyDir(SOCKETS_VOLUME);
  const privateDir = emptyDir(PRIVATE_VOLUME);
  const h = handoffPaths(socketDir);
  return {
    socketDir,
    waiting: h.waiting,
    resourcesFile: h.resourcesFile,
    socket: h.socketPath,
    networkRequest: h.networkRequest,
    networkDone: h.networkDone,
    networkStarted: path.join(socketDir, 'network-started'),
    privateDir,
    qemuDir: path.join(privateDir, QEMU_DIR),
    finalStatusFile: path.join(privateDir, 'final-status.json'),
    emptyDir,
  };
}

/** Why this VMI cannot run in cluster mode yet, one line per field (empty: it can). */
export function clusterModeProblems(spec: VirtualMachineInstanceSpec): string[] {
  const problems: string[] = [];
  const later = 'is not run in cluster mode yet (virtkit issue 17); use local mode (virtkit up) for it';
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    const at = `spec.volumes[${i}] (${v.name})`;
    if (v.ephemeral) problems.push(`${at}: an ephemeral volume ${later}`);
    if (v.hostDisk) problems.push(`${at}: a hostDisk volume ${later}`);
    if (v.sysprep) problems.push(`${at}: a sysprep volume ${later}`);
  }
  if (spec.domain.firmware?.kernelBoot?.container)
    problems.push(`spec.domain.firmware.kernelBoot.container: a kernel boot container ${later}`);
  // The pod network is wired (./pod-netns.ts); Multus attachments need a node with Multus.
  const { networks } = effectiveInterfaces(spec);
  for (const [i, net] of networks.entries())
    if (net.multus)
      problems.push(`spec.networks[${i}] (${net.name}): a Multus network ${later}; use the pod network`);
  return problems;
}

/**
 * The VMI's claims: persistentVolumeClaim volumes and dataVolume volumes (whose claim has the
 * DataVolume's name); kubelet mounts them, ./claim-disks.ts readies them.
 */
export function claimVolumes(spec: VirtualMachineInstanceSpec): { volume: string; claimName: string }[] {
  return (spec.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim
      ? [{ volume: v.name, claimName: v.persistentVolumeClaim.claimName }]
      : v.dataVolume
        ? [{ volume: v.name, claimName: v.dataVolume.name }]
        : [],
  );
}

/** The files the handler copies into the pod: each containerDisk's base into its emptyDir. */
export interface ContainerDiskCopy {
  readonly volume: string;
  /** The base image as the handler has it (its image cache, or a local file). */
  readonly from: string;
  /** Where it goes on this node (the volume's emptyDir). */
  readonly to: string;
  /** The same file as the launcher sees it. */
  readonly inContainer: string;
}

export function containerDiskCopies(
  folders: KubeletPodFolders,
  containerDisks: Readonly<Record<string, string>>,
): ContainerDiskCopy[] {
  return Object.entries(containerDisks).map(([volume, from]) => ({
    volume,
    from,
    to: path.join(folders.emptyDir(volume), CONTAINER_DISK_FILE),
    inContainer: path.posix.join(DISKS_DIR, volume, CONTAINER_DISK_FILE),
  }));
}

/** The volumes the handler resolves itself in cluster mode (kubelet mounts the rest). */
export function handlerResolvedVolumes(
  spec: VirtualMachineInstanceSpec,
): VirtualMachineInstanceSpec['volumes'] {
  return (spec.volumes ?? []).filter((v) => v.containerDisk || v.cloudInitNoCloud || v.cloudInitConfigDrive);
}

/**
 * The launcher's resources with the paths of its container (pure): containerDisks in their
 * volumes, configMap and secret volumes where kubelet mounted them, cloud-init Secrets as
 * resolved, the gates the handler's check used.
 */
export function containerLaunchResources(
  spec: VirtualMachineInstanceSpec,
  resolved: LaunchResources,
  copies: readonly ContainerDiskCopy[],
  featureGates: readonly string[],
  migrationTarget: boolean,
  /** The claims' disks as the container sees them (./claim-disks.ts). */
  claims: Readonly<Record<string, { path: string; format: 'raw' }>> = {},
): HandlerLaunchResources {
  const volumeDirs = Object.fromEntries(
    (spec.volumes ?? [])
      .filter((v) => v.configMap || v.secret)
      .map((v) => [v.name, path.posix.join(DISKS_DIR, v.name)]),
  );
  return {
    // The CNI plugins made eth0 in the pod; the handler wires the bindings to it (./pod-netns.ts).
    podInterfaceName: DEFAULT_IFNAME,
    networkByHandler: true,
    ...(Object.keys(claims).length ? { volumes: { ...claims } } : {}),
    ...(copies.length
      ? { containerDisks: Object.fromEntries(copies.map((c) => [c.volume, c.inContainer])) }
      : {}),
    ...(Object.keys(volumeDirs).length ? { volumeDirs } : {}),
    ...(resolved.cloudInitSecrets ? { cloudInitSecrets: resolved.cloudInitSecrets } : {}),
    featureGates,
    ...(migrationTarget ? { migrationTarget: true } : {}),
  };
}

/** kubelet's verdict on a pod's readiness: its Ready condition (with kubelet's message when not). */
export function podReadiness(pod: PodJson): Readiness {
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  if (c?.status === 'True') return { ready: true };
  return {
    ready: false,
    ...(c?.reason ? { reason: c.reason } : {}),
    ...(c?.message ? { message: c.message } : {}),
  };
}
