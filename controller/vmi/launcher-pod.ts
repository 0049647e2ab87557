/**
 * The launcher pod of a VMI (virt-launcher's role), rendered from the VMI alone. Pure.
 *
 * Contract with the node handler (docs/controller.md): container `compute` runs
 * `virtkit launcher --vmi /var/run/virtkit/vmi/vmi.json --workdir /var/run/kubevirt-private`;
 * the VMI (metadata + spec, as JSON) is in the pod annotation `virtkit.io/vmi` and reaches the
 * container as that file through a downwardAPI volume (and as env VIRTKIT_VMI_JSON through a
 * fieldRef), so both kubelet and the handler's local pod runtime can provide it.
 */
import { launcherProbes } from './launcher-probes';
import { multusAnnotations } from '../../api/multus/pod-interfaces';
import { createHash } from 'crypto';
import type { VirtualMachineInstance, Volume } from '../../api/kubevirt/v1';
import { parseQuantity } from '../../api/quantity';
import { guestMemoryBytes, topology } from '../../api/sizing';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../api/kubevirt/v1/defaults';
import { MIGRATION_JOB_UID_LABEL } from '../../api/kubevirt/v1/migration-labels';
import {
  DISKS_DIR,
  KVM_RESOURCE,
  LAUNCHER_UNPRIVILEGED_PORT_START,
  PRIVATE_VOLUME,
  SOCKETS_DIR,
  SOCKETS_VOLUME,
  TUN_RESOURCE,
  UNPAUSED_POD_CONDITION,
  UNPRIVILEGED_PORT_SYSCTL,
  WORK_DIR,
} from '../../api/kubevirt/v1/launcher-pod-layout';

export const LAUNCHER_LABEL = 'kubevirt.io';
export const LAUNCHER_LABEL_VALUE = 'virt-launcher';
export const CREATED_BY_LABEL = 'kubevirt.io/created-by';
export const VM_NAME_LABEL = 'vm.kubevirt.io/name';
export const DOMAIN_LABEL = 'kubevirt.io/domain';
export const NODE_NAME_LABEL = 'kubevirt.io/nodeName';
export const VMI_ANNOTATION = 'virtkit.io/vmi';
export const SCHEDULABLE_LABEL = 'kubevirt.io/schedulable';
export const VMI_FILE = '/var/run/virtkit/vmi/vmi.json';
export {
  DISKS_DIR,
  KVM_RESOURCE,
  PRIVATE_VOLUME,
  SOCKETS_DIR,
  SOCKETS_VOLUME,
  TUN_RESOURCE,
  WORK_DIR,
} from '../../api/kubevirt/v1/launcher-pod-layout';
export const DEFAULT_LAUNCHER_IMAGE = 'virtkit/launcher:latest';
/** The margin KubeVirt adds to the guest's grace period at each layer (launcher, pod). */
export const GRACE_MARGIN_SECONDS = 15;

export interface PodSketch {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: {
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller: boolean;
      blockOwnerDeletion: boolean;
    }[];
  };
  spec: Record<string, unknown>;
}

/** Kubernetes' generateName alphabet (no vowels, no look-alikes). */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Five characters derived from the VMI UID: looks like generateName's random suffix, but a
 * second create for the same VMI (a restarted controller, a stale cache) hits AlreadyExists
 * instead of making a duplicate pod.
 */
export function podSuffix(vmiUid: string): string {
  const h = createHash('sha256').update(vmiUid).digest();
  let s = '';
  for (let i = 0; i < 5; i++) s += ALPHABET[h[i] % ALPHABET.length];
  return s;
}

/**
 * The VMI's annotations the launcher pod carries, as KubeVirt copies them (all but kubectl's and
 * KubeVirt's observed-API-version bookkeeping): this is how a VM template's annotations for the
 * network (Kube-OVN's ovn.kubernetes.io/ip_address, logical_switch...) reach the pod.
 */
export function vmiAnnotationsForPod(
  vmiAnnotations: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(vmiAnnotations))
    if (
      !k.startsWith('kubectl.kubernetes.io') &&
      !k.startsWith('kubevirt.io/storage-observed-api-version') &&
      !k.startsWith('kubevirt.io/latest-observed-api-version')
    )
      out[k] = v;
  return out;
}

export function launcherPodName(vmi: VirtualMachineInstance): string {
  // Pod names are at most 253 characters; "virt-launcher-" + name + "-xxxxx".
  const base = `virt-launcher-${vmi.metadata?.name ?? ''}`.slice(0, 253 - 6);
  return `${base}-${podSuffix(vmi.metadata?.uid ?? '')}`;
}

