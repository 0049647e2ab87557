/**
 * Hotplugging a disk into a running guest, as QMP commands (pure). KubeVirt attaches hotplugged
 * volumes as SCSI disks on the VMI's virtio-scsi controller; so does virtkit:
 *
 *   attach: blockdev-add (a `file` node on the image QEMU can open), blockdev-add (a `raw`
 *           format node over it), device_add scsi-hd on the hotplug bus
 *   detach: device_del, then wait for DEVICE_DELETED, then blockdev-del of both nodes
 *
 * Names and values come from the VMI (the volume name, the disk's serial and cache): each is
 * checked here, and every value passes through the launcher's one QEMU value function
 * (./qemu-opts.ts) before it reaches QEMU, even though QMP carries it as JSON.
 */
import { createHash } from 'crypto';
import { dns1123LabelProblems } from '../../api/validation/dns-names';
import { ProblemList } from './errors';
import { fromField, qemuId, rawValue } from './qemu-opts';
import type { PlannedDisk } from './types';

/** What the handler asks for (docs/launcher-api.md, POST /v1/hotplug/attach). */
export interface AttachDiskRequest {
  /** The volume (and disk) name: a DNS label. */
  readonly name: string;
  /** The disk image on the node (absolute); the launcher exposes it to QEMU. */
  readonly path: string;
  /** @default false */
  readonly readOnly?: boolean;
  /** spec.domain.devices.disks[].serial */
  readonly serial?: string;
  /** spec.domain.devices.disks[].cache: none, writethrough or writeback. @default writethrough */
  readonly cache?: string;
}

export interface DetachDiskRequest {
  readonly name: string;
}

/** One disk of the guest, as GET /v1/hotplug lists it. */
export interface GuestDisk {
  readonly name: string;
  /** The device name KubeVirt reports in volumeStatus[].target (vda, sda, ...). */
  readonly target: string;
  /** True for a disk attached after boot. */
  readonly hotplugged: boolean;
}

export interface HotplugDisksBody {
  /** False when the VMI disables hotplug (spec.domain.devices.disableHotplug). */
  readonly supported: boolean;
  readonly disks: readonly GuestDisk[];
}

/** A QMP command and its arguments. */
export interface QmpCommand {
  readonly execute: string;
  readonly arguments: Record<string, unknown>;
}

/** Where the commands for one disk's nodes and device come from. */
export interface HotplugIds {
  /** scsi-hd's id (QOM path /machine/peripheral/<id>): `ua-<name>`, as boot-time disks. */
  readonly device: string;
  readonly fileNode: string;
  readonly formatNode: string;
}

/** QEMU refuses block node names of 32 characters or more. */
const NODE_NAME_MAX = 31;

/** Why `name` cannot name a hotplugged volume (it becomes QEMU ids and a file name), or undefined. */
export function volumeNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string, a DNS label such as data-disk';
  const problems = dns1123LabelProblems(name);
  return problems.length ? problems.join('; ') : undefined;
}

/** The node names and device id of a checked volume name (long names get a stable hash). */
export function hotplugIds(name: string): HotplugIds {
  const short = name.length + 'hpf-'.length <= NODE_NAME_MAX;
  const tag = short ? name : createHash('sha256').update(name).digest('hex').slice(0, 20);
  return { device: qemuId('ua', name), fileNode: `hpf-${tag}`, formatNode: `hpd-${tag}` };
}

const CACHES = ['none', 'writethrough', 'writeback'] as const;

/**
 * The checked request, or every problem with it at once (field: problem). `exposedPath` is
 * the file as QEMU will open it: `./hotplug/<name>.img` (the launcher's link, relative to QEMU's
 * working directory, since QEMU may not look up the directories above it) or an absolute path.
 */
export function attachCommands(
  req: AttachDiskRequest,
  exposedPath: string,
  bus: string,
): { commands: QmpCommand[]; ids: HotplugIds } | { problems: string[] } {
  const problems = new ProblemList();
  const nameProblem = volumeNameProblem(req.name);
  if (nameProblem) problems.add('name', nameProblem, req.name);
  const cache = req.cache ?? 'writethrough';
  if (!(CACHES as readonly string[]).includes(cache))
    problems.add('cache', 'unknown cache mode; use none, writethrough or writeback', cache);
  const serial = req.serial === undefined ? undefined : rawValue(fromField(req.serial, 'serial'), problems);
  // `./hotplug/<name>.img` inside QEMU's directory (QEMU's working directory), else absolute.
  const rule = exposedPath.startsWith('./') ? 'relative' : 'path';
  const filename = rawValue(fromField(exposedPath, 'path', rule), problems);
  if (problems.items.length)
    return {
      problems: problems.items.map(
        (p) => `${p.path}${p.value !== undefined ? ` ${JSON.stringify(p.value)}` : ''}: ${p.message}`,
      ),
    };

  const ids = hotplugIds(req.name);
  const readOnly = req.readOnly === true;
  // cache none: O_DIRECT on the host, the guest's write cache on; writethrough: the host's page
  // cache, every write flushed (the guest sees no write cache); writeback: both caches.
  const direct = cache === 'none';
  const writeCache = cache === 'writethrough' ? 'off' : 'on';
  const commands: QmpCommand[] = [
    {
      execute: 'blockdev-add',
      arguments: {
        driver: 'file',
        'node-name': ids.fileNode,
        filename,
        'read-only': readOnly,
        cache: { direct, 'no-flush': false },
      },
    },
    {
      execute: 'blockdev-add',
      arguments: {
        driver: 'raw',
        'node-name': ids.formatNode,
        file: ids.fileNode,
        'read-only': readOnly,
        cache: { direct, 'no-flush': false },
      },
    },
    {
      execute: 'device_add',
      arguments: {
        driver: 'scsi-hd',
        id: ids.device,
        drive: ids.formatNode,
        bus,
        'write-cache': writeCache,
        ...(serial !== undefined ? { serial } : {}),
      },
    },
  ];
  return { commands, ids };
}

/** device_del: completed when QEMU sends DEVICE_DELETED for the same id. */
export function detachDeviceCommand(ids: HotplugIds): QmpCommand {
  return { execute: 'device_del', arguments: { id: ids.device } };
}

/** After DEVICE_DELETED: the format node first (it holds the file node), then the file node. */
export function blockdevDelCommands(ids: HotplugIds): QmpCommand[] {
  return [
    { execute: 'blockdev-del', arguments: { 'node-name': ids.formatNode } },
    { execute: 'blockdev-del', arguments: { 'node-name': ids.fileNode } },
  ];
}

/** `sda`, ..., `sdz`, `sdaa`, ... as Linux and libvirt name disks. */
export function diskLetters(index: number): string {
  let n = index;
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return out;
}

/**
 * The targets of the boot-time disks, as KubeVirt reports them: virtio disks vda, vdb, ... in
 * order, every other bus (sata, scsi, usb) sda, sdb, ... in order.
 */
export function bootTargets(disks: readonly Pick<PlannedDisk, 'name' | 'bus'>[]): Map<string, string> {
  const out = new Map<string, string>();
  let vd = 0;
  let sd = 0;
  for (const d of disks)
    out.set(d.name, d.bus === 'virtio' ? `vd${diskLetters(vd++)}` : `sd${diskLetters(sd++)}`);
  return out;
}

/** The first sdX no disk uses. */
export function nextScsiTarget(used: Iterable<string>): string {
  const taken = new Set(used);
  for (let i = 0; ; i++) {
    const t = `sd${diskLetters(i)}`;
    if (!taken.has(t)) return t;
  }
}
