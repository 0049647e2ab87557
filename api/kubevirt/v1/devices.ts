/**
 * The guest's device tree (spec.domain.devices): the lists of named devices, single
 * devices (watchdog, sound, TPM, video...) and the switches for the devices KubeVirt
 * adds on its own (graphics, serial console, balloon, pod interface...).
 */
import { Obj, Opt, Str, Bool, Enum, OpenEnum, List, ListMap, Empty, type Static } from '../../schema/dsl';
import { FeatureSwitch, claimRequestFields } from './domain-common';
import { Disk } from './devices-disks';
import { Interface } from './devices-interfaces';

export const INPUT_BUSES = ['usb', 'virtio'] as const;
export const INPUT_TYPES = ['tablet', 'keyboard'] as const;
export const WATCHDOG_ACTIONS = ['poweroff', 'reset', 'shutdown'] as const;
export const PANIC_DEVICE_MODELS = ['hyperv', 'isa', 'pvpanic'] as const;
export const SOUND_MODELS = ['ich9', 'ac97'] as const;
export const VIDEO_TYPES = ['virtio', 'vga', 'bochs', 'ramfb'] as const;

/** KubeVirt caps disks and interfaces at 256 each. */
export const MAX_DISKS = 256;
export const MAX_INTERFACES = 256;

function capped<L extends object>(list: L, maxItems: number): L {
  return Object.assign(list, { maxItems });
}

export const Input = Obj('An input device such as a tablet or keyboard.', {
  bus: Opt(OpenEnum('Bus the device sits on; usb when left out.', INPUT_BUSES)),
  type: OpenEnum('Kind of input device.', INPUT_TYPES),
  name: Str('Device name, unique among inputs.'),
});
export type Input = Static<typeof Input>;

export const VGPUDisplayOptions = Obj('Display settings of a vGPU.', {
  enabled: Opt(Bool('Use the vGPU as a display adapter. True when left out.')),
  ramFB: Opt(FeatureSwitch('A boot framebuffer shown until the guest GPU driver loads; on when left out.')),
});
export type VGPUDisplayOptions = Static<typeof VGPUDisplayOptions>;

export const VGPUOptions = Obj('Options for a mediated (virtual) GPU.', {
  display: Opt(VGPUDisplayOptions),
});
export type VGPUOptions = Static<typeof VGPUOptions>;

export const GPU = Obj('A GPU passed through to the guest, from a device plugin or a DRA claim.', {
  name: Str('Device name, unique among GPUs.'),
  deviceName: Opt(Str('Resource name the device plugin advertises, for example nvidia.com/GP102GL.')),
  ...claimRequestFields(),
  virtualGPUOptions: Opt(VGPUOptions),
  tag: Opt(Str('Tag passed to the guest with the device address in config drive metadata.')),
});
export type GPU = Static<typeof GPU>;

export const HostDevice = Obj('A host device (PCI or USB) passed through to the guest.', {
  name: Str('Device name, unique among host devices.'),
  deviceName: Opt(Str('Resource name the device plugin advertises.')),
  ...claimRequestFields(),
  tag: Opt(Str('Tag passed to the guest with the device address in config drive metadata.')),
});
export type HostDevice = Static<typeof HostDevice>;

export const FilesystemVirtiofs = Empty('Share the volume with virtiofs.');
export type FilesystemVirtiofs = Static<typeof FilesystemVirtiofs>;

export const Filesystem = Obj('A volume shared with the guest as a filesystem rather than a disk.', {
  name: Str('Device name; must match the name of a volume.'),
  virtiofs: FilesystemVirtiofs,
});
export type Filesystem = Static<typeof Filesystem>;

export const I6300ESBWatchdog = Obj('Intel 6300ESB watchdog.', {
  action: Opt(Enum('What happens when the watchdog fires; reset when left out.', WATCHDOG_ACTIONS)),
});
export type I6300ESBWatchdog = Static<typeof I6300ESBWatchdog>;

export const Diag288Watchdog = Obj('diag288 watchdog, for s390x guests.', {
  action: Opt(Enum('What happens when the watchdog fires; reset when left out.', WATCHDOG_ACTIONS)),
});
export type Diag288Watchdog = Static<typeof Diag288Watchdog>;

