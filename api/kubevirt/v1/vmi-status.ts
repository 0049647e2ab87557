/** VirtualMachineInstanceStatus: what the controller and the node agent observe about a VMI. */
import {
  Obj,
  Opt,
  Str,
  Int32,
  Int64,
  Enum,
  OpenEnum,
  Quantity,
  Timestamp,
  StringMap,
  StringList,
  List,
  Nullable,
  Opaque,
  type Static,
} from '../../schema/dsl';
import { POD_QOS_CLASSES } from '../../k8s/core';
import { Machine } from './domain';
import { VirtualMachineInstanceCondition } from './conditions';
import { VirtualMachineInstanceMigrationState } from './migration-state';
import { KernelBootStatus, StorageMigratedVolumeInfo, VolumeStatus } from './volume-status';
import { ChangedBlockTrackingStatus } from './changed-block-tracking';

export const VMI_PHASES = [
  'Pending',
  'Scheduling',
  'Scheduled',
  'Running',
  'Succeeded',
  'Failed',
  'WaitingForSync',
  'Unknown',
] as const;
export type VirtualMachineInstancePhase = (typeof VMI_PHASES)[number];

export const MIGRATION_METHODS = ['BlockMigration', 'LiveMigration'] as const;
export const MIGRATION_TRANSPORTS = ['Unix'] as const;
export const INTERFACE_INFO_SOURCES = ['domain', 'guest-agent', 'multus-status'] as const;
export const LINK_STATES = ['up', 'down'] as const;

export function vmiPhase(description: string) {
  return Enum(description, VMI_PHASES);
}

export const VirtualMachineInstancePhaseTransitionTimestamp = Obj('When the VMI entered a phase.', {
  phase: Opt(vmiPhase('The phase entered.')),
  phaseTransitionTimestamp: Opt(Timestamp('When the phase was entered.')),
});

export const VirtualMachineInstanceNetworkInterface = Obj('An interface of the running guest, as observed.', {
  ipAddress: Opt(Str('Primary IP address of the interface (the first of ipAddresses).')),
  mac: Opt(Str('MAC address of the interface.')),
  name: Opt(Str('Name of the interface in the VMI spec (and of its network).')),
  ipAddresses: Opt(StringList('Every IP address of the interface.')),
  podInterfaceName: Opt(Str('Name of the matching interface in the launcher pod.')),
  interfaceName: Opt(Str('Name of the interface inside the guest, such as eth0.')),
  infoSource: Opt(OpenEnum('Where the data came from, comma-separated.', INTERFACE_INFO_SOURCES)),
  queueCount: Opt(Int32('Number of queues with multi-queue networking.')),
  linkState: Opt(OpenEnum('Current link state of the interface.', LINK_STATES)),
});
export type VirtualMachineInstanceNetworkInterface = Static<typeof VirtualMachineInstanceNetworkInterface>;

export const VirtualMachineInstanceGuestOSInfo = Obj(
  'Guest operating system details reported by the guest agent.',
  {
    name: Opt(Str('Name of the guest OS.')),
    kernelRelease: Opt(Str('Kernel release of the guest OS.')),
    version: Opt(Str('Version of the guest OS.')),
    prettyName: Opt(Str('Display name of the guest OS.')),
    versionId: Opt(Str('Version identifier of the guest OS.')),
    kernelVersion: Opt(Str('Kernel version of the guest OS.')),
    machine: Opt(Str('Machine architecture reported by the guest OS.')),
    id: Opt(Str('Identifier of the guest OS, such as fedora.')),
  },
);
export type VirtualMachineInstanceGuestOSInfo = Static<typeof VirtualMachineInstanceGuestOSInfo>;

export const CPUTopologyStatus = Obj(
  'CPU topology the guest currently runs with (may trail the spec during CPU hotplug).',
  {
    cores: Opt(Int64('Cores per socket.', { minimum: 0 })),
    sockets: Opt(Int64('Sockets.', { minimum: 0 })),
    threads: Opt(Int64('Threads per core.', { minimum: 0 })),
  },
);
export type CPUTopologyStatus = Static<typeof CPUTopologyStatus>;