/** The vCPU count the guest gets (sockets * cores * threads). */
export function vcpus(vmi: VirtualMachineInstance): number {
  const t = topology(vmi.spec);
  return t.sockets * t.cores * t.threads;
}

function cpuQuantity(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/**
 * Pod resources: memory = guest RAM (request, and limit when the VMI sets one) + the launcher
 * overhead; cpu from the VMI's requests/limits, else one tenth of a core per vCPU (KubeVirt's
 * default CPU allocation ratio of 10); one `devices.kubevirt.io/tun`; and, unless the cluster
 * allows software emulation (the KubeVirt object's `developerConfiguration.useEmulation`), one
 * `devices.kubevirt.io/kvm`, so the pod lands only where the handler's device plugin offers
 * /dev/kvm and gets it in its container, as KubeVirt's launcher pods do.
 */
export function launcherResources(
  vmi: VirtualMachineInstance,
  overheadBytes: number,
  useEmulation: boolean,
): { requests: Record<string, string>; limits?: Record<string, string> } {
  const res = vmi.spec.domain.resources ?? {};
  const guest = guestMemoryBytes(vmi.spec) ?? 0;
  const requests: Record<string, string> = { memory: String(guest + overheadBytes) };
  const limits: Record<string, string> = {};
  const memLimit = parseQuantity(res.limits?.memory);
  if (memLimit !== undefined) limits.memory = String(Math.max(memLimit, guest) + overheadBytes);
  const cpuReq = parseQuantity(res.requests?.cpu);
  const cpuLim = parseQuantity(res.limits?.cpu);
  if (cpuReq !== undefined) requests.cpu = cpuQuantity(Math.round(cpuReq * 1000));
  else if (cpuLim !== undefined) requests.cpu = cpuQuantity(Math.round(cpuLim * 1000));
  else requests.cpu = cpuQuantity(100 * vcpus(vmi));
  if (cpuLim !== undefined) limits.cpu = cpuQuantity(Math.round(cpuLim * 1000));
  // QEMU opens /dev/net/tun for its tap devices (KubeVirt's launcher pods ask for it too).
  requests[TUN_RESOURCE] = '1';
  limits[TUN_RESOURCE] = '1';
  if (!useEmulation) {
    requests[KVM_RESOURCE] = '1';
    limits[KVM_RESOURCE] = '1';
  }
  if (vmi.spec.domain.cpu?.dedicatedCpuPlacement) {
    // Dedicated CPUs need the Guaranteed QoS class: whole cores, requests = limits.
    requests.cpu = String(vcpus(vmi));
    limits.cpu = requests.cpu;
    limits.memory = requests.memory;
  }
  return Object.keys(limits).length ? { requests, limits } : { requests };
}

interface PodVolume {
  name: string;
  [source: string]: unknown;
}

/** Pod volumes for the VMI's volumes, and where the compute container mounts them. */
export function launcherVolumes(vmi: VirtualMachineInstance): {
  volumes: PodVolume[];
  mounts: { name: string; mountPath: string; readOnly?: boolean }[];
} {
  const volumes: PodVolume[] = [];
  const mounts: { name: string; mountPath: string; readOnly?: boolean }[] = [];
  const mount = (v: Volume, source: Record<string, unknown>, readOnly?: boolean): void => {
    volumes.push({ name: v.name, ...source });
    mounts.push({ name: v.name, mountPath: `${DISKS_DIR}/${v.name}`, ...(readOnly ? { readOnly } : {}) });
  };
  for (const v of vmi.spec.volumes ?? []) {
    if (v.persistentVolumeClaim)
      mount(v, {
        persistentVolumeClaim: {
          claimName: v.persistentVolumeClaim.claimName,
          ...(v.persistentVolumeClaim.readOnly ? { readOnly: true } : {}),
        },
      });
    else if (v.dataVolume) mount(v, { persistentVolumeClaim: { claimName: v.dataVolume.name } });
    else if (v.ephemeral?.persistentVolumeClaim)
      mount(v, {
        persistentVolumeClaim: { claimName: v.ephemeral.persistentVolumeClaim.claimName, readOnly: true },
      });
    else if (v.configMap)
      mount(
        v,
        {
          configMap: {
            name: v.configMap.name,
            ...(v.configMap.optional !== undefined ? { optional: v.configMap.optional } : {}),
          },
        },
        true,
      );
    else if (v.secret)
      mount(
        v,
        {
          secret: {
            secretName: v.secret.secretName,
            ...(v.secret.optional !== undefined ? { optional: v.secret.optional } : {}),
          },
        },
        true,
      );
    else if (v.hostDisk) {
      const dir = v.hostDisk.path.replace(/\/[^/]*$/, '') || '/';
      mount(v, {
        hostPath: { path: dir, type: v.hostDisk.type === 'DiskOrCreate' ? 'DirectoryOrCreate' : 'Directory' },
      });
    } else if (v.emptyDisk || v.containerDisk) mount(v, { emptyDir: {} });
    // cloudInit*, sysprep sources come from the VMI itself (or Secrets read by the handler);
    // downwardAPI, serviceAccount and downwardMetrics are generated by the launcher.
  }
  return { volumes, mounts };
}

export interface LauncherPodOptions {
  readonly overheadBytes: number;
  readonly image?: string;
  /** The cluster allows software emulation (KubeVirt's useEmulation): no kvm device is asked for. */
  readonly useEmulation: boolean;
}

/** The VMI as the launcher needs it: identity and spec, not status. */
export function vmiForLauncher(vmi: VirtualMachineInstance): string {
  const m = vmi.metadata ?? {};
  return JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      labels: m.labels,
      annotations: m.annotations,
    },
    spec: vmi.spec,
  });
}

