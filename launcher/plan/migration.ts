/**
 * Live migration as QMP commands (pure). The I/O that runs them is ../runtime/migration-*.ts.
 *
 * Memory goes over QEMU's own migration stream (`migrate` / `migrate-incoming`, a TCP URI on
 * MIGRATION_PORT). Disks whose data lives only on the source node (the files the launcher made
 * itself: containerDisk and ephemeral overlays, emptyDisks) are copied the way libvirt's
 * non-shared-storage migration does it: the target exports its fresh copies over NBD (on
 * BLOCK_MIGRATION_PORT) and the source mirrors its top layer into them (`blockdev-mirror`, sync
 * `top`) until the mirror is in step, then writes go to both until the switchover. Claims
 * (persistentVolumeClaim, dataVolume) and host disks are shared storage the target opens
 * itself; read-only media (cloud-init, configMap, secret and sysprep ISOs) are generated on the
 * target from the same spec.
 *
 * Every value from a request (addresses, ports) is checked by ./migration-request.ts before it
 * gets here; names come from the plan's disks, whose names the planner checked (safe names).
 */
import { createHash } from 'crypto';
import { isIP } from 'net';
import type { MigrationOptions } from '../api/protocol';
import type { QmpCommand } from './hotplug';
import { fromField, rawValue } from './qemu-opts';
import type { PlannedDisk } from './types';

/** The volume sources whose data exists only in files the launcher created on this node. */
export const NODE_LOCAL_SOURCES: readonly string[] = ['containerDisk', 'ephemeral', 'emptyDisk'];

/** One disk the source mirrors into the target's NBD export. */
export interface MirroredDisk {
  /** The spec disk name. */
  readonly name: string;
  /** QEMU's drive id of the disk (`drive-<name>`), the mirror's source. */
  readonly driveId: string;
  /** The NBD export name on the target, derived from the disk name alone (stable on both sides). */
  readonly exportName: string;
  /** The source's NBD client node and the mirror job's id. */
  readonly nbdNode: string;
  readonly jobId: string;
}

/** QEMU refuses block node names of 32 characters or more. */
const NODE_NAME_MAX = 31;

/** The ids of one mirrored disk; a name too long for a node name gets a stable hash. */
export function mirrorIds(disk: Pick<PlannedDisk, 'name' | 'driveId'>): MirroredDisk {
  const short = 'mig-'.length + disk.name.length <= NODE_NAME_MAX;
  const tag = short ? disk.name : createHash('sha256').update(disk.name).digest('hex').slice(0, 24);
  return {
    name: disk.name,
    driveId: disk.driveId,
    // The planner refused unsafe disk names; the value still goes through the one value function.
    exportName: `migration-${rawValue(fromField(disk.name, 'spec.domain.devices.disks[].name', 'word'))}`,
    nbdNode: `mig-${tag}`,
    jobId: `mig-${tag}`,
  };
}

/**
 * The disks a migration must copy: writable disks (not CD-ROMs) on a file the launcher made on
 * this node. Both sides compute this from the same spec, so they agree without talking.
 */
export function mirroredDisks(disks: readonly PlannedDisk[]): MirroredDisk[] {
  return disks
    .filter((d) => d.device === 'disk' && !d.readOnly && NODE_LOCAL_SOURCES.includes(d.volumeSource))
    .map(mirrorIds);
}

/** `migrate-set-capabilities` with every capability virtkit manages stated, so no earlier attempt leaks into this one. */
function capabilities(states: Record<string, boolean>): QmpCommand {
  return {
    execute: 'migrate-set-capabilities',
    arguments: {
      capabilities: Object.entries(states).map(([capability, state]) => ({ capability, state })),
    },
  };
}

/**
 * The source's capabilities: events (MIGRATION events), auto-converge and postcopy-ram as the
 * options allow, and pause-before-switchover when disks are mirrored: QEMU then stops in
 * `pre-switchover` with the guest paused, so the mirrors can be completed before the target
 * takes over the disks (as libvirt does for NBD migration).
 */
export function sourceCapabilities(options: MigrationOptions, mirroring: boolean): QmpCommand {
  return capabilities({
    events: true,
    'auto-converge': options.allowAutoConverge,
    'postcopy-ram': options.allowPostCopy,
    'pause-before-switchover': mirroring,
  });
}

