/**
 * The launcher's DHCPv4 server: a UDP socket on port 67 inside the pod's network namespace that
 * hands the QEMU guest its address, as KubeVirt's virt-launcher does for the masquerade and bridge
 * bindings. The I/O only: packet.ts decodes and encodes, lease.ts decides the answer.
 *
 * Why replies go by unicast to the offered address (yiaddr:68) and not by broadcast:
 * Node's dgram cannot bind a socket to a device (no SO_BINDTODEVICE), so the socket listens on
 * every interface of the namespace. A reply to the limited broadcast 255.255.255.255 would be
 * routed like any packet: along the pod's default route, out of eth0, not into the bridge where
 * the guest's tap sits. So the binding's set-up (in another file) installs a permanent neighbour
 * entry for the guest's address and MAC on the bridge (whose own address puts the guest's subnet,
 * or a route to the guest's address, on it); the kernel then delivers a unicast to yiaddr straight
 * to the guest's MAC without ARP, which the guest could not answer yet. The guest's DHCP client (busybox udhcpc, dhclient,
 * systemd-networkd) reads with a packet socket before it has an address, so it takes a unicast
 * frame addressed to the IP it was offered. A NAK goes to 255.255.255.255:68 (the client has no
 * address it may use); a request that came through a relay agent (giaddr set) is answered to the
 * relay on port 67, as RFC 2131 section 4.1 says. Tests override the destination.
 *
 * Bad datagrams are logged and dropped; nothing a guest sends can stop the server.
 */
import * as dgram from 'dgram';
import { checkLeases, dhcpAnswer, DhcpLeaseError, findLease, omittedOptions, type DhcpLease } from './lease';
import {
  decodeDhcp,
  DhcpMessageType,
  DhcpPacketError,
  encodeDhcp,
  maxMessageSize,
  messageType,
  messageTypeName,
  type DhcpMessage,
} from './packet';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export type DhcpLog = (level: 'debug' | 'warn', msg: string, fields?: object) => void;

export type DhcpLeaseTable = ReadonlyMap<string, DhcpLease> | readonly DhcpLease[];

export interface DhcpServerOptions {
  /** The guests this server answers for. Checked once; problems refuse the start. */
  readonly leases: DhcpLeaseTable;
  /** @default '0.0.0.0' */
  readonly bindAddress?: string;
  /** @default 67; 0 picks a free port (tests), read back from `port` */
  readonly port?: number;
  /** SO_REUSEADDR on the socket. @default true */
  readonly reuseAddr?: boolean;
  readonly log?: DhcpLog;
  /** Where to send a reply. @default `defaultDestination` */
  readonly destination?: (reply: DhcpMessage, lease?: DhcpLease) => { address: string; port: number };
}

/** The server could not start: the socket would not bind, or the leases are unusable. */
export class DhcpServerError extends Error {
  constructor(
    readonly address: string,
    readonly port: number,
    /** The errno name (EADDRINUSE, EACCES, EADDRNOTAVAIL...) when the bind failed. */
    readonly code: string | undefined,
    readonly detail: string,
    override readonly cause?: Error,
  ) {
    super(`DHCP server on ${address}:${port}: ${detail}`);
    this.name = 'DhcpServerError';
  }
}

/** Where a reply goes by default; see the file header for why. Pure. */
export function defaultDestination(reply: DhcpMessage, lease?: DhcpLease): { address: string; port: number } {
  if (reply.giaddr !== '0.0.0.0') return { address: reply.giaddr, port: DHCP_SERVER_PORT };
  if (messageType(reply) === DhcpMessageType.NAK)
    return { address: '255.255.255.255', port: DHCP_CLIENT_PORT };
  const address =
    reply.yiaddr !== '0.0.0.0' ? reply.yiaddr : reply.ciaddr !== '0.0.0.0' ? reply.ciaddr : lease?.ip;
  return { address: address ?? '255.255.255.255', port: DHCP_CLIENT_PORT };
}

/** What a failed bind means, for the operator. Pure. */
export function explainBindError(code: string | undefined, address: string, port: number): string {
  switch (code) {
    case 'EADDRINUSE':
      return `${address}:${port} is already in use (another DHCP server, such as dnsmasq, in this network namespace?)`;
    case 'EACCES':
    case 'EPERM':
      return `port ${port} needs root or CAP_NET_BIND_SERVICE`;
    case 'EADDRNOTAVAIL':
      return `${address} is not an address of this network namespace`;
    default:
      return 'the socket could not be bound';
  }
}

