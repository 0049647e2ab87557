/**
 * Compute sizing of the guest: resources, CPU topology and tuning, memory, machine type
 * and IO threads (spec.domain.resources, .cpu, .memory, .machine, .ioThreads).
 */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Quantity,
  Enum,
  OpenEnum,
  List,
  Empty,
  CrdOverride,
  QUANTITY_PATTERN,
  type Static,
} from '../../schema/dsl';
import { ResourceList } from '../../k8s/resources';
import { UInt32 } from './domain-common';

export const ResourceRequirements = Obj(
  'Compute resources of the VMI, which size the launcher pod and the guest.',
  {
    requests: Opt(ResourceList('Resources the VMI asks the scheduler for; keys are memory and cpu.')),
    limits: Opt(ResourceList('Upper bounds on the resources the VMI may use; keys are memory and cpu.')),
    overcommitGuestOverhead: Opt(
      Bool(
        'When true, the memory virtualization itself needs is added only to the pod limit, not to the scheduling request. False by default.',
      ),
    ),
  },
);
export type ResourceRequirements = Static<typeof ResourceRequirements>;

export const CPU_MODELS = ['host-model', 'host-passthrough'] as const;
export const CPU_FEATURE_POLICIES = ['force', 'require', 'optional', 'disable', 'forbid'] as const;

export const CPUFeature = Obj('One CPU feature flag to turn on or off in the guest CPU.', {
  name: Str('Feature flag name as libvirt knows it, for example pcid or vmx.'),
  policy: Opt(
    OpenEnum(
      'How strictly the flag applies: force it, require host support, use it if available, hide it, or refuse hosts that have it. require when left out.',
      CPU_FEATURE_POLICIES,
    ),
  ),
});
export type CPUFeature = Static<typeof CPUFeature>;

export const NUMAGuestMappingPassthrough = Empty(
  'Mirror the host NUMA layout of the pinned CPUs into the guest, so no virtual node spans host nodes.',
);
export type NUMAGuestMappingPassthrough = Static<typeof NUMAGuestMappingPassthrough>;

export const NUMA = Obj('Guest NUMA topology settings.', {
  guestMappingPassthrough: Opt(NUMAGuestMappingPassthrough),
});
export type NUMA = Static<typeof NUMA>;

export const Realtime = Obj('Low-latency tuning for realtime workloads.', {
  mask: Opt(
    Str(
      'libvirt-style vCPU range that runs with realtime scheduling, such as "0-3,^1"; all vCPUs when left out.',
    ),
  ),
});
export type Realtime = Static<typeof Realtime>;

export const CPU = Obj('Guest CPU topology, model and placement.', {
  cores: Opt(UInt32('Cores per socket; at least 1.')),
  sockets: Opt(UInt32('Number of sockets; at least 1.')),
  maxSockets: Opt(UInt32('Highest socket count the guest can grow to with CPU hotplug.')),
  threads: Opt(UInt32('Threads per core; at least 1.')),
  model: Opt(
    OpenEnum(
      'CPU model shown to the guest: a libvirt model name or a host-based mode. host-model when left out.',
      CPU_MODELS,
    ),
  ),
  features: Opt(List('CPU feature flags to adjust on top of the model.', CPUFeature)),
  dedicatedCpuPlacement: Opt(Bool('Pin each vCPU to its own host CPU on a node that can dedicate them.')),
  numa: Opt(NUMA),
  isolateEmulatorThread: Opt(
    Bool('Give the emulator thread one extra dedicated host CPU; needs dedicatedCpuPlacement.'),
  ),
  realtime: Opt(Realtime),
});
export type CPU = Static<typeof CPU>;

export const Hugepages = Obj('Back guest memory with huge pages instead of normal pages.', {
  // A string in Go (not a resource.Quantity), so the CRD keeps it a plain string; runtime
  // validation still checks it parses as a quantity.
  pageSize: Opt(
    CrdOverride(
      Str('Huge page size, a quantity such as 2Mi or 1Gi on x86_64.', { pattern: QUANTITY_PATTERN }),
      { type: 'string' },
    ),
  ),
});
export type Hugepages = Static<typeof Hugepages>;

export const MEMORY_LOCK_REQUIREMENTS = ['NotRequired', 'Required'] as const;

export const ReservedOverhead = Obj(
  'Extra memory reserved for the launcher pod beyond what KubeVirt computes, and whether memory is locked.',
  {
    addedOverhead: Opt(
      Quantity('Memory added to the overhead reserved for the VM; it raises the launcher pod memory limit.'),
    ),
    memLock: Opt(
      Enum(
        'Whether guest memory and its overhead must be locked in RAM, as devices doing DMA (VFIO, vDPA) need. NotRequired (the default) leaves the memory lock limits alone; Required raises them to cover the guest memory and the overhead.',
        MEMORY_LOCK_REQUIREMENTS,
      ),
    ),
  },
);
export type ReservedOverhead = Static<typeof ReservedOverhead>;

export const Memory = Obj('Guest memory size and backing.', {
  hugepages: Opt(Hugepages),
  guest: Opt(
    Quantity(
      'Memory the guest OS sees; between the request and the limit. The memory request when left out.',
      { positive: true },
    ),
  ),
  maxGuest: Opt(
    Quantity('Most memory the guest may reach through memory hotplug; the gap above guest is hotpluggable.'),
  ),
  reservedOverhead: Opt(ReservedOverhead),
});
export type Memory = Static<typeof Memory>;

export const Machine = Obj('Emulated chipset of the guest.', {
  type: Opt(Str('QEMU machine type, for example q35; the cluster default when left out.')),
});
export type Machine = Static<typeof Machine>;

export const DiskIOThreads = Obj('IO thread settings for disks.', {
  supplementalPoolThreadCount: Opt(UInt32('How many IO threads to create for the supplementalPool policy.')),
});
export type DiskIOThreads = Static<typeof DiskIOThreads>;
