/**
 * One probe run against a guest, through its launcher (I/O): a TCP connection to the guest's
 * port (the connection port-forward uses), an HTTP GET over such a connection (TLS without
 * verification for HTTPS, as kubelet does), or the guest agent's guest-ping. Every run ends
 * within the probe's timeout; failures carry kubelet's words where kubelet has them.
 */
import * as http from 'http';
import type * as net from 'net';
import * as tls from 'tls';
import { LauncherApiError, type LauncherClient } from '../../launcher/api/client';
import type { ProbePlan, ProbeResult } from './plan';

/** kubelet's User-Agent for probes (its minor version in the real one). */
const USER_AGENT = 'kube-probe/virtkit';
/**
 * Reaching the guest's port goes through the launcher (QEMU's user network sets a forward up
 * first), which a kubelet dialling a pod IP does not pay: that part gets this much on top of the
 * probe's timeout, which then covers the guest's answer alone.
 */
const SETUP_ALLOWANCE_MS = 5000;
/** At most this much of an answer is read; kubelet reads 10 KiB too. */
const MAX_BODY_BYTES = 10 * 1024;

const reason = (e: unknown): string =>
  e instanceof LauncherApiError ? e.detail : e instanceof Error ? e.message : String(e);

/** Rejects after `ms` with `what timed out`; the caller's cleanup runs either way. */
function within<T>(ms: number, what: string, p: Promise<T>, cleanup: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000}s`)), ms);
    }),
  ]).finally(() => {
    clearTimeout(timer);
    cleanup();
  });
}

export async function runProbe(
  plan: ProbePlan,
  launcher: LauncherClient,
  /** The VMI's address, for the Host header (what kubelet sends: the pod IP). */
  address: string,
): Promise<ProbeResult> {
  const a = plan.action;
  const sockets: net.Socket[] = [];
  const cleanup = (): void => sockets.forEach((s) => s.destroy());
  try {
    if (a.type === 'guestAgentPing') {
      await launcher.guestPing(plan.timeoutMs);
      return { ok: true };
    }
    const dial = `dial tcp ${address}:${a.port}`;
    if (a.type === 'tcpSocket') {
      (await connect(launcher, a.port, plan.timeoutMs, dial)).destroy();
      return { ok: true };
    }
    const url = `${a.scheme.toLowerCase()}://${address}:${a.port}${a.path}`;
    const what = `Get "${url}"`;
    let socket: net.Socket = await connect(launcher, a.port, plan.timeoutMs, `${what}: ${dial}`);
    sockets.push(socket);
    const status = await within(
      plan.timeoutMs,
      what,
      (async () => {
        if (a.scheme === 'HTTPS') {
          socket = tls.connect({ socket, rejectUnauthorized: false, servername: undefined });
          sockets.push(socket);
        }
        return await httpGet(socket, what, a.path, `${address}:${a.port}`, a.headers);
      })(),
      cleanup,
    );
    if (status >= 200 && status < 400) return { ok: true };
    return { ok: false, message: `HTTP probe failed with statuscode: ${status}` };
  } catch (e) {
    return { ok: false, message: reason(e) };
  } finally {
    cleanup();
  }
}

/**
 * The guest's port through the launcher, within the timeout plus the set-up allowance; a
 * connection that arrives late is closed. Failures read `<what>: <why>`.
 */
async function connect(
  launcher: LauncherClient,
  port: number,
  timeoutMs: number,
  what: string,
): Promise<net.Socket> {
  const pending = launcher.guestPort(port);
  let timer: NodeJS.Timeout | undefined;
  const ms = timeoutMs + SETUP_ALLOWANCE_MS;
  try {
    return await Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          pending.then(
            (s) => s.destroy(),
            () => undefined,
          );
          reject(new Error(`${what}: timed out after ${ms / 1000}s`));
        }, ms);
      }),
    ]);
  } catch (e) {
    throw new Error(e instanceof LauncherApiError ? `${what}: ${reason(e)}` : reason(e));
  } finally {
    clearTimeout(timer);
  }
}

/** A GET over `socket`; resolves with the status once the (capped) answer is read. */
function httpGet(
  socket: net.Socket,
  what: string,
  path: string,
  host: string,
  headers: readonly { name: string; value: string }[],
): Promise<number> {
  return new Promise((resolve, reject) => {
    const extra: Record<string, string> = {};
    for (const h of headers) extra[h.name] = h.value;
    const req = http.request({
      createConnection: () => socket,
      method: 'GET',
      path,
      headers: {
        host,
        'user-agent': USER_AGENT,
        accept: '*/*',
        connection: 'close',
        ...extra,
      },
    });
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (c: Buffer) => {
        read += c.length;
        if (read > MAX_BODY_BYTES) res.destroy();
      });
      const done = (): void => resolve(res.statusCode ?? 0);
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e) => reject(new Error(`${what}: ${e.message}`)));
    req.end();
  });
}