export const MemoryStatus = Obj('Guest memory sizes, for memory hotplug.', {
  guestAtBoot: Opt(Quantity('Memory the guest booted with.')),
  guestCurrent: Opt(Quantity('Memory the guest has now.')),
  guestRequested: Opt(Quantity('Memory requested through hotplug.')),
  memoryOverhead: Opt(
    Quantity('Memory the virtualization infrastructure adds to the launcher pod on top of the guest.'),
  ),
});
export type MemoryStatus = Static<typeof MemoryStatus>;

export const VirtualMachineInstanceStatus = Obj(
  'Observed state of a virtual machine instance; it may lag behind reality.',
  {
    nodeName: Opt(Str('Node the VMI runs on.')),
    reason: Opt(Str('Short CamelCase reason for the current state, such as NodeUnresponsive.')),
    conditions: Opt(
      List('Current observations, such as Ready and LiveMigratable.', VirtualMachineInstanceCondition),
    ),
    phase: Opt(vmiPhase('Lifecycle phase of the VMI.')),
    phaseTransitionTimestamps: Opt(
      List('When the VMI entered each phase.', VirtualMachineInstancePhaseTransitionTimestamp),
    ),
    interfaces: Opt(List('Interfaces of the running guest.', VirtualMachineInstanceNetworkInterface)),
    guestOSInfo: Opt(VirtualMachineInstanceGuestOSInfo),
    migrationState: Opt(VirtualMachineInstanceMigrationState),
    migrationMethod: Opt(
      Enum(
        'Whether a migration must also copy disks (BlockMigration) or not (LiveMigration).',
        MIGRATION_METHODS,
      ),
    ),
    migrationTransport: Opt(Enum('Transport used for migrations.', MIGRATION_TRANSPORTS)),
    qosClass: Opt(Enum('Quality of service class of the launcher pod.', POD_QOS_CLASSES)),
    launcherContainerImageVersion: Opt(Str('Launcher image the VMI runs with.')),
    evacuationNodeName: Opt(Str('Node being drained of this VMI; set by the platform only.')),
    activePods: Opt(StringMap('Launcher pods of the VMI, pod UID to node name (two during a migration).')),
    volumeStatus: Opt(List('Status of each volume.', VolumeStatus)),
    kernelBootStatus: Opt(KernelBootStatus),
    fsFreezeStatus: Opt(
      Str('"frozen" while a guest filesystem freeze is requested; not the real state of the guest.'),
    ),
    topologyHints: Opt(
      Obj('Host details needed to place the VMI again, for example on migration.', {
        tscFrequency: Opt(Int64('TSC frequency of the host, in Hz.')),
      }),
    ),
    virtualMachineRevisionName: Opt(
      Str('ControllerRevision of the VM the VMI was started from, for online snapshots.'),
    ),
    runtimeUser: Opt(Int64('User ID the launcher runs as.', { minimum: 0 })),
    VSOCKCID: Opt(Int64('VSOCK context ID allocated to the guest.', { minimum: 0, maximum: 4294967295 })),
    selinuxContext: Opt(Str('SELinux context of the launcher pod.')),
    machine: Opt(Obj('Machine type the guest really runs (aliases resolved).', Machine.properties)),
    currentCPUTopology: Opt(CPUTopologyStatus),
    memory: Opt(MemoryStatus),
    migratedVolumes: Opt(List('Volumes moved by a storage migration.', StorageMigratedVolumeInfo)),
    changedBlockTracking: Opt(Nullable(ChangedBlockTrackingStatus)),
    deviceStatus: Opt(
      Opaque(
        'Legacy: DRA allocations of GPUs and host devices that older KubeVirt releases reported here. Current releases no longer write it; it is kept unchanged so statuses from those clusters still load.',
      ),
    ),
  },
);
export type VirtualMachineInstanceStatus = Static<typeof VirtualMachineInstanceStatus>;
