/**
 * The launcher's control API, version v1: HTTP/1.1 with JSON bodies over a unix socket.
 * Documented in docs/launcher-api.md. Routes and payload types live here so the server and
 * the handler's client cannot drift apart.
 */
export const API_VERSION = 'v1';

export const Routes = {
  version: '/v1/version',
  status: '/v1/status',
  stats: '/v1/stats',
  sync: '/v1/sync',
  shutdown: '/v1/shutdown',
  kill: '/v1/kill',
  pause: '/v1/pause',
  unpause: '/v1/unpause',
  reset: '/v1/reset',
  softReboot: '/v1/soft-reboot',
  events: '/v1/events',
  console: '/v1/console',
  vnc: '/v1/vnc',
  /** `?port=N[&protocol=tcp]`: a TCP connection to port N of the guest (KubeVirt's portforward). */
  portForward: '/v1/portforward',
  guestInfo: '/v1/guest-info',
  /** KubeVirt's VirtualMachineInstanceGuestAgentInfo, asked of the agent now (409 without one). */
  guestAgentInfo: '/v1/guest-agent-info',
  /** POST `?timeoutMs=N`: the agent's guest-ping, answered within N ms (the guestAgentPing probe). */
  guestPing: '/v1/guest-ping',
  guestUsers: '/v1/guest-users',
  guestFilesystems: '/v1/guest-filesystems',
  /** Body: FreezeRequest. Freezes the guest's filesystems through the agent. */
  freeze: '/v1/freeze',
  unfreeze: '/v1/unfreeze',
  /** GET: HotplugDisksBody (the guest's disks and their targets). */
  hotplug: '/v1/hotplug',
  /** POST, body AttachDiskRequest: hotplugs a disk image (SCSI); answers the GuestDisk. */
  hotplugAttach: '/v1/hotplug/attach',
  /** POST, body DetachDiskRequest: unplugs a hotplugged disk (waits for QEMU's DEVICE_DELETED). */
  hotplugDetach: '/v1/hotplug/detach',
  /** GET: MigrationStatus, on either side of a live migration (docs/launcher-api.md). */
  migration: '/v1/migration',
  /** POST, body MigrationIncomingRequest (target side): listen for the migration; answers MigrationIncomingReady. */
  migrationIncoming: '/v1/migration/incoming',
  /** POST, body MigrationStartRequest (source side): answers MigrationStatus once `migrate` was issued or mirroring started. */
  migrationStart: '/v1/migration/start',
  /** POST (source side): cancels the migration; the guest keeps running here. Answers MigrationStatus. */
  migrationCancel: '/v1/migration/cancel',
  /** POST (target side), after the source reported Completed: the guest runs here. Answers DomainStatus. */
  migrationFinish: '/v1/migration/finish',
} as const;

/** KubeVirt's direct migration port (LibvirtDirectMigrationPort): QEMU's migration stream. */
export const MIGRATION_PORT = 49152;
/** KubeVirt's block migration port (LibvirtBlockMigrationPort): the NBD server of the target. */
export const BLOCK_MIGRATION_PORT = 49153;

/** The effective migration settings (KubeVirt's migrationConfiguration, as the handler resolved them). */
export interface MigrationOptions {
  /** Bytes per second the migration may use; 0 = unlimited (bandwidthPerMigration). */
  readonly bandwidthBytesPerSecond: number;
  /** Let QEMU throttle the guest's vCPUs so a busy guest converges (allowAutoConverge). */
  readonly allowAutoConverge: boolean;
  /** Switch to post-copy when the completion timeout fires instead of cancelling (allowPostCopy). */
  readonly allowPostCopy: boolean;
  /** Seconds allowed per GB of data to move (guest memory plus mirrored disks); KubeVirt's default 150. */
  readonly completionTimeoutPerGiB: number;
  /** Seconds the remaining data may go without shrinking before the migration is cancelled; KubeVirt's default 150. */
  readonly progressTimeoutSeconds: number;
  /** Longest pause of the guest at the switchover QEMU aims for (QEMU's downtime-limit; its own default 300). */
  readonly maxDowntimeMs: number;
}

/**
 * How the two QEMUs are joined. `tcp`: the target listens on an address of its pod and the source
 * connects to it (two launchers that reach each other, as in the launcher's own tests). `unix`:
 * each QEMU uses unix sockets in its own directory (MIGRATION_SOCKETS) and the node handlers
 * carry the stream between the nodes, as KubeVirt's virt-handlers do: the pods' addresses play
 * no part, so a VM whose address moves with it (two pods with one address) migrates too.
 */
export type MigrationTransport = 'tcp' | 'unix';

/** The sockets of the `unix` transport, file names in the launcher's QEMU directory. */
export const MIGRATION_SOCKETS = {
  /** The target QEMU listens here for the migration stream. */
  incoming: 'mig-in.sock',
  /** The target QEMU's NBD server for mirrored disks. */
  incomingBlock: 'nbd-in.sock',
  /** The source QEMU sends the stream here (the handler listens and forwards it). */
  outgoing: 'mig-out.sock',
  /** The source QEMU's mirrors connect here (the handler listens and forwards them). */
  outgoingBlock: 'nbd-out.sock',
} as const;

