/**
 * instancetype.kubevirt.io/v1beta1 VirtualMachineInstancetype and its cluster-scoped twin:
 * the sizing (vCPUs, memory) and resource-related hardware a VM can reference by name.
 */
import { Obj, Opt, Str, Bool, Int32, Enum, Quantity, List, StringMap, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { DiskIOThreads, Hugepages, NUMA, Realtime } from '../../kubevirt/v1/cpu-memory';
import { GPU, HostDevice } from '../../kubevirt/v1/devices';
import { LaunchSecurity } from '../../kubevirt/v1/domain-launch-security';

export const CPUInstancetype = Obj('vCPU count and CPU-related settings the instancetype imposes.', {
  guest: Int32(
    'Number of vCPUs the guest gets; the topology comes from the preference (sockets by default).',
    { minimum: 1 },
  ),
  model: Opt(
    Str(
      'CPU model shown to the guest: a libvirt model name, host-model or host-passthrough. host-model when left out.',
    ),
  ),
  dedicatedCPUPlacement: Opt(Bool('Pin each vCPU to its own host CPU on a node that can dedicate them.')),
  numa: Opt(NUMA),
  isolateEmulatorThread: Opt(
    Bool('Give the emulator thread one extra dedicated host CPU; needs dedicatedCPUPlacement.'),
  ),
  realtime: Opt(Realtime),
  maxSockets: Opt(Int32('Highest socket count the guest can grow to with CPU hotplug.', { minimum: 1 })),
});
export type CPUInstancetype = Static<typeof CPUInstancetype>;

export const MemoryInstancetype = Obj('Memory size and memory-related settings the instancetype imposes.', {
  guest: Quantity('Memory the guest OS sees, for example 4Gi.', { positive: true }),
  hugepages: Opt(Hugepages),
  overcommitPercent: Opt(
    Int32(
      'Percentage of guest memory the launcher pod does not request, overcommitting the node; 0 when left out.',
      { minimum: 0, maximum: 100 },
    ),
  ),
  maxGuest: Opt(Quantity('Most memory the guest may reach with memory hotplug.')),
});
export type MemoryInstancetype = Static<typeof MemoryInstancetype>;

export const IO_THREADS_POLICIES = ['shared', 'auto', 'supplementalPool'] as const;

export const VirtualMachineInstancetypeSpec = Obj(
  'Sizing and resource-related hardware for the VMs that use the instancetype.',
  {
    nodeSelector: Opt(StringMap('Node labels a node must carry to run the VMI.')),
    schedulerName: Opt(Str('Scheduler that places the VMI; the default scheduler when left out.')),
    cpu: CPUInstancetype,
    memory: MemoryInstancetype,
    gpus: Opt(List('GPUs given to the guest.', GPU)),
    hostDevices: Opt(List('Host devices passed through to the guest.', HostDevice)),
    ioThreadsPolicy: Opt(
      Enum('How disks share IO threads; no IO threads when left out.', IO_THREADS_POLICIES),
    ),
    ioThreads: Opt(DiskIOThreads),
    launchSecurity: Opt(LaunchSecurity),
    annotations: Opt(StringMap('Annotations added to the VirtualMachineInstance.')),
  },
);
export type VirtualMachineInstancetypeSpec = Static<typeof VirtualMachineInstancetypeSpec>;

export interface VirtualMachineInstancetype {
  apiVersion: 'instancetype.kubevirt.io/v1beta1';
  kind: 'VirtualMachineInstancetype';
  metadata?: ObjectMeta;
  spec: VirtualMachineInstancetypeSpec;
}

export interface VirtualMachineClusterInstancetype {
  apiVersion: 'instancetype.kubevirt.io/v1beta1';
  kind: 'VirtualMachineClusterInstancetype';
  metadata?: ObjectMeta;
  spec: VirtualMachineInstancetypeSpec;
}
