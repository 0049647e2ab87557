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
} as const;

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
