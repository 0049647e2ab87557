/**
 * instancetype.kubevirt.io/v1beta1 VirtualMachinePreference and its cluster-scoped twin:
 * defaults for a guest OS (buses, firmware, features, topology) that a VM's own
 * settings override.
 */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Int32,
  Int64,
  Enum,
  OpenEnum,
  Quantity,
  List,
  StringMap,
  type Static,
} from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';
import { CPUFeature } from '../../kubevirt/v1/cpu-memory';
import { Rng, TPMDevice, VGPUOptions } from '../../kubevirt/v1/devices';
import { BlockSize, DISK_BUSES } from '../../kubevirt/v1/devices-disks';
import { INTERFACE_MODELS, InterfaceMasquerade } from '../../kubevirt/v1/devices-interfaces';
import { FeatureState } from '../../kubevirt/v1/domain-common';
import { EFI, FeatureAPIC, FeatureHyperv, FeatureKVM } from '../../kubevirt/v1/firmware-features';
import { ClockOffsetUTC, Timer } from '../../kubevirt/v1/clock-timers';

export const ClockOffset = Obj('Guest clock offset; set one of utc and timezone.', {
  utc: Opt(ClockOffsetUTC),
  timezone: Opt(
    Str('Time zone the guest clock starts in, as for the TZ variable, for example Europe/Paris.'),
  ),
});

export const ClockPreferences = Obj('Preferred clock settings.', {
  preferredClockOffset: Opt(ClockOffset),
  preferredTimer: Opt(Timer),
});

export const PREFERRED_CPU_TOPOLOGIES = [
  'preferCores',
  'preferSockets',
  'preferThreads',
  'preferSpread',
  'preferAny',
  'cores',
  'sockets',
  'threads',
  'spread',
  'any',
] as const;
export const SPREAD_ACROSS = ['SocketsCoresThreads', 'SocketsCores', 'CoresThreads'] as const;

export const SpreadOptions = Obj('How vCPUs are spread when the topology is spread.', {
  across: Opt(Enum('Topology levels to spread across. SocketsCores when left out.', SPREAD_ACROSS)),
  ratio: Opt(
    Int32(
      'Ratio between the levels: cores per socket, or 2 threads per core for CoresThreads. 2 when left out.',
      { minimum: 1 },
    ),
  ),
});

export const CPUPreferences = Obj('Preferred CPU topology and features.', {
  preferredCPUTopology: Opt(
    Enum(
      'How the instancetype vCPUs are laid out: as sockets, cores, threads, spread, or as the VM says (any). sockets when left out; the prefer* spellings are deprecated.',
      PREFERRED_CPU_TOPOLOGIES,
    ),
  ),
  spreadOptions: Opt(SpreadOptions),
  preferredCPUFeatures: Opt(List('CPU feature flags to adjust.', CPUFeature)),
});

const diskBus = (what: string) => OpenEnum(`Bus for ${what}.`, DISK_BUSES);

export const DevicePreferences = Obj('Preferred device settings.', {
  preferredAutoattachGraphicsDevice: Opt(Bool('Whether to attach the default graphics device (VNC).')),
  preferredAutoattachMemBalloon: Opt(Bool('Whether to attach the memory balloon device.')),
  preferredAutoattachPodInterface: Opt(Bool('Whether to attach the pod network interface.')),
  preferredAutoattachSerialConsole: Opt(Bool('Whether to attach the serial console.')),
  preferredAutoattachInputDevice: Opt(Bool('Whether to attach an input device.')),
  preferredDisableHotplug: Opt(Bool('Whether to forbid disk hotplug.')),
  preferredVirtualGPUOptions: Opt(VGPUOptions),
  preferredSoundModel: Opt(OpenEnum('Sound card model.', ['ich9', 'ac97'] as const)),
  preferredUseVirtioTransitional: Opt(
    Bool('Use transitional virtio devices, for guests older than virtio 1.0.'),
  ),
  preferredInputBus: Opt(OpenEnum('Bus for input devices.', ['usb', 'virtio'] as const)),
  preferredInputType: Opt(OpenEnum('Type of input devices.', ['tablet', 'keyboard'] as const)),
  preferredDiskBus: Opt(diskBus('disks')),
  preferredLunBus: Opt(diskBus('LUN disks')),
  preferredCdromBus: Opt(diskBus('CD-ROM drives')),
  preferredDiskDedicatedIoThread: Opt(Bool('Give each virtio disk its own IO thread.')),
  preferredDiskCache: Opt(
    OpenEnum('Host cache mode of disks.', ['none', 'writethrough', 'writeback'] as const),
  ),
  preferredDiskIO: Opt(OpenEnum('QEMU IO mode of disks.', ['native', 'default', 'threads'] as const)),
  preferredDiskBlockSize: Opt(BlockSize),
  preferredInterfaceModel: Opt(OpenEnum('Model of network interfaces.', INTERFACE_MODELS)),
  preferredRng: Opt(Rng),
  preferredBlockMultiQueue: Opt(Bool('Enable multi-queue for virtio disks.')),
  preferredNetworkInterfaceMultiQueue: Opt(Bool('Enable vhost multi-queue for virtio interfaces.')),
  preferredTPM: Opt(TPMDevice),
  preferredInterfaceMasquerade: Opt(InterfaceMasquerade),
  preferredPanicDeviceModel: Opt(OpenEnum('Model of panic devices.', ['hyperv', 'isa', 'pvpanic'] as const)),
  preferredVideoType: Opt(
    OpenEnum('Type of the video device.', ['virtio', 'vga', 'bochs', 'ramfb'] as const),
  ),
});

