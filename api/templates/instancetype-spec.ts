/**
 * Typed instancetype settings and their rendering into an api/ VirtualMachineInstancetypeSpec.
 * Shared by the namespaced and cluster-wide constructs and by the series generator.
 */
import type { instancetypeV1beta1 } from '..';

type InstancetypeSpec = instancetypeV1beta1.VirtualMachineInstancetypeSpec;

/** How disks share QEMU IO threads. */
export enum IoThreadsPolicy {
  /** One IO thread shared by every disk that asks for one. */
  SHARED = 'shared',
  /** A pool of IO threads sized by KubeVirt. */
  AUTO = 'auto',
  /** A pool of a given size (see ioThreads). */
  SUPPLEMENTAL_POOL = 'supplementalPool',
}

/** Everything about an instancetype except its name. */
export interface InstancetypeSettings {
  /**
   * vCPUs of the guest.
   * @example 2
   */
  readonly cpus: number;
  /**
   * Guest memory, a Kubernetes quantity.
   * @example '8Gi'
   */
  readonly memory: string;
  /**
   * CPU model shown to the guest.
   * @default - host-model
   * @example 'host-passthrough'
   */
  readonly cpuModel?: string;
  /**
   * Pin every vCPU to its own host CPU.
   * @default false
   * @example true
   */
  readonly dedicatedCpuPlacement?: boolean;
  /**
   * Give the emulator thread its own host CPU (needs dedicatedCpuPlacement).
   * @default false
   * @example true
   */
  readonly isolateEmulatorThread?: boolean;
  /**
   * Mirror the host NUMA layout of the pinned CPUs into the guest.
   * @default false
   * @example true
   */
  readonly numaGuestMappingPassthrough?: boolean;
  /**
   * Most sockets the guest can grow to with CPU hotplug.
   * @default - KubeVirt's default
   * @example 8
   */
  readonly maxSockets?: number;
  /**
   * Back guest memory with huge pages of this size.
   * @default - normal pages
   * @example '2Mi'
   */
  readonly hugepagesPageSize?: string;
  /**
   * Percent of guest memory the launcher pod does not request (overcommit).
   * @default 0
   * @example 50
   */
  readonly overcommitPercent?: number;
  /**
   * Most memory the guest may reach with memory hotplug.
   * @default - no hotplug headroom
   * @example '16Gi'
   */
  readonly maxMemory?: string;
  /**
   * How disks share IO threads.
   * @default - no IO threads
   * @example IoThreadsPolicy.AUTO
   */
  readonly ioThreadsPolicy?: IoThreadsPolicy;
  /**
   * Node labels a node must carry to run the VM.
   * @default - any node
   * @example { 'node-role.kubernetes.io/worker': '' }
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Scheduler that places the VM.
   * @default - the default scheduler
   * @example 'my-scheduler'
   */
  readonly schedulerName?: string;
  /**
   * Annotations added to every VirtualMachineInstance that uses the instancetype.
   * @default - none
   * @example { 'cost-center': 'web' }
   */
  readonly vmiAnnotations?: { [key: string]: string };
}

function prune<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The api/ spec for the settings (pure; no defaults written that the user did not ask for). */
export function renderInstancetypeSpec(s: InstancetypeSettings): InstancetypeSpec {
  return prune({
    cpu: prune({
      guest: s.cpus,
      model: s.cpuModel,
      dedicatedCPUPlacement: s.dedicatedCpuPlacement,
      isolateEmulatorThread: s.isolateEmulatorThread,
      numa: s.numaGuestMappingPassthrough ? { guestMappingPassthrough: {} } : undefined,
      maxSockets: s.maxSockets,
    }),
    memory: prune({
      guest: s.memory,
      hugepages: s.hugepagesPageSize !== undefined ? { pageSize: s.hugepagesPageSize } : undefined,
      overcommitPercent: s.overcommitPercent,
      maxGuest: s.maxMemory,
    }),
    ioThreadsPolicy: s.ioThreadsPolicy,
    nodeSelector: s.nodeSelector ? { ...s.nodeSelector } : undefined,
    schedulerName: s.schedulerName,
    annotations: s.vmiAnnotations ? { ...s.vmiAnnotations } : undefined,
  }) as InstancetypeSpec;
}