export const Watchdog = Obj('A hardware watchdog; set one device model.', {
  name: Str('Name of the watchdog.'),
  i6300esb: Opt(I6300ESBWatchdog),
  diag288: Opt(Diag288Watchdog),
});
export type Watchdog = Static<typeof Watchdog>;

export const Rng = Empty('A virtio random number generator fed by the host.');
export type Rng = Static<typeof Rng>;

export const DownwardMetrics = Empty(
  'A virtio-serial port that exposes host and guest metrics to the guest.',
);
export type DownwardMetrics = Static<typeof DownwardMetrics>;

export const ClientPassthroughDevices = Empty(
  'Allow client devices, currently USB through usbredir, to be redirected into the guest.',
);
export type ClientPassthroughDevices = Static<typeof ClientPassthroughDevices>;

export const PanicDevice = Obj('A device the guest uses to report a crash.', {
  model: Opt(Enum('Panic device model; depends on the architecture when left out.', PANIC_DEVICE_MODELS)),
});
export type PanicDevice = Static<typeof PanicDevice>;

export const SoundDevice = Obj('An emulated sound card.', {
  name: Str('Name of the sound device.'),
  model: Opt(OpenEnum('Sound card model; ich9 when left out.', SOUND_MODELS)),
});
export type SoundDevice = Static<typeof SoundDevice>;

export const TPMDevice = Obj('An emulated TPM.', {
  enabled: Opt(Bool('Set false to turn off a TPM that a preference would add. True when left out.')),
  persistent: Opt(Bool('Keep TPM state across restarts. False when left out.')),
});
export type TPMDevice = Static<typeof TPMDevice>;

export const VideoDevice = Obj('The video device of the guest.', {
  type: Opt(
    OpenEnum('Video device type; depends on the architecture and firmware when left out.', VIDEO_TYPES),
  ),
});
export type VideoDevice = Static<typeof VideoDevice>;

export const Devices = Obj('Devices attached to the guest.', {
  useVirtioTransitional: Opt(
    Bool('Use transitional virtio devices that pre-virtio-1.0 guests (such as RHEL 6) understand.'),
  ),
  disableHotplug: Opt(Bool('Refuse hotplugging disks into this VMI.')),
  disks: Opt(capped(ListMap('Disks, CD-ROMs and LUNs of the guest, merged by name.', Disk), MAX_DISKS)),
  watchdog: Opt(Watchdog),
  interfaces: Opt(
    capped(ListMap('Network interfaces of the guest, merged by name.', Interface), MAX_INTERFACES),
  ),
  inputs: Opt(ListMap('Input devices of the guest, merged by name.', Input)),
  autoattachPodInterface: Opt(
    Bool('Add an interface on the pod network when none is listed. True when left out.'),
  ),
  autoattachGraphicsDevice: Opt(
    Bool('Add the default graphics device; without it there is no VNC. True when left out.'),
  ),
  autoattachSerialConsole: Opt(
    Bool('Add the default serial console; without it there is no console access. True when left out.'),
  ),
  logSerialConsole: Opt(
    Bool(
      'Log the default serial console output to the guest-console-log container; the cluster setting when left out.',
    ),
  ),
  autoattachMemBalloon: Opt(Bool('Add a memory balloon device. True when left out.')),
  autoattachInputDevice: Opt(Bool('Add an input device. False when left out.')),
  autoattachVSOCK: Opt(Bool('Give the guest a VSOCK context id. False when left out.')),
  rng: Opt(Rng),
  blockMultiQueue: Opt(Bool('Use several virtio queues per block device. False when left out.')),
  networkInterfaceMultiqueue: Opt(
    Bool('Use several vhost queues for virtio interfaces, sized from the vCPU count.'),
  ),
  gpus: Opt(ListMap('GPUs passed through to the guest, merged by name.', GPU)),
  downwardMetrics: Opt(DownwardMetrics),
  panicDevices: Opt(List('Devices through which the guest reports crashes.', PanicDevice)),
  filesystems: Opt(ListMap('Volumes shared as filesystems, merged by name.', Filesystem)),
  hostDevices: Opt(ListMap('Host devices passed through to the guest, merged by name.', HostDevice)),
  clientPassthrough: Opt(ClientPassthroughDevices),
  sound: Opt(SoundDevice),
  tpm: Opt(TPMDevice),
  video: Opt(VideoDevice),
});
export type Devices = Static<typeof Devices>;