export interface MigrationIncomingRequest {
  /** @default tcp */
  readonly transport?: MigrationTransport;
  /** The IP literal to listen on (the target pod's address); `tcp` only. */
  readonly address?: string;
  /** Set the post-copy capability, which must match the source's. */
  readonly allowPostCopy: boolean;
  /**
   * The port of QEMU's migration stream; 0 lets the launcher pick a free one (two launchers on
   * one host, as in tests). @default MIGRATION_PORT
   */
  readonly migrationPort?: number;
  /** The NBD server's port for mirrored disks; 0 picks a free one. @default BLOCK_MIGRATION_PORT */
  readonly blockPort?: number;
}

export interface MigrationIncomingReady {
  readonly transport: MigrationTransport;
  /** `tcp`: the address and ports listened on ('' and 0 with `unix`). */
  readonly address: string;
  readonly migrationPort: number;
  /** Present when disks are exported for block migration. */
  readonly blockPort?: number;
  /** Names of the spec disks exported over NBD (the source mirrors these). */
  readonly mirroredDisks: readonly string[];
}

export interface MigrationStartRequest {
  /**
   * `unix`: the stream goes to MIGRATION_SOCKETS.outgoing (and the mirrors to outgoingBlock) in
   * this launcher's QEMU directory, where the handler already listens; address and ports are
   * left out. @default tcp
   */
  readonly transport?: MigrationTransport;
  /** The target's address (MigrationIncomingReady.address); `tcp` only. */
  readonly address?: string;
  readonly migrationPort?: number;
  /** The target's NBD port; required when this VMI has disks to mirror. */
  readonly blockPort?: number;
  /**
   * What the target exported (MigrationIncomingReady.mirroredDisks). The source mirrors the disks
   * its own plan says are node-local and writable; a non-empty list must name exactly those (a
   * difference means the two sides run different specs). Empty: the source's own list.
   */
  readonly mirroredDisks: readonly string[];
  readonly options: MigrationOptions;
}

export type MigrationPhase =
  'None' | 'Incoming' | 'Mirroring' | 'Migrating' | 'PostCopy' | 'Completed' | 'Failed' | 'Cancelled';

/** Where a live migration stands on this launcher's side (GET /v1/migration). */
export interface MigrationStatus {
  readonly role: 'none' | 'source' | 'target';
  readonly phase: MigrationPhase;
  /** KubeVirt's migration mode (status.migrationState.mode). */
  readonly mode?: 'PreCopy' | 'PostCopy';
  /** ISO timestamps. */
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Why it failed: QEMU's error, or the timeout that fired, naming the VMI. */
  readonly failureReason?: string;
  /** Set once a cancel was requested (KubeVirt's abortStatus). */
  readonly abortStatus?: 'Succeeded' | 'Failed' | 'Aborting';
  /** From QEMU's query-migrate at completion. */
  readonly totalTimeMs?: number;
  readonly downtimeMs?: number;
  readonly setupTimeMs?: number;
  /** Progress of the guest's memory (source side, while migrating and at the end). */
  readonly ramTotalBytes?: number;
  readonly ramRemainingBytes?: number;
  readonly ramTransferredBytes?: number;
  /** Pages dirtied per second, and the passes over memory so far. */
  readonly dirtyPagesRate?: number;
  readonly iterations?: number;
}

export type { AttachDiskRequest, DetachDiskRequest, GuestDisk, HotplugDisksBody } from '../plan/hotplug';

/**
 * The `Upgrade` tokens of the stream routes: `GET /v1/console` with `Upgrade: virtkit-console`
 * joins the caller to the guest's serial console, `GET /v1/vnc` with `Upgrade: virtkit-vnc` to
 * QEMU's VNC server (raw RFB), `GET /v1/portforward?port=N` with `Upgrade: virtkit-portforward`
 * to TCP port N of the guest. After `101 Switching Protocols` the connection carries raw bytes.
 */
export const StreamUpgrade = {
  console: 'virtkit-console',
  vnc: 'virtkit-vnc',
  portForward: 'virtkit-portforward',
} as const;

/**
 * Query of `GET /v1/console`: `history=N` (bytes, 0 to MAX_CONSOLE_HISTORY_BYTES) first replays
 * the last N bytes of the serial console log (from the start of a line), then the live output,
 * with nothing lost or repeated in between. Without it only live output comes, as with KubeVirt.
 */
export const MAX_CONSOLE_HISTORY_BYTES = 64 * 1024;

export interface VersionInfo {
  readonly apiVersion: typeof API_VERSION;
  readonly launcherPid: number;
  readonly vmi: { readonly name: string; readonly namespace: string };
}

export interface FreezeRequest {
  /** Seconds after which the filesystems are thawed by themselves; 0 never. */
  readonly unfreezeTimeoutSeconds: number;
}

export interface ShutdownRequest {
  /** Seconds the guest gets after the power button; the VMI's terminationGracePeriodSeconds when left out. */
  readonly gracePeriodSeconds?: number;
}

/** Error body of every non-2xx answer. */
export interface ApiErrorBody {
  readonly error: { readonly type: string; readonly message: string };
}

export interface OkBody {
  readonly ok: true;
}
