/**
 * A TCP connection to a port of the guest, for KubeVirt's `portforward` subresource.
 *
 * KubeVirt's virt-handler dials the VMI's pod IP, whose ports masquerade forwards to the guest.
 * Until virtkit's launcher pods have their own network (the networks issue), the pod network is
 * QEMU's user-mode NAT (slirp), which has no address outside QEMU. So the launcher asks slirp for
 * a host forward (HMP `hostfwd_add`, through QMP's human-monitor-command) from a free port on
 * 127.0.0.1 to the guest's port, connects to it once, and removes the forward at once, whatever
 * happened: the accepted connection lives on, the listening socket is gone. The forward exists
 * for the milliseconds between those two commands; a local process would have to guess its
 * random port within that window to reach a guest port, which KubeVirt leaves open to the whole
 * pod network anyway.
 *
 * The kernel completes a TCP handshake before slirp's main loop accept()s it, and removing the
 * forward closes the listening socket with whatever it has not accepted yet (the client then
 * sees a reset). So the forward is removed only once slirp lists the connection as its own in
 * HMP `info usernet` (a row of the forward's host port in a state other than HOST_FORWARD).
 *
 * slirp accepts the connection before the guest has: a guest port nobody listens on shows up as
 * a connection that ends at once without a byte (the caller says so to the user).
 */
import * as net from 'net';
import { forwardProtocolOf, tcpPortOf, UDP_FORWARD_UNSUPPORTED } from '../../common/tcp-port';

/** The part of the QMP client this needs (tests pass their own). */
export interface HmpRunner {
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
}

/** What a caller may forward to. */
export const FORWARDABLE_PROTOCOLS = ['tcp'] as const;

export class PortForwardError extends Error {
  constructor(
    message: string,
    /** 'BadRequest' for the caller's mistake, 'Unavailable' for the guest's or QEMU's state. */
    readonly type: 'BadRequest' | 'Unavailable',
  ) {
    super(message);
    this.name = 'PortForwardError';
  }
}

/** A port as the route takes it: 1 to 65535, digits only. Pure. */
export function parseGuestPort(value: string | null): number | PortForwardError {
  return (
    tcpPortOf(value) ??
    new PortForwardError(
      `port must be a TCP port number from 1 to 65535, got ${JSON.stringify(value)}`,
      'BadRequest',
    )
  );
}

/** A protocol as the route takes it: tcp (the default), else a clear refusal. Pure. */
export function parseProtocol(value: string | null): 'tcp' | PortForwardError {
  const p = forwardProtocolOf(value ?? 'tcp');
  if (p === 'tcp') return 'tcp';
  if (p === 'udp') return new PortForwardError(UDP_FORWARD_UNSUPPORTED, 'BadRequest');
  return new PortForwardError(`protocol must be tcp or udp, got ${JSON.stringify(value)}`, 'BadRequest');
}

/** The HMP commands that open and close one forward. Pure; the values are numbers and a checked id. */
export function hostForwardCommands(
  netdevId: string,
  hostPort: number,
  guestPort: number,
): { add: string; remove: string } {
  if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(netdevId))
    throw new Error(`bad netdev id ${JSON.stringify(netdevId)}`);
  const rule = `tcp:127.0.0.1:${hostPort}`;
  return {
    add: `hostfwd_add ${netdevId} ${rule}-:${guestPort}`,
    remove: `hostfwd_remove ${netdevId} ${rule}`,
  };
}

/** A port on 127.0.0.1 free right now (the kernel picks it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Whether `info usernet` lists a connection slirp accepted on host port `hostPort` (rows are
 * `TCP[STATE] FD SRC-ADDR SRC-PORT DST-ADDR DST-PORT RECVQ SENDQ`, the forward's own row being
 * `TCP[HOST_FORWARD]`). Pure.
 */
export function usernetHasConnection(infoUsernet: string, hostPort: number): boolean {
  return infoUsernet.split('\n').some((line) => {
    const m = /^\s*TCP\[([A-Z_]+)\]\s+\d+\s+127\.0\.0\.1\s+(\d+)\s/.exec(line);
    return m !== null && m[1] !== 'HOST_FORWARD' && Number(m[2]) === hostPort;
  });
}