/** The target's capabilities: postcopy-ram must match the source's. */
export function targetCapabilities(allowPostCopy: boolean): QmpCommand {
  return capabilities({ events: true, 'postcopy-ram': allowPostCopy });
}

/** QEMU's largest downtime-limit (milliseconds). */
export const QEMU_MAX_DOWNTIME_MS = 2_000_000;

/** Bandwidth and downtime (`migrate-set-parameters`); max-bandwidth 0 is QEMU's "no limit". */
export function sourceParameters(options: MigrationOptions): QmpCommand {
  return {
    execute: 'migrate-set-parameters',
    arguments: {
      'max-bandwidth': options.bandwidthBytesPerSecond,
      'downtime-limit': options.maxDowntimeMs,
    },
  };
}

/** A host for QMP: the checked IP literal, through the launcher's one value function. */
function host(address: string, field: string): string {
  if (isIP(address) === 0)
    throw new Error(`internal: ${field} ${JSON.stringify(address)} is not an IP literal`);
  return rawValue(fromField(address, field));
}

/** `tcp:<ip>:<port>`, an IPv6 literal in brackets. */
export function migrationUri(address: string, port: number): string {
  const h = host(address, 'address');
  return `tcp:${isIP(address) === 6 ? `[${h}]` : h}:${port}`;
}

/**
 * A socket of QEMU's directory as QEMU names it: relative to its working directory, which is that
 * directory (QEMU's user reaches no path above it).
 */
export function qemuRelative(name: string): string {
  if (!/^[a-z][a-z0-9.-]*$/.test(name))
    throw new Error(`internal: ${JSON.stringify(name)} is not a socket name`);
  return `./${name}`;
}

/** `unix:<path>`: the `unix` transport's stream socket (a path of the launcher's own QEMU directory). */
export function unixMigrationUri(socket: string): string {
  return `unix:${socket}`;
}

/** The target's NBD server on a unix socket of its QEMU directory (the `unix` transport). */
export function nbdServerStartUnix(socket: string): QmpCommand {
  return { execute: 'nbd-server-start', arguments: { addr: { type: 'unix', data: { path: socket } } } };
}

/** The target's NBD server, on the pod address (nbd-server-start takes the legacy address form). */
export function nbdServerStart(address: string, port: number): QmpCommand {
  return {
    execute: 'nbd-server-start',
    arguments: { addr: { type: 'inet', data: { host: host(address, 'address'), port: String(port) } } },
  };
}

/**
 * The target's writable export of one disk. `node` is the node QEMU's query-block reports for the
 * disk's drive (the launcher's -drive disks have generated node names).
 */
export function exportCommand(disk: MirroredDisk, node: string): QmpCommand {
  return {
    execute: 'block-export-add',
    arguments: { type: 'nbd', id: disk.exportName, 'node-name': node, name: disk.exportName, writable: true },
  };
}

/** Where the source's NBD clients connect: the target's address and port, or (`unix`) a socket the handler forwards. */
export type NbdServer = { readonly address: string; readonly port: number } | { readonly socket: string };

/** The source's side of one disk: an NBD client node on the target's export, and the mirror into it. */
export function mirrorCommands(disk: MirroredDisk, server: NbdServer): QmpCommand[] {
  return [
    {
      execute: 'blockdev-add',
      arguments: {
        driver: 'nbd',
        'node-name': disk.nbdNode,
        server:
          'socket' in server
            ? { type: 'unix', path: server.socket }
            : { type: 'inet', host: host(server.address, 'address'), port: String(server.port) },
        export: disk.exportName,
      },
    },
    {
      execute: 'blockdev-mirror',
      arguments: { 'job-id': disk.jobId, device: disk.driveId, target: disk.nbdNode, sync: 'top' },
    },
  ];
}

/**
 * Ends a mirror: a ready mirror cancelled without force completes cleanly (the target has every
 * write); with force it stops where it is (the migration failed, the target is thrown away).
 */
export function endMirror(disk: MirroredDisk, force: boolean): QmpCommand {
  return {
    execute: 'block-job-cancel',
    arguments: { device: disk.jobId, ...(force ? { force: true } : {}) },
  };
}

/**
 * Cuts an NBD client node's connection at once (QEMU's yank): its requests in flight fail
 * instead of waiting for a target that no longer answers.
 */
export function yankNode(node: string): QmpCommand {
  return { execute: 'yank', arguments: { instances: [{ type: 'block-node', 'node-name': node }] } };
}
