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
  guestInfo: '/v1/guest-info',
} as const;

export interface VersionInfo {
  readonly apiVersion: typeof API_VERSION;
  readonly launcherPid: number;
  readonly vmi: { readonly name: string; readonly namespace: string };
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
