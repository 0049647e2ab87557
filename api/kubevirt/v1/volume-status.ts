/** Per-volume status of a VMI: attachment phase, claim details, hotplug and memory dump info. */
import { Obj, Opt, Str, Bool, Int64, Enum, Quantity, Timestamp, MapOf, type Static } from '../../schema/dsl';
import { AccessModes, VolumeMode } from '../../k8s/core';

const checksum = Opt(
  Int64('Deprecated checksum, kept for compatibility.', { minimum: 0, maximum: 4294967295 }),
);

export const PersistentVolumeClaimInfo = Obj('Details of a claim that the node agent needs.', {
  claimName: Opt(Str('Name of the claim.')),
  accessModes: Opt(AccessModes('Access modes of the claim.')),
  volumeMode: Opt(VolumeMode('Whether the claim is a block device or a filesystem.')),
  capacity: Opt(MapOf('Capacity reported in the claim status.', Quantity('Amount of the resource.'))),
  requests: Opt(MapOf('Resources requested in the claim spec.', Quantity('Amount of the resource.'))),
  preallocated: Opt(Bool('Whether the storage of the claim is preallocated.')),
  filesystemOverhead: Opt(
    Str('Fraction of the filesystem reserved for overhead, from 0 to 1.', {
      pattern: '^(0(?:\\.\\d{1,3})?|1)$',
    }),
  ),
});
export type PersistentVolumeClaimInfo = Static<typeof PersistentVolumeClaimInfo>;

export const VOLUME_PHASES = [
  'Pending',
  'Bound',
  'AttachedToNode',
  'MountedToPod',
  'Ready',
  'Detaching',
  'UnMountedFromPod',
  'MemoryDumpCompleted',
  'MemoryDumpInProgress',
  'MemoryDumpFailed',
] as const;
export type VolumePhase = (typeof VOLUME_PHASES)[number];

export const HotplugVolumeStatus = Obj('Hotplug details of a volume.', {
  attachPodName: Opt(Str('Pod that attaches the volume to the node.')),
  attachPodUID: Opt(Str('UID of that pod.')),
});

export const DomainMemoryDumpInfo = Obj('Details of a memory dump written to the volume.', {
  startTimestamp: Opt(Timestamp('When the dump started.')),
  endTimestamp: Opt(Timestamp('When the dump finished.')),
  claimName: Opt(Str('Claim the memory was dumped to.')),
  targetFileName: Opt(Str('Name of the dump file.')),
});

export const VolumeStatus = Obj('Status of one volume of the VMI.', {
  name: Str('Name of the volume.'),
  target: Str('Device name of the volume in the guest, for example vda.'),
  phase: Opt(Enum('Attachment phase of the volume.', VOLUME_PHASES)),
  reason: Opt(Str('Short reason for the current phase.')),
  message: Opt(Str('Details about the current phase.')),
  persistentVolumeClaimInfo: Opt(PersistentVolumeClaimInfo),
  hotplugVolume: Opt(HotplugVolumeStatus),
  size: Opt(Int64('Size of the volume in bytes.')),
  memoryDumpVolume: Opt(DomainMemoryDumpInfo),
  containerDiskVolume: Opt(Obj('Details of a container disk volume.', { checksum })),
});
export type VolumeStatus = Static<typeof VolumeStatus>;

export const StorageMigratedVolumeInfo = Obj(
  'Source and destination claims of a volume moved by a storage migration.',
  {
    volumeName: Str('Name of the volume being moved.'),
    sourcePVCInfo: Opt(PersistentVolumeClaimInfo),
    destinationPVCInfo: Opt(PersistentVolumeClaimInfo),
  },
);
export type StorageMigratedVolumeInfo = Static<typeof StorageMigratedVolumeInfo>;

export const KernelBootStatus = Obj('Details of the kernel boot container.', {
  kernelInfo: Opt(Obj('Details of the kernel image.', { checksum })),
  initrdInfo: Opt(Obj('Details of the initial ramdisk.', { checksum })),
});
export type KernelBootStatus = Static<typeof KernelBootStatus>;
