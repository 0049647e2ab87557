/**
 * Pure: the Node object the handler registers for its host, its heartbeat status and the Lease
 * that keeps it alive. Everything comes from HostFacts, gathered elsewhere.
 */
import { KVM_RESOURCE, TUN_RESOURCE, VHOST_NET_RESOURCE } from '../../api/kubevirt/v1/launcher-pod-layout';
import { HANDLER_ENDPOINT_ANNOTATION } from '../../common/node-api';
import { KUBE_OVN_TUNNEL_ANNOTATION } from '../network/kubeovn/tunnel-plan';

export interface HostFacts {
  readonly nodeName: string;
  readonly hostname: string;
  /** The address pods and the node are reached at (the first non-loopback IPv4, else 127.0.0.1). */
  readonly ip: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  /** KVM works here (the launcher's probe said so). */
  readonly kvm: boolean;
  readonly kvmReason: string;
  readonly tun: boolean;
  readonly vhostNet: boolean;
  readonly kernelVersion: string;
  readonly osImage: string;
  readonly bootId: string;
  readonly machineId: string;
  readonly handlerVersion: string;
}

/** Pods one node accepts, kubelet's default. */
export const MAX_PODS = 110;
/** How many VMs may share a device resource (KubeVirt's device plugins advertise 1000). */
export const DEVICE_SLOTS = '1k';

export { KVM_RESOURCE, TUN_RESOURCE, VHOST_NET_RESOURCE };
export const SCHEDULABLE_LABEL = 'kubevirt.io/schedulable';

/** Taints a fresh or stale node carries that the handler clears once it posts Ready. */
export const STARTUP_TAINTS: readonly string[] = [
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.cloudprovider.kubernetes.io/uninitialized',
];

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
  readonly timeAdded?: string;
}

export function nodeLabels(f: HostFacts): Record<string, string> {
  return {
    'kubernetes.io/hostname': f.nodeName,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    [SCHEDULABLE_LABEL]: 'true',
  };
}

export function nodeCapacity(f: HostFacts): Record<string, string> {
  const capacity: Record<string, string> = {
    cpu: String(f.cpus),
    memory: `${Math.floor(f.memoryBytes / 1024)}Ki`,
    pods: String(MAX_PODS),
  };
  if (f.kvm) capacity[KVM_RESOURCE] = DEVICE_SLOTS;
  if (f.tun) capacity[TUN_RESOURCE] = DEVICE_SLOTS;
  if (f.vhostNet) capacity[VHOST_NET_RESOURCE] = DEVICE_SLOTS;
  return capacity;
}

/**
 * What the handler server-side applies to its Node's metadata, as field manager
 * virtkit-handler: its labels, the endpoint of its node API in the annotation
 * virtkit.io/handler-endpoint and its Kube-OVN tunnel endpoint in virtkit.io/kube-ovn-tunnel
 * (each left out without one, so an older value is removed).
 */
export function nodeMetadataApply(
  f: HostFacts,
  endpoint?: string,
  kubeOvnTunnel?: string,
): Record<string, unknown> {
  const annotations: Record<string, string> = {
    ...(endpoint ? { [HANDLER_ENDPOINT_ANNOTATION]: endpoint } : {}),
    ...(kubeOvnTunnel ? { [KUBE_OVN_TUNNEL_ANNOTATION]: kubeOvnTunnel } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.nodeName,
      labels: nodeLabels(f),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
  };
}

/** The Node as first created: metadata only (status is a subresource, posted right after). */
export function nodeObject(f: HostFacts): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: f.nodeName, labels: nodeLabels(f) }, spec: {} };
}

function condition(
  type: string,
  status: 'True' | 'False',
  reason: string,
  message: string,
  now: string,
): Record<string, string> {
  return { type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now };
}

/**
 * Node status as a strategic-merge patch body: conditions merge by type. lastTransitionTime is
 * only sent when the condition changes (`previous` is the node's current condition list).
 */
export function nodeStatusPatch(
  f: HostFacts,
  now: string,
  previous: readonly { type: string; status: string; lastTransitionTime?: string }[] = [],
): Record<string, unknown> {
  const keepTransition = (c: Record<string, string>): Record<string, string> => {
    const old = previous.find((p) => p.type === c.type);
    return old && old.status === c.status && old.lastTransitionTime
      ? { ...c, lastTransitionTime: old.lastTransitionTime }
      : c;
  };
  const capacity = nodeCapacity(f);
  return {
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        condition(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'the virtkit handler sees enough memory',
          now,
        ),
        condition(
          'DiskPressure',
          'False',
          'KubeletHasNoDiskPressure',
          'the virtkit handler sees no disk pressure',
          now,
        ),
        condition(
          'PIDPressure',
          'False',
          'KubeletHasSufficientPID',
          'the virtkit handler sees enough PIDs',
          now,
        ),
        condition(
          'Ready',
          'True',
          'KubeletReady',
          `virtkit handler is posting ready status (${f.kvm ? 'KVM' : `software emulation: ${f.kvmReason}`})`,
          now,
        ),
      ].map(keepTransition),
      addresses: [
        { type: 'InternalIP', address: f.ip },
        { type: 'Hostname', address: f.hostname },
      ],
      nodeInfo: {
        machineID: f.machineId,
        systemUUID: f.machineId,
        bootID: f.bootId,
        kernelVersion: f.kernelVersion,
        osImage: f.osImage,
        containerRuntimeVersion: `virtkit://${f.handlerVersion}`,
        kubeletVersion: `virtkit-handler-${f.handlerVersion}`,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** The taints to keep: everything but the start-up / not-ready ones. Undefined when nothing changes. */
export function taintsWithoutStartup(taints: readonly Taint[] | undefined): Taint[] | undefined {
  if (!taints?.length) return undefined;
  const kept = taints.filter((t) => !STARTUP_TAINTS.includes(t.key));
  return kept.length === taints.length ? undefined : kept;
}

/** Lease durations as kubelet uses them: renewed every 10 s, valid for 40 s. */
export const LEASE_DURATION_SECONDS = 40;
export const HEARTBEAT_INTERVAL_MS = 10_000;

/** metav1.MicroTime wants six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function leaseObject(
  nodeName: string,
  nodeUid: string | undefined,
  now: Date,
): Record<string, unknown> {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      ...(nodeUid
        ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] }
        : {}),
    },
    spec: {
      holderIdentity: nodeName,
      leaseDurationSeconds: LEASE_DURATION_SECONDS,
      renewTime: microTime(now),
    },
  };
}