export class DhcpServer {
  private leases: DhcpLeaseTable;
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    /** The address the socket is bound to. */
    readonly address: string,
    /** The UDP port the socket is bound to (the real one when 0 was asked for). */
    readonly port: number,
    private readonly options: DhcpServerOptions,
  ) {
    this.leases = options.leases;
  }

  /** Check the leases, bind the socket, and serve; resolves once bound (ready). */
  static async start(options: DhcpServerOptions): Promise<DhcpServer> {
    const address = options.bindAddress ?? '0.0.0.0';
    const port = options.port ?? DHCP_SERVER_PORT;
    const problems = checkLeases(options.leases);
    if (problems.length > 0)
      throw new DhcpServerError(
        address,
        port,
        undefined,
        `refusing to start: ${problems.join('; ')}`,
        new DhcpLeaseError(problems),
      );

    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: options.reuseAddr ?? true });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        socket.removeListener('listening', onListening);
        try {
          socket.close();
        } catch {
          // never opened: nothing to close
        }
        reject(
          new DhcpServerError(
            address,
            port,
            err.code,
            `cannot bind: ${explainBindError(err.code, address, port)} (${err.message})`,
            err,
          ),
        );
      };
      const onListening = () => {
        socket.removeListener('error', onError);
        resolve();
      };
      socket.once('error', onError);
      socket.once('listening', onListening);
      socket.bind({ address, port });
    });
    socket.setBroadcast(true);

    const server = new DhcpServer(socket, address, socket.address().port, options);
    socket.on('message', (buf, rinfo) => server.onMessage(buf, rinfo));
    socket.on('error', (err) =>
      server.log('warn', 'DHCP socket error', { error: err.message, address, port: server.port }),
    );
    server.log('debug', 'DHCP server ready', { address, port: server.port });
    return server;
  }

  /** Replace the lease table; throws DhcpLeaseError (keeping the old table) if it has problems. */
  updateLeases(leases: DhcpLeaseTable): void {
    const problems = checkLeases(leases);
    if (problems.length > 0) throw new DhcpLeaseError(problems);
    this.leases = leases;
  }

  /** Stop serving; resolves once the socket is closed. Safe to call more than once. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
    return this.closed;
  }

  private log(level: 'debug' | 'warn', msg: string, fields?: object): void {
    this.options.log?.(level, msg, fields);
  }

  private onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const from = `${rinfo.address}:${rinfo.port}`;
    let request: DhcpMessage;
    try {
      request = decodeDhcp(buf);
    } catch (err) {
      if (!(err instanceof DhcpPacketError)) throw err;
      this.log('warn', 'dropped a bad DHCP packet', { from, bytes: buf.length, error: err.message });
      return;
    }

    let reply: DhcpMessage | undefined;
    let out: Buffer;
    let lease: DhcpLease | undefined;
    try {
      reply = dhcpAnswer(request, this.leases);
      if (!reply) {
        this.log('debug', 'DHCP request not answered', {
          from,
          type: messageTypeName(messageType(request)),
          mac: request.chaddr,
        });
        return;
      }
      lease = findLease(this.leases, request.chaddr);
      out = encodeDhcp(reply);
      const omitted = lease ? omittedOptions(reply, lease) : [];
      if (omitted.length > 0)
        this.log('warn', 'DHCP options left out of a reply: the client takes no longer message', {
          mac: request.chaddr,
          options: omitted,
          maxMessageSize: maxMessageSize(request),
        });
    } catch (err) {
      // The leases were checked, so this is a bug; log it rather than take the launcher down.
      this.log('warn', 'failed to build a DHCP reply', {
        from,
        mac: request.chaddr,
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }

    let to: { address: string; port: number };
    try {
      to = (this.options.destination ?? defaultDestination)(reply, lease);
    } catch (err) {
      this.log('warn', 'DHCP reply destination failed', {
        error: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    const fields = {
      type: messageTypeName(messageType(reply)),
      mac: reply.chaddr,
      yiaddr: reply.yiaddr,
      to: `${to.address}:${to.port}`,
    };
    if (this.closed) return;
    try {
      this.socket.send(out, to.port, to.address, (err) => {
        if (err) this.log('warn', 'failed to send a DHCP reply', { ...fields, error: err.message });
        else this.log('debug', 'sent a DHCP reply', fields);
      });
    } catch (err) {
      // A bad destination address throws synchronously; the next request still gets served.
      this.log('warn', 'failed to send a DHCP reply', {
        ...fields,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
