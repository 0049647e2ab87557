/** Disks, CD-ROMs and LUNs attached to the guest (spec.domain.devices.disks). */
import { Obj, Opt, Str, Bool, Enum, OpenEnum, type Static } from '../../schema/dsl';
import { FeatureSwitch, Integer } from './domain-common';

/** Buses KubeVirt accepts; ide is refused by admission, in KubeVirt's words, not by the schema. */
/** Buses a disk may sit on, in the order KubeVirt's admission message lists them. */
export const DISK_BUSES = ['virtio', 'scsi', 'sata', 'usb'] as const;
export const DISK_CACHE_MODES = ['none', 'writethrough', 'writeback'] as const;
export const DISK_IO_MODES = ['native', 'threads', 'default'] as const;
export const DISK_ERROR_POLICIES = ['stop', 'ignore', 'report', 'enospace'] as const;
export const TRAY_STATES = ['open', 'closed'] as const;

function bus(extra = '') {
  return Opt(OpenEnum(`Bus the device sits on in the guest.${extra}`, DISK_BUSES));
}

export const DiskTarget = Obj('Present the volume as a plain disk.', {
  bus: bus(' virtio when left out.'),
  readonly: Opt(Bool('Attach read-only. False when left out.')),
  pciAddress: Opt(Str('Guest PCI address to place the disk at, for example 0000:81:01.10.')),
});
export type DiskTarget = Static<typeof DiskTarget>;

export const LunTarget = Obj('Present the volume as a SCSI LUN, passing SCSI commands through.', {
  bus: bus(),
  readonly: Opt(Bool('Attach read-only. False when left out.')),
  reservation: Opt(Bool('Support SCSI persistent reservations on this LUN.')),
});
export type LunTarget = Static<typeof LunTarget>;

export const CDRomTarget = Obj('Present the volume as a CD-ROM drive.', {
  bus: bus(),
  readonly: Opt(Bool('Attach read-only. True when left out.')),
  tray: Opt(Enum('Whether the drive tray starts open or closed; closed when left out.', TRAY_STATES)),
});
export type CDRomTarget = Static<typeof CDRomTarget>;

export const CustomBlockSize = Obj('Explicit block sizes for the virtual disk.', {
  logical: Opt(Integer('Logical block size in bytes.', { unsigned: true })),
  physical: Opt(Integer('Physical block size in bytes.', { unsigned: true })),
  discardGranularity: Opt(Integer('Discard granularity in bytes.', { unsigned: true })),
});
export type CustomBlockSize = Static<typeof CustomBlockSize>;

export const BlockSize = Obj('Block sizes the guest sees for the disk; set one of custom and matchVolume.', {
  custom: Opt(CustomBlockSize),
  matchVolume: Opt(FeatureSwitch('Take the block sizes from the backing volume.')),
});
export type BlockSize = Static<typeof BlockSize>;

export const Disk = Obj('A disk device of the guest, backed by the volume of the same name.', {
  name: Str('Device name; must match the name of a volume.'),
  disk: Opt(DiskTarget),
  lun: Opt(LunTarget),
  cdrom: Opt(CDRomTarget),
  bootOrder: Opt(
    Integer(
      'Boot priority, 1 or more; lower boots first. Unique across disks and interfaces; disks without one are skipped when any has one.',
      { unsigned: true },
    ),
  ),
  serial: Opt(Str('Serial number the guest reads for the disk.')),
  dedicatedIOThread: Opt(Bool('Give this disk an IO thread of its own. False when left out.')),
  cache: Opt(
    OpenEnum(
      'Host page cache mode; none when the storage supports direct IO, otherwise writethrough.',
      DISK_CACHE_MODES,
    ),
  ),
  io: Opt(OpenEnum('QEMU IO mode for the disk.', DISK_IO_MODES)),
  tag: Opt(Str('Tag passed to the guest with the disk address in config drive metadata.')),
  blockSize: Opt(BlockSize),
  shareable: Opt(Bool('Allow several VMs to write to the disk at once.')),
  errorPolicy: Opt(Enum('What to do on an IO error; stop when left out.', DISK_ERROR_POLICIES)),
  changedBlockTracking: Opt(Bool('Track changed blocks for incremental backup. False when left out.')),
});
export type Disk = Static<typeof Disk>;
