/** Typed client of the launcher control API (for the handler and the CLI). */
import * as http from 'http';
import type * as net from 'net';
import type { GuestInfo } from '../qga/protocol';
import type { DomainEvent, DomainStats, DomainStatus, ShutdownResult } from '../runtime/domain-types';
import type {
  VirtualMachineInstanceFileSystem,
  VirtualMachineInstanceGuestAgentInfo,
  VirtualMachineInstanceGuestOSUser,
} from '../../api/kubevirt/v1/vmi-subresources';
import {
  Routes,
  StreamUpgrade,
  type ApiErrorBody,
  type AttachDiskRequest,
  type FreezeRequest,
  type GuestDisk,
  type HotplugDisksBody,
  type MigrationIncomingReady,
  type MigrationIncomingRequest,
  type MigrationStartRequest,
  type MigrationStatus,
  type VersionInfo,
} from './protocol';

export class LauncherApiError extends Error {
  constructor(
    readonly socketPath: string,
    readonly route: string,
    readonly statusCode: number,
    readonly type: string,
    /** What went wrong, without where: the launcher's own message. */
    readonly detail: string,
  ) {
    super(`launcher at ${socketPath}: ${route} failed (${statusCode} ${type}): ${detail}`);
    this.name = 'LauncherApiError';
  }
}

export class LauncherClient {
  constructor(readonly socketPath: string) {}