export const FeaturePreferences = Obj('Preferred machine features.', {
  preferredAcpi: Opt(FeatureState),
  preferredApic: Opt(FeatureAPIC),
  preferredHyperv: Opt(FeatureHyperv),
  preferredKvm: Opt(FeatureKVM),
  preferredPvspinlock: Opt(FeatureState),
  preferredSmm: Opt(FeatureState),
});

export const FirmwarePreferences = Obj('Preferred firmware.', {
  preferredUseBios: Opt(Bool('Boot with BIOS.')),
  preferredUseBiosSerial: Opt(Bool('Send BIOS output to the serial console; needs preferredUseBios.')),
  preferredUseEfi: Opt(Bool('Deprecated, use preferredEfi: boot with EFI.')),
  preferredUseSecureBoot: Opt(Bool('Deprecated, use preferredEfi.secureBoot: boot with Secure Boot.')),
  preferredEfi: Opt(EFI),
});

export const MachinePreferences = Obj('Preferred machine.', {
  preferredMachineType: Opt(Str('QEMU machine type, for example q35.')),
});

export const VolumePreferences = Obj('Preferred volume settings.', {
  preferredStorageClassName: Opt(Str('StorageClass for DataVolumes of the VM that name none.')),
});

export const PreferenceRequirements = Obj(
  'Minimum resources the instancetype (or VM) must provide to use this preference.',
  {
    cpu: Opt(Obj('Minimum vCPUs.', { guest: Int32('Fewest vCPUs the guest may have.', { minimum: 0 }) })),
    memory: Opt(Obj('Minimum memory.', { guest: Quantity('Least memory the guest may have.') })),
    architecture: Opt(Str('CPU architecture the VM must have, for example amd64.')),
  },
);

export const VirtualMachinePreferenceSpec = Obj(
  'Defaults for VMs that reference the preference; the VM own settings win.',
  {
    clock: Opt(ClockPreferences),
    cpu: Opt(CPUPreferences),
    devices: Opt(DevicePreferences),
    features: Opt(FeaturePreferences),
    firmware: Opt(FirmwarePreferences),
    machine: Opt(MachinePreferences),
    volumes: Opt(VolumePreferences),
    preferredSubdomain: Opt(Str('Subdomain of the VMI, for DNS.')),
    preferredTerminationGracePeriodSeconds: Opt(
      Int64('Seconds a stopping guest gets before it is forced off.'),
    ),
    requirements: Opt(PreferenceRequirements),
    annotations: Opt(StringMap('Annotations added to the VirtualMachineInstance.')),
    preferSpreadSocketToCoreRatio: Opt(
      Int32('Deprecated, use cpu.spreadOptions.ratio: cores per socket for the spread topology.', {
        minimum: 0,
      }),
    ),
    preferredArchitecture: Opt(Str('CPU architecture of the VM, for example amd64 or arm64.')),
  },
);
export type VirtualMachinePreferenceSpec = Static<typeof VirtualMachinePreferenceSpec>;

export interface VirtualMachinePreference {
  apiVersion: 'instancetype.kubevirt.io/v1beta1';
  kind: 'VirtualMachinePreference';
  metadata?: ObjectMeta;
  spec: VirtualMachinePreferenceSpec;
}

export interface VirtualMachineClusterPreference {
  apiVersion: 'instancetype.kubevirt.io/v1beta1';
  kind: 'VirtualMachineClusterPreference';
  metadata?: ObjectMeta;
  spec: VirtualMachinePreferenceSpec;
}