/**
 * Resolves once slirp took the connection: `info usernet` lists it, or the connection already
 * ended from the far side (slirp accepted it and the guest refused the port: the row can come and
 * go between two polls, which on a loaded machine are far apart).
 */
async function waitAccepted(
  hmp: HmpRunner,
  sock: net.Socket,
  hostPort: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = sock.readableEnded || sock.destroyed;
  const onEnd = (): void => {
    ended = true;
  };
  // A paused socket emits 'end' only when read: read(0) takes no data and lets an EOF through.
  const onReadable = (): void => void sock.read(0);
  sock.once('end', onEnd);
  sock.once('close', onEnd);
  sock.on('readable', onReadable);
  try {
    await pollAccepted(hmp, hostPort, deadline, timeoutMs, () => ended);
  } finally {
    sock.off('end', onEnd);
    sock.off('close', onEnd);
    sock.off('readable', onReadable);
  }
}

async function pollAccepted(
  hmp: HmpRunner,
  hostPort: number,
  deadline: number,
  timeoutMs: number,
  ended: () => boolean,
): Promise<void> {
  for (;;) {
    if (ended()) return;
    const info = await hmp.execute<string>(
      'human-monitor-command',
      { 'command-line': 'info usernet' },
      timeoutMs,
    );
    if (ended() || (typeof info === 'string' && usernetHasConnection(info, hostPort))) return;
    if (Date.now() > deadline)
      throw new Error(`QEMU did not take the connection on 127.0.0.1:${hostPort} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface OpenGuestPortOptions {
  /** @default 3 attempts (a port taken between the pick and the forward is picked again) */
  readonly attempts?: number;
  /** @default freeLoopbackPort */
  readonly pickPort?: () => Promise<number>;
  /** @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Opens a TCP connection to `guestPort` of the guest behind slirp netdev `netdevId`. The forward
 * is removed before this returns, also when the connection failed.
 */
export async function openGuestPort(
  hmp: HmpRunner,
  netdevId: string,
  guestPort: number,
  o: OpenGuestPortOptions = {},
): Promise<net.Socket> {
  const attempts = o.attempts ?? 3;
  const timeoutMs = o.timeoutMs ?? 5000;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    const hostPort = await (o.pickPort ?? freeLoopbackPort)();
    const cmd = hostForwardCommands(netdevId, hostPort, guestPort);
    const added = await hmp.execute<string>('human-monitor-command', { 'command-line': cmd.add }, timeoutMs);
    // HMP says nothing on success and prints the reason otherwise.
    if (typeof added === 'string' && added.trim() !== '') {
      last = added.trim();
      continue;
    }
    let sock: net.Socket | undefined;
    try {
      sock = await connect('127.0.0.1', hostPort, timeoutMs);
      await waitAccepted(hmp, sock, hostPort, timeoutMs);
      return sock;
    } catch (e) {
      sock?.destroy();
      last = (e as Error).message;
    } finally {
      await hmp
        .execute('human-monitor-command', { 'command-line': cmd.remove }, timeoutMs)
        .catch(() => undefined);
    }
  }
  throw new PortForwardError(`cannot open a connection to guest port ${guestPort}: ${last}`, 'Unavailable');
}

/**
 * A TCP connection to the guest's own address (a masquerade binding's 10.0.2.2), from the pod's
 * namespace the launcher runs in; a port nobody listens on is a refusal that says so.
 */
export function connectGuestAddress(address: string, port: number, timeoutMs = 5000): Promise<net.Socket> {
  return connect(address, port, timeoutMs).catch((e: NodeJS.ErrnoException) => {
    throw new PortForwardError(
      e.code === 'ECONNREFUSED'
        ? `the guest refused a connection to port ${port} (does anything listen on it?)`
        : `cannot open a connection to guest port ${port} at ${address}: ${e.message}`,
      'Unavailable',
    );
  });
}
