/**
 * The typed props of a guest (a VMI template), shared by every construct that renders a VMI
 * (VM, VMI, replica set, pool) and by the Pulumi VirtualMachine component.
 */
import type { DiskProps } from './disk';
import type { Firmware } from './firmware';
import type { InterfaceProps, NetworkSource } from './network';
import type { Probe } from './probe';
import type { AffinitySpec, FeaturesSpec, TolerationSpec } from './structs';

/** What happens to a VMI when its node is drained. */
export enum EvictionStrategy {
  NONE = 'None',
  LIVE_MIGRATE = 'LiveMigrate',
  LIVE_MIGRATE_IF_POSSIBLE = 'LiveMigrateIfPossible',
  EXTERNAL = 'External',
}

/** Guest CPU topology and model. */
export interface CpuTopology {
  /**
   * Cores per socket.
   * @default - 1 (KubeVirt's default; not written)
   * @example 2
   */
  readonly cores?: number;
  /**
   * Sockets.
   * @default - 1 (not written)
   */
  readonly sockets?: number;
  /**
   * Threads per core.
   * @default - 1 (not written)
   */
  readonly threads?: number;
  /**
   * CPU model: host-model, host-passthrough or a libvirt model name.
   * @default - host-model (not written)
   * @example 'host-passthrough'
   */
  readonly model?: string;
  /**
   * Pin each vCPU to a dedicated host CPU.
   * @default false
   */
  readonly dedicatedCpuPlacement?: boolean;
}

/** Scheduling requests and limits of the VMI's pod. */
export interface ResourceProps {
  /**
   * CPU request.
   * @default - none
   * @example '500m'
   */
  readonly cpuRequest?: string;
  /**
   * CPU limit.
   * @default - none
   */
  readonly cpuLimit?: string;
  /**
   * Memory request (an alternative to `memory`, which sets the guest memory).
   * @default - none
   * @example '2Gi'
   */
  readonly memoryRequest?: string;
  /**
   * Memory limit.
   * @default - none
   */
  readonly memoryLimit?: string;
}

/** A named network of the VM. */
export interface NetworkProps {
  /**
   * Network name; the interface of the same name connects to it.
   * @example 'default'
   */
  readonly name: string;
  /**
   * Where the network comes from.
   * @example NetworkSource.pod()
   */
  readonly source: NetworkSource;
}

/** The guest: hardware, storage, networks, placement and template metadata. */
export interface VmiTemplateProps {
  /**
   * CPU topology.
   * @default - one vCPU (or what the instance type says)
   * @example { cores: 2 }
   */
  readonly cpu?: CpuTopology;
  /**
   * Memory the guest sees (spec.domain.memory.guest). Leave out with an instance type.
   * @default - none: set this, `resources.memoryRequest` or an instance type
   * @example '2Gi'
   */
  readonly memory?: string;
  /**
   * Resource requests and limits of the pod.
   * @default - none
   */
  readonly resources?: ResourceProps;
  /**
   * QEMU machine type.
   * @default - the cluster default (q35 on x86_64)
   * @example 'q35'
   */
  readonly machineType?: string;
  /**
   * Boot firmware.
   * @default - BIOS (KubeVirt's default; not written)
   * @example Firmware.efi({ secureBoot: false })
   */
  readonly firmware?: Firmware;
  /**
   * Machine features (ACPI, APIC, SMM, Hyper-V...), as in the API.
   * @default - KubeVirt's defaults
   * @example { smm: {} }
   */
  readonly features?: FeaturesSpec;
  /**
   * Disks.
   * @default - none (the constructs add more with addDisk)
   */
  readonly disks?: DiskProps[];
  /**
   * Guest interfaces.
   * @default - none written (KubeVirt then attaches the pod network itself)
   */
  readonly interfaces?: InterfaceProps[];
  /**
   * Networks.
   * @default - none written
   */
  readonly networks?: NetworkProps[];
  /**
   * Node labels a node must carry.
   * @default - any node
   * @example { 'kubernetes.io/arch': 'amd64' }
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Affinity and anti-affinity, as in the API.
   * @default - none
   */
  readonly affinity?: AffinitySpec;
  /**
   * Taints tolerated.
   * @default - none
   * @example [{ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' }]
   */
  readonly tolerations?: TolerationSpec[];
  /**
   * What happens on node drain.
   * @default - the cluster-wide setting
   * @example EvictionStrategy.LIVE_MIGRATE
   */
  readonly evictionStrategy?: EvictionStrategy;
  /**
   * Liveness probe.
   * @default - none
   * @example Probe.guestAgentPing({ initialDelaySeconds: 120 })
   */
  readonly livenessProbe?: Probe;
  /**
   * Readiness probe.
   * @default - none
   * @example Probe.httpGet(80, { path: '/healthz' })
   */
  readonly readinessProbe?: Probe;
  /**
   * Seconds the guest gets to shut down before it is killed.
   * @default - 30 (not written)
   * @example 180
   */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Guest hostname.
   * @default - the VMI name
   */
  readonly hostname?: string;
  /**
   * DNS subdomain (with a headless Service of that name).
   * @default - none
   */
  readonly subdomain?: string;
  /**
   * Labels of the VMI (its template's metadata).
   * @default - none
   * @example { tier: 'web' }
   */
  readonly templateLabels?: { [key: string]: string };
  /**
   * Annotations of the VMI (its template's metadata).
   * @default - none
   */
  readonly templateAnnotations?: { [key: string]: string };
}
