/** Disks and their volumes: pure mapping from spec.domain.devices.disks + spec.volumes to QEMU. */
import * as path from 'path';
import { parseQuantity } from '../../api/quantity';
import type { Disk, Volume, VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import type { ProblemList } from './errors';
import { cloudInitIso } from './cloud-init';
import { localImagePath } from '../../api/image-ref';
import { isQ35 } from './machine';
import { absoluteHostPathProblem, confinedPath, HostPathError, safeNameProblem } from '../../api/host-path';
import { fromField, opts, qemuId } from './qemu-opts';
import type { QemuFiles } from './qemu-files';
import type { LaunchContext, PlannedDisk, PrepareStep } from './types';

export interface DiskPart {
  readonly args: string[];
  readonly prepare: PrepareStep[];
  readonly disks: PlannedDisk[];
  /** The SCSI bus hotplugged disks go on (`scsi0.0`); undefined when the VMI disables hotplug. */
  readonly hotplugBus?: string;
}

interface Backing {
  readonly path: string;
  /** The field named when the path is refused. */
  readonly field: string;
  readonly format: 'raw' | 'qcow2';
  readonly source: string;
  /** Forced read-only media (generated ISOs). */
  readonly readOnly?: boolean;
  /** The read-only image under an overlay (its format is recorded in the overlay). */
  readonly base?: string;
  readonly baseField?: string;
  /** A block device (a Block volume): QEMU's `file` driver refuses those, `host_device` opens them. */
  readonly blockDevice?: boolean;
  /** The base under an overlay is a block device. */
  readonly baseBlockDevice?: boolean;
}

const DISKS = 'spec.domain.devices.disks';
const VOLUMES = 'spec.volumes';

/**
 * `<dir>/<volume name>.<ext>`: the volume name becomes a file name, so it must be a safe
 * name and the path must stay in `dir` (refused as a problem naming spec.volumes[i].name).
 * The runtime re-checks the resolved path (a 'confine' step) before it writes.
 */
function volumeFile(
  ctx: LaunchContext,
  dir: string,
  vol: Volume,
  vpath: string,
  ext: string,
  problems: ProblemList,
  prepare: PrepareStep[],
): string | undefined {
  const field = `${vpath}.name`;
  // An unsafe name is reported once, by planDisks.
  if (safeNameProblem(vol.name)) return undefined;
  try {
    const file = confinedPath(path.join(ctx.workDir, dir), `${vol.name}.${ext}`, field);
    prepare.push({ kind: 'confine', base: ctx.workDir, path: file, field });
    return file;
  } catch (e) {
    if (!(e instanceof HostPathError)) throw e;
    problems.add(field, e.problem, vol.name);
    return undefined;
  }
}

/** A host path from an object or the handler that QEMU or qemu-img opens: absolute and plain. */
function hostPath(p: string, field: string, problems: ProblemList): boolean {
  const problem = absoluteHostPathProblem(p);
  if (problem) problems.add(field, problem, p);
  return !problem;
}

/** Where the data of one volume comes from, plus the I/O to prepare it. */
function planVolume(
  vmiName: string,
  namespace: string,
  spec: VirtualMachineInstanceSpec,
  vol: Volume,
  vpath: string,
  ctx: LaunchContext,
  problems: ProblemList,
  prepare: PrepareStep[],
): Backing | undefined {
  const name = vol.name;
  if (vol.containerDisk) {
    const base = ctx.containerDisks?.[name] ?? localImagePath(vol.containerDisk.image);
    if (!base) {
      problems.add(
        `${vpath}.containerDisk.image`,
        'the image has not been pulled for this launcher; in local mode the handler provides it, standalone use a local disk file (an absolute path or file:///path/disk.qcow2)',
        vol.containerDisk.image,
      );
      return undefined;
    }
    if (!hostPath(base, `${vpath}.containerDisk.image`, problems)) return undefined;
    if (!ctx.exists(base)) {
      problems.add(
        `${vpath}.containerDisk.image`,
        `the disk image ${base} does not exist; fix the path`,
        vol.containerDisk.image,
      );
      return undefined;
    }
    const overlay = volumeFile(ctx, 'disks', vol, vpath, 'qcow2', problems, prepare);
    if (!overlay) return undefined;
    prepare.push({ kind: 'overlay', path: overlay, base, volume: name });
    return {
      path: overlay,
      field: `${vpath}.name`,
      format: 'qcow2',
      source: 'containerDisk',
      base,
      baseField: `${vpath}.containerDisk.image`,
    };
  }
  if (vol.ephemeral) {
    const claim = vol.ephemeral.persistentVolumeClaim?.claimName;
    const provided = ctx.volumes?.[name];
    if (!provided) {
      problems.add(
        `${vpath}.ephemeral.persistentVolumeClaim`,
        `claim ${claim ?? '(none)'} has no disk path: the handler prepares claims (local or cluster mode); standalone use hostDisk`,
        claim,
      );
      return undefined;
    }
    if (!hostPath(provided.path, `${vpath}.ephemeral.persistentVolumeClaim`, problems)) return undefined;
    const overlay = volumeFile(ctx, 'disks', vol, vpath, 'qcow2', problems, prepare);
    if (!overlay) return undefined;
    prepare.push({ kind: 'overlay', path: overlay, base: provided.path, volume: name });
    return {
      path: overlay,
      field: `${vpath}.name`,
      format: 'qcow2',
      source: 'ephemeral',
      base: provided.path,
      baseField: `${vpath}.ephemeral.persistentVolumeClaim`,
      ...(ctx.isBlockDevice?.(provided.path) ? { baseBlockDevice: true } : {}),
    };
  }
  if (vol.emptyDisk) {
    const size = parseQuantity(vol.emptyDisk.capacity);
    if (!size || size <= 0) {
      problems.add(
        `${vpath}.emptyDisk.capacity`,
        'needs a positive size such as 2Gi',
        vol.emptyDisk.capacity,
      );
      return undefined;
    }
    const file = volumeFile(ctx, 'disks', vol, vpath, 'qcow2', problems, prepare);
    if (!file) return undefined;
    prepare.push({ kind: 'emptyDisk', path: file, sizeBytes: size, volume: name });
    return { path: file, field: `${vpath}.name`, format: 'qcow2', source: 'emptyDisk' };
  }
  if (vol.hostDisk) {
    const hd = vol.hostDisk;
    // QEMU reads `json:{...}` or `nbd:...` as protocols; only a plain absolute path is a file.
    if (!hostPath(hd.path, `${vpath}.hostDisk.path`, problems)) return undefined;
    if (hd.type === 'Disk') {
      if (!ctx.exists(hd.path)) {
        problems.add(
          `${vpath}.hostDisk.path`,
          'no such file on this node; create the image first or use type DiskOrCreate with a capacity',
          hd.path,
        );
        return undefined;
      }
    } else if (hd.type === 'DiskOrCreate') {
      const size = parseQuantity(hd.capacity);
      if (!ctx.exists(hd.path)) {
        if (!size || size <= 0) {
          problems.add(
            `${vpath}.hostDisk.capacity`,
            `${hd.path} does not exist and DiskOrCreate needs a capacity (e.g. 1Gi) to create it`,
            hd.capacity,
          );
          return undefined;
        }
        prepare.push({ kind: 'createIfMissing', path: hd.path, sizeBytes: size, volume: name });
      }
    } else {
      problems.add(`${vpath}.hostDisk.type`, 'use Disk or DiskOrCreate', hd.type);
      return undefined;
    }
    return { path: hd.path, field: `${vpath}.hostDisk.path`, format: 'raw', source: 'hostDisk' };
  }
  if (vol.persistentVolumeClaim || vol.dataVolume) {
    const field = vol.persistentVolumeClaim ? 'persistentVolumeClaim' : 'dataVolume';
    const claim = vol.persistentVolumeClaim?.claimName ?? vol.dataVolume?.name;
    const provided = ctx.volumes?.[name];
    if (!provided) {
      problems.add(
        `${vpath}.${field}`,
        `${field} ${claim ?? ''} has no disk path: the handler prepares claims (local or cluster mode); standalone use hostDisk instead`,
        claim,
      );
      return undefined;
    }
    if (!hostPath(provided.path, `${vpath}.${field}`, problems)) return undefined;
    if (!ctx.exists(provided.path)) {
      problems.add(
        `${vpath}.${field}`,
        `the prepared disk ${provided.path} does not exist; the volume was not set up on this node`,
        claim,
      );
      return undefined;
    }
    return {
      path: provided.path,
      field: `${vpath}.${field}`,
      format: provided.format ?? 'raw',
      source: field,
      ...(ctx.isBlockDevice?.(provided.path) ? { blockDevice: true } : {}),
    };
  }
  if (vol.cloudInitNoCloud || vol.cloudInitConfigDrive) {
    const iso = cloudInitIso(vmiName, namespace, spec, vol, vpath, ctx, problems);
    if (!iso) return undefined;
    const file = volumeFile(ctx, 'cloud-init', vol, vpath, 'iso', problems, prepare);
    if (!file) return undefined;
    prepare.push({ kind: 'iso', path: file, label: iso.label, files: iso.files, volume: name });
    return {
      path: file,
      field: `${vpath}.name`,
      format: 'raw',
      source: vol.cloudInitNoCloud ? 'cloudInitNoCloud' : 'cloudInitConfigDrive',
      readOnly: true,
    };
  }
  if (vol.configMap || vol.secret || vol.sysprep) {
    const field = vol.configMap ? 'configMap' : vol.secret ? 'secret' : 'sysprep';
    const dir = ctx.volumeDirs?.[name];
    if (!dir) {
      problems.add(
        `${vpath}.${field}`,
        `the ${field} contents were not provided to the launcher: the handler mounts them (local or cluster mode); not available standalone`,
      );
      return undefined;
    }
    const label =
      vol.configMap?.volumeLabel ?? vol.secret?.volumeLabel ?? (vol.sysprep ? 'unattend' : 'cfgdata');
    if (!hostPath(dir, `${vpath}.${field}`, problems)) return undefined;
    const file = volumeFile(ctx, 'config-disks', vol, vpath, 'iso', problems, prepare);
    if (!file) return undefined;
    prepare.push({ kind: 'iso', path: file, label, files: {}, fromDir: dir, volume: name });
    return { path: file, field: `${vpath}.name`, format: 'raw', source: field, readOnly: true };
  }
  const source = Object.keys(vol).find((k) => k !== 'name') ?? '(none)';
  problems.add(
    `${vpath}.${source}`,
    `volume source ${source} is not supported by the virtkit launcher yet; use containerDisk, hostDisk, emptyDisk, persistentVolumeClaim, dataVolume, cloudInitNoCloud, cloudInitConfigDrive, configMap or secret`,
  );
  return undefined;
}

const CACHE: Record<string, string> = { none: 'none', writethrough: 'writethrough', writeback: 'writeback' };
const WERROR: Record<string, string> = {
  stop: 'stop',
  ignore: 'ignore',
  report: 'report',
  enospace: 'enospc',
};

export function planDisks(
  vmiName: string,
  namespace: string,
  spec: VirtualMachineInstanceSpec,
  machine: string,
  vcpus: number,
  ctx: LaunchContext,
  files: QemuFiles,
  problems: ProblemList,
): DiskPart {
  const args: string[] = [];
  const prepare: PrepareStep[] = [];
  const planned: PlannedDisk[] = [];
  const volumes = spec.volumes ?? [];
  const disks = spec.domain.devices.disks ?? [];
  const q35 = isQ35(machine);
  const anyBootOrder =
    disks.some((d) => d.bootOrder !== undefined) ||
    (spec.domain.devices.interfaces ?? []).some((i) => i.bootOrder !== undefined);
  let firstBootDiskDone = false;
  let sataUnit = 0;
  let scsiAdded = false;
  let ahciAdded = false;
  let usbAdded = false;
  let ioThreads = 0;

  for (const [i, vol] of volumes.entries()) {
    // The volume name becomes a file name in the work directory (overlays, ISOs).
    const nameProblem = safeNameProblem(vol.name);
    if (nameProblem) problems.add(`${VOLUMES}[${i}].name`, nameProblem, vol.name);
    if (
      !disks.some((d) => d.name === vol.name) &&
      !(spec.domain.devices.filesystems ?? []).some((f) => f.name === vol.name)
    ) {
      problems.add(
        `${VOLUMES}[${i}].name`,
        'no disk in spec.domain.devices.disks uses this volume; add a disk with the same name or remove the volume',
        vol.name,
      );
    }
  }
  for (const [i, fs] of (spec.domain.devices.filesystems ?? []).entries()) {
    problems.add(
      `spec.domain.devices.filesystems[${i}]`,
      'virtiofs filesystems are not supported by the virtkit launcher yet; attach the volume as a disk',
      fs.name,
    );
  }

  for (const [i, disk] of disks.entries()) {
    const dpath = `${DISKS}[${i}]`;
    // The disk name becomes QEMU ids and, through its volume, file names.
    const nameProblem = safeNameProblem(disk.name);
    if (nameProblem) {
      problems.add(`${dpath}.name`, nameProblem, disk.name);
      continue;
    }
    const vi = volumes.findIndex((v) => v.name === disk.name);
    if (vi < 0) {
      problems.add(
        `${dpath}.name`,
        'no volume in spec.volumes has this name; add the volume or fix the name',
        disk.name,
      );
      continue;
    }
    const target = diskTarget(disk, dpath, problems);
    if (!target) continue;
    const backing = planVolume(
      vmiName,
      namespace,
      spec,
      volumes[vi]!,
      `${VOLUMES}[${vi}]`,
      ctx,
      problems,
      prepare,
    );
    if (!backing) continue;

    const driveId = qemuId('drive', disk.name);
    const readOnly = target.readOnly || backing.readOnly === true;
    if (disk.cache !== undefined && !CACHE[disk.cache]) {
      problems.add(`${dpath}.cache`, 'unknown cache mode; use none, writethrough or writeback', disk.cache);
    }
    if (disk.io !== undefined && !['native', 'threads', 'default'].includes(disk.io)) {
      problems.add(`${dpath}.io`, 'unknown io mode; use native, threads or default', disk.io);
    }
    const cache = disk.cache ? CACHE[disk.cache] : 'writethrough';
    if (disk.io === 'native' && cache !== 'none') {
      problems.add(
        `${dpath}.io`,
        'io native needs cache none (QEMU opens the file with O_DIRECT); set cache: none or io: threads',
        disk.io,
      );
    }
    if (disk.changedBlockTracking)
      problems.add(
        `${dpath}.changedBlockTracking`,
        'not supported by the virtkit launcher yet; remove it',
        true,
      );
    const werror = disk.errorPolicy ? WERROR[disk.errorPolicy] : undefined;
    args.push(
      '-drive',
      opts(
        undefined,
        {
          // Inside QEMU's directory by name, elsewhere as a descriptor the launcher opened.
          file: files.file(backing.path, backing.field, !readOnly),
          'file.driver': backing.blockDevice ? 'host_device' : undefined,
          format: backing.format,
          // An overlay's base, too: QEMU reads it from the descriptor, not from the path
          // written in the overlay (which QEMU's user may not be able to reach).
          'backing.file.filename': backing.base
            ? files.file(backing.base, backing.baseField ?? backing.field, false)
            : undefined,
          'backing.file.driver': backing.baseBlockDevice ? 'host_device' : undefined,
          if: 'none',
          id: driveId,
          media: target.device === 'cdrom' ? 'cdrom' : undefined,
          readonly: readOnly || undefined,
          cache,
          aio: disk.io === 'native' ? 'native' : disk.io === 'threads' ? 'threads' : undefined,
          werror:
            werror === 'stop' || werror === 'ignore' || werror === 'report' || werror === 'enospc'
              ? werror
              : undefined,
          rerror: werror === 'stop' || werror === 'ignore' || werror === 'report' ? werror : undefined,
          'file.locking': disk.shareable ? false : undefined,
        },
        problems,
      ),
    );

    let bootindex: number | undefined = disk.bootOrder;
    if (!anyBootOrder && !firstBootDiskDone && target.device === 'disk') {
      bootindex = 1;
      firstBootDiskDone = true;
    }
    const num = (v: number | undefined, field: string) => (v === undefined ? undefined : fromField(v, field));
    const common = {
      drive: driveId,
      id: qemuId('ua', disk.name),
      bootindex: num(bootindex, `${dpath}.bootOrder`),
      logical_block_size: num(disk.blockSize?.custom?.logical, `${dpath}.blockSize.custom.logical`),
      physical_block_size: num(disk.blockSize?.custom?.physical, `${dpath}.blockSize.custom.physical`),
    };
    const serial =
      target.device === 'disk' && disk.serial !== undefined
        ? fromField(disk.serial, `${dpath}.serial`)
        : undefined;
    switch (target.bus) {
      case 'virtio': {
        let iothread: string | undefined;
        if (disk.dedicatedIOThread) {
          iothread = `iothread${ioThreads++}`;
          args.push('-object', `iothread,id=${iothread}`);
        }
        args.push(
          '-device',
          opts(
            'virtio-blk-pci',
            {
              ...common,
              serial,
              iothread,
              'num-queues': spec.domain.devices.blockMultiQueue ? vcpus : undefined,
            },
            problems,
          ),
        );
        break;
      }
      case 'sata': {
        if (!q35 && !ahciAdded) {
          args.push('-device', 'ich9-ahci,id=ahci0');
          ahciAdded = true;
        }
        if (sataUnit >= 6) {
          problems.add(
            `${dpath}.${target.device === 'cdrom' ? 'cdrom' : 'disk'}.bus`,
            'at most 6 sata devices fit the controller; move this one to virtio or scsi',
            'sata',
          );
          break;
        }
        const bus = q35 ? `ide.${sataUnit}` : `ahci0.${sataUnit}`;
        sataUnit++;
        args.push(
          '-device',
          opts(target.device === 'cdrom' ? 'ide-cd' : 'ide-hd', { ...common, bus, serial }, problems),
        );
        break;
      }
      case 'scsi': {
        if (!scsiAdded) {
          args.push('-device', 'virtio-scsi-pci,id=scsi0');
          scsiAdded = true;
        }
        args.push(
          '-device',
          opts(
            target.device === 'cdrom' ? 'scsi-cd' : 'scsi-hd',
            { ...common, bus: 'scsi0.0', serial },
            problems,
          ),
        );
        break;
      }
      case 'usb': {
        if (!usbAdded) {
          args.push('-device', 'qemu-xhci,id=usb-disks');
          usbAdded = true;
        }
        args.push('-device', opts('usb-storage', { ...common, bus: 'usb-disks.0', serial }, problems));
        break;
      }
    }
    planned.push({
      name: disk.name,
      path: backing.path,
      format: backing.format,
      bus: target.bus,
      device: target.device,
      readOnly,
      driveId,
      volumeSource: backing.source,
    });
  }
  // KubeVirt gives every VMI a virtio-scsi controller unless it disables hotplug: hotplugged
  // disks go on it (bus scsi), so the guest needs no PCI hotplug.
  const hotplug = spec.domain.devices.disableHotplug !== true;
  if (hotplug && !scsiAdded) args.push('-device', 'virtio-scsi-pci,id=scsi0');
  return { args, prepare, disks: planned, ...(hotplug ? { hotplugBus: 'scsi0.0' } : {}) };
}

interface Target {
  readonly bus: 'virtio' | 'sata' | 'scsi' | 'usb';
  readonly device: 'disk' | 'cdrom';
  readonly readOnly: boolean;
}

function isBus(bus: string): bus is Target['bus'] {
  return bus === 'virtio' || bus === 'sata' || bus === 'scsi' || bus === 'usb';
}

function diskTarget(disk: Disk, dpath: string, problems: ProblemList): Target | undefined {
  if (disk.lun) {
    problems.add(
      `${dpath}.lun`,
      'LUN pass-through is not supported by the virtkit launcher; use disk instead',
    );
    return undefined;
  }
  const field = disk.cdrom ? 'cdrom' : 'disk';
  const bus = (disk.cdrom ? disk.cdrom.bus : disk.disk?.bus) ?? (disk.cdrom ? 'sata' : 'virtio');
  if (!isBus(bus)) {
    problems.add(`${dpath}.${field}.bus`, 'unknown bus; use virtio, sata, scsi or usb', bus);
    return undefined;
  }
  if (disk.cdrom && (bus === 'virtio' || bus === 'usb')) {
    problems.add(`${dpath}.cdrom.bus`, `a CD-ROM cannot sit on the ${bus} bus; use sata or scsi`, bus);
    return undefined;
  }
  if (disk.disk?.pciAddress) {
    problems.add(
      `${dpath}.disk.pciAddress`,
      'fixed PCI addresses are not supported by the virtkit launcher yet; remove it',
      disk.disk.pciAddress,
    );
  }
  if (disk.cdrom) return { bus, device: 'cdrom', readOnly: disk.cdrom.readonly !== false };
  return { bus, device: 'disk', readOnly: disk.disk?.readonly === true };
}