export function renderLauncherPod(vmi: VirtualMachineInstance, opts: LauncherPodOptions): PodSketch {
  const name = vmi.metadata?.name ?? '';
  const uid = vmi.metadata?.uid ?? '';
  const spec = vmi.spec;
  const grace =
    (spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS) + GRACE_MARGIN_SECONDS;
  const { volumes, mounts } = launcherVolumes(vmi);
  const labels: Record<string, string> = {
    ...(vmi.metadata?.labels ?? {}),
    [LAUNCHER_LABEL]: LAUNCHER_LABEL_VALUE,
    [CREATED_BY_LABEL]: uid,
    [VM_NAME_LABEL]: name,
    [DOMAIN_LABEL]: name,
  };
  delete labels[NODE_NAME_LABEL];
  const annotations: Record<string, string> = {
    ...vmiAnnotationsForPod(vmi.metadata?.annotations),
    'kubectl.kubernetes.io/default-container': 'compute',
    [DOMAIN_LABEL]: name,
    [VMI_ANNOTATION]: vmiForLauncher(vmi),
  };
  const generation = vmi.metadata?.annotations?.['kubevirt.io/vm-generation'];
  if (generation) annotations['kubevirt.io/vm-generation'] = generation;
  // Multus networks: the attachments the node's CNI (Multus, or virtkit's handler) makes.
  const macs = new Map(
    (spec.domain.devices.interfaces ?? []).flatMap((i) =>
      i.macAddress ? [[i.name, i.macAddress.replace(/-/g, ':').toLowerCase()] as const] : [],
    ),
  );
  Object.assign(
    annotations,
    multusAnnotations(spec.networks ?? [], vmi.metadata?.namespace ?? 'default', macs),
  );

  const podSpec: Record<string, unknown> = {
    restartPolicy: 'Never',
    // KubeVirt's gate: the VMI controller sets it False while the guest is paused.
    readinessGates: [{ conditionType: UNPAUSED_POD_CONDITION }],
    terminationGracePeriodSeconds: grace + GRACE_MARGIN_SECONDS,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    hostname: spec.hostname ?? name,
    nodeSelector: { ...(spec.nodeSelector ?? {}), [SCHEDULABLE_LABEL]: 'true' },
    // The launcher (not root) serves its guests' DHCP on port 67 in the pod's own namespace
    // (a sysctl kubelet allows by default: it is per network namespace).
    securityContext: {
      sysctls: [{ name: UNPRIVILEGED_PORT_SYSCTL, value: String(LAUNCHER_UNPRIVILEGED_PORT_START) }],
    },
    containers: [
      {
        name: 'compute',
        image: opts.image ?? DEFAULT_LAUNCHER_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        command: ['virtkit', 'launcher'],
        args: ['--vmi', VMI_FILE, '--workdir', WORK_DIR, '--handler-dir', SOCKETS_DIR],
        env: [
          {
            name: 'VIRTKIT_VMI_JSON',
            valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${VMI_ANNOTATION}']` } },
          },
          { name: 'VIRTKIT_GRACE_PERIOD_SECONDS', value: String(grace) },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
        resources: launcherResources(vmi, opts.overheadBytes, opts.useEmulation),
        // kubelet runs the VMI's probes against the pod (./launcher-probes.ts).
        ...launcherProbes(spec),
        volumeMounts: [
          { name: PRIVATE_VOLUME, mountPath: WORK_DIR },
          { name: SOCKETS_VOLUME, mountPath: SOCKETS_DIR },
          { name: 'vmi', mountPath: '/var/run/virtkit/vmi', readOnly: true },
          ...mounts,
        ],
      },
    ],
    volumes: [
      { name: PRIVATE_VOLUME, emptyDir: {} },
      { name: SOCKETS_VOLUME, emptyDir: {} },
      {
        name: 'vmi',
        downwardAPI: {
          items: [{ path: 'vmi.json', fieldRef: { fieldPath: `metadata.annotations['${VMI_ANNOTATION}']` } }],
        },
      },
      ...volumes,
    ],
  };
  if (spec.affinity) podSpec.affinity = spec.affinity;
  if (spec.tolerations) podSpec.tolerations = spec.tolerations;
  if (spec.topologySpreadConstraints) podSpec.topologySpreadConstraints = spec.topologySpreadConstraints;
  if (spec.schedulerName) podSpec.schedulerName = spec.schedulerName;
  if (spec.priorityClassName) podSpec.priorityClassName = spec.priorityClassName;
  if (spec.subdomain) podSpec.subdomain = spec.subdomain;
  if (spec.dnsPolicy) podSpec.dnsPolicy = spec.dnsPolicy;
  if (spec.dnsConfig) podSpec.dnsConfig = spec.dnsConfig;
  if (spec.serviceAccountName) podSpec.serviceAccountName = spec.serviceAccountName;

  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: launcherPodName(vmi),
      namespace: vmi.metadata?.namespace,
      labels,
      annotations,
      ownerReferences: [
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstance',
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: podSpec,
  };
}

/** On a migration's target pod: the name of the VirtualMachineInstanceMigration it was made for. */
export const MIGRATION_JOB_NAME_ANNOTATION = 'kubevirt.io/migrationJobName';
/** The node label the target pod's anti-affinity spreads over: one node is one topology domain. */
export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';

/** What the target pod takes from the VirtualMachineInstanceMigration. */
export interface MigrationJobRef {
  readonly metadata?: { readonly name?: string; readonly uid?: string };
  readonly spec?: { readonly addedNodeSelector?: Readonly<Record<string, string>> };
}

/**
 * `virt-launcher-<vmi>-<5 chars>` with the suffix derived from the migration's UID: another name
 * than the VMI's first pod, and a second create for the same migration hits AlreadyExists.
 */
export function migrationTargetPodName(vmi: VirtualMachineInstance, migrationUid: string): string {
  const base = `virt-launcher-${vmi.metadata?.name ?? ''}`.slice(0, 253 - 6);
  return `${base}-${podSuffix(migrationUid)}`;
}

/**
 * The target pod of a live migration (KubeVirt's migration manifest): the VMI's launcher pod, so
 * the same launcher, resources and volumes start on the target node, plus
 *
 * - label `kubevirt.io/migrationJobUID` (the migration's UID) and annotation
 *   `kubevirt.io/migrationJobName`: which migration the pod serves (the handler starts its
 *   launcher as a migration target, the VMI controller does not take it for the VMI's pod);
 * - a required pod anti-affinity to the VMI's pods (`kubevirt.io/created-by`) per
 *   `kubernetes.io/hostname`: the scheduler never puts it on the node the VMI runs on;
 * - the migration's `spec.addedNodeSelector` in the node selector; it narrows the VMI's
 *   placement, never overrides it (on a key both name, the VMI's value stays).
 *
 * The Kube-OVN address annotations are added by the caller, as for the first pod. Pure.
 */
export function renderMigrationTargetPod(
  vmi: VirtualMachineInstance,
  migration: MigrationJobRef,
  opts: LauncherPodOptions,
): PodSketch {
  const pod = renderLauncherPod(vmi, opts);
  const uid = migration.metadata?.uid ?? '';
  pod.metadata.name = migrationTargetPodName(vmi, uid);
  pod.metadata.labels[MIGRATION_JOB_UID_LABEL] = uid;
  pod.metadata.annotations[MIGRATION_JOB_NAME_ANNOTATION] = migration.metadata?.name ?? '';
  const spec = pod.spec as {
    nodeSelector?: Record<string, string>;
    affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: unknown[] } };
  };
  spec.nodeSelector = { ...(migration.spec?.addedNodeSelector ?? {}), ...(spec.nodeSelector ?? {}) };
  const affinity = structuredClone(spec.affinity ?? {});
  const anti = (affinity.podAntiAffinity ??= {});
  anti.requiredDuringSchedulingIgnoredDuringExecution = [
    ...(anti.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    {
      labelSelector: { matchLabels: { [CREATED_BY_LABEL]: vmi.metadata?.uid ?? '' } },
      topologyKey: HOSTNAME_TOPOLOGY_KEY,
    },
  ];
  spec.affinity = affinity;
  return pod;
}