  private request<T>(method: 'GET' | 'POST', route: string, body?: unknown, timeoutMs = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          socketPath: this.socketPath,
          method,
          path: route,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
          timeout: timeoutMs || undefined,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              return reject(
                new LauncherApiError(
                  this.socketPath,
                  route,
                  res.statusCode ?? 0,
                  'BadResponse',
                  text.slice(0, 200),
                ),
              );
            }
            if ((res.statusCode ?? 500) >= 300) {
              const err = (parsed as ApiErrorBody).error;
              return reject(
                new LauncherApiError(
                  this.socketPath,
                  route,
                  res.statusCode ?? 0,
                  err?.type ?? 'Error',
                  err?.message ?? text,
                ),
              );
            }
            resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) =>
        reject(new LauncherApiError(this.socketPath, route, 0, 'Unreachable', e.message)),
      );
      if (payload) req.write(payload);
      req.end();
    });
  }

  version(): Promise<VersionInfo> {
    return this.request('GET', Routes.version, undefined, 5000);
  }
  status(): Promise<DomainStatus> {
    return this.request('GET', Routes.status);
  }
  stats(): Promise<DomainStats> {
    return this.request('GET', Routes.stats);
  }
  sync(): Promise<DomainStatus> {
    return this.request('POST', Routes.sync);
  }
  shutdown(gracePeriodSeconds?: number): Promise<ShutdownResult> {
    return this.request(
      'POST',
      Routes.shutdown,
      gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds },
    );
  }
  kill(): Promise<ShutdownResult> {
    return this.request('POST', Routes.kill);
  }
  pause(): Promise<{ ok: true }> {
    return this.request('POST', Routes.pause);
  }
  unpause(): Promise<{ ok: true }> {
    return this.request('POST', Routes.unpause);
  }
  reset(): Promise<{ ok: true }> {
    return this.request('POST', Routes.reset);
  }
  softReboot(): Promise<{ ok: true }> {
    return this.request('POST', Routes.softReboot);
  }
  /** The guest's disks (boot-time and hotplugged) with their targets. */
  hotplugDisks(): Promise<HotplugDisksBody> {
    return this.request('GET', Routes.hotplug, undefined, 10_000);
  }
  attachDisk(req: AttachDiskRequest): Promise<GuestDisk> {
    return this.request('POST', Routes.hotplugAttach, req, 30_000);
  }
  /** Waits for the guest to let go of the disk (QEMU's DEVICE_DELETED, up to 30 s). */
  detachDisk(name: string): Promise<{ ok: true }> {
    return this.request('POST', Routes.hotplugDetach, { name }, 40_000);
  }
  /** What the guest agent last said; answers at once (the launcher polls the agent itself). */
  guestInfo(): Promise<GuestInfo> {
    return this.request('GET', Routes.guestInfo, undefined, 5000);
  }
  /** KubeVirt's guest agent info, asked of the agent now; a 409 LauncherApiError without an agent. */
  guestAgentInfo(): Promise<VirtualMachineInstanceGuestAgentInfo> {
    return this.request('GET', Routes.guestAgentInfo, undefined, 30_000);
  }
  /** The agent's guest-ping within `timeoutMs`; a 409 LauncherApiError when it does not answer. */
  guestPing(timeoutMs: number): Promise<{ ok: true }> {
    return this.request(
      'POST',
      `${Routes.guestPing}?timeoutMs=${Math.max(1, Math.round(timeoutMs))}`,
      undefined,
      timeoutMs + 5000,
    );
  }
  guestUsers(): Promise<VirtualMachineInstanceGuestOSUser[]> {
    return this.request('GET', Routes.guestUsers, undefined, 30_000);
  }
  guestFilesystems(): Promise<VirtualMachineInstanceFileSystem[]> {
    return this.request('GET', Routes.guestFilesystems, undefined, 30_000);
  }
  freeze(unfreezeTimeoutSeconds: number): Promise<{ ok: true }> {
    return this.request('POST', Routes.freeze, { unfreezeTimeoutSeconds } satisfies FreezeRequest, 60_000);
  }
  unfreeze(): Promise<{ ok: true }> {
    return this.request('POST', Routes.unfreeze, undefined, 60_000);
  }

  /** Where a live migration stands on this launcher's side (either side). */
  migration(): Promise<MigrationStatus> {
    return this.request('GET', Routes.migration, undefined, 10_000);
  }
  /** Target side: listen for the migration (and export the disks to mirror). */
  migrationIncoming(req: MigrationIncomingRequest): Promise<MigrationIncomingReady> {
    return this.request('POST', Routes.migrationIncoming, req, 60_000);
  }
  /** Source side: answers once mirroring started or `migrate` was issued, not at the end. */
  migrationStart(req: MigrationStartRequest): Promise<MigrationStatus> {
    return this.request('POST', Routes.migrationStart, req, 120_000);
  }
  /** Source side: cancels the migration; answers once it ended (the guest runs on the source). */
  migrationCancel(): Promise<MigrationStatus> {
    return this.request('POST', Routes.migrationCancel, undefined, 120_000);
  }
  /** Target side, after the source reported Completed: the guest runs on the target. */
  migrationFinish(): Promise<DomainStatus> {
    return this.request('POST', Routes.migrationFinish, undefined, 120_000);
  }

  /** Streams domain events (history first); returns a function that stops the stream. */
  events(onEvent: (e: DomainEvent) => void, onEnd?: (err?: Error) => void): () => void {
    const req = http.request({ socketPath: this.socketPath, method: 'GET', path: Routes.events }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onEvent(JSON.parse(line) as DomainEvent);
        }
      });
      res.on('end', () => onEnd?.());
    });
    req.on('error', (e) => onEnd?.(e));
    req.end();
    return () => req.destroy();
  }

  /** Attaches to the serial console: a raw duplex byte stream. */
  console(): Promise<net.Socket> {
    return this.upgrade(
      Routes.console,
      StreamUpgrade.console,
      'NoConsole',
      'the launcher refused the console',
    );
  }

  /**
   * A TCP connection to port `port` of the guest (the route port-forward uses): resolves once the
   * guest accepted it; a port nothing listens on is a 409 LauncherApiError naming the reason.
   */
  guestPort(port: number): Promise<net.Socket> {
    return this.upgrade(
      `${Routes.portForward}?port=${port}`,
      StreamUpgrade.portForward,
      'PortForwardUnavailable',
    );
  }

  private upgrade(path: string, token: string, type: string, fallback?: string): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socketPath,
        method: 'GET',
        path,
        headers: { connection: 'Upgrade', upgrade: token },
      });
      req.on('upgrade', (_res, socket) => resolve(socket));
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 4096) body += c;
        });
        res.on('end', () => {
          let message = fallback ?? `the launcher refused ${path}`;
          let reason = type;
          try {
            const parsed = JSON.parse(body) as { error?: { type?: string; message?: string } };
            if (!fallback && parsed.error?.message) message = parsed.error.message;
            if (parsed.error?.type) reason = parsed.error.type;
          } catch {
            // not JSON: keep the fallback
          }
          reject(new LauncherApiError(this.socketPath, path, res.statusCode ?? 0, reason, message));
        });
      });
      req.on('error', (e) =>
        reject(new LauncherApiError(this.socketPath, path, 0, 'Unreachable', e.message)),
      );
      req.end();
    });
  }
}
