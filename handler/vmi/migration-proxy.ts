/**
 * The handlers carry a migration between the nodes, as KubeVirt's virt-handlers do (I/O): the
 * launchers' QEMUs use unix sockets in their own directories (the launcher's `unix` transport),
 * and the pods' addresses play no part, so a VM whose address moves with it (a Kube-OVN address
 * kept for the VM: two pods with one address) migrates like any other.
 *
 *   target: for each socket its QEMU listens on (the stream, the NBD server of mirrored disks),
 *           a TCP listener on this node's address; every connection to it is piped to the socket.
 *   source: a unix socket in the source QEMU's directory for each (MIGRATION_SOCKETS.outgoing,
 *           outgoingBlock), owned by QEMU's user; every connection to it is piped to the target
 *           node's address and port.
 *
 * Proxies are keyed by migration and side, made again by the next sync after a handler restart
 * (the migration then fails, as in KubeVirt), and closed when their migration ends.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Logger } from '../../common/log';
import { MIGRATION_SOCKETS } from '../../launcher/api/protocol';

/**
 * Pipes two sockets together: an end that finishes ends the other after what it sent was
 * written (the last bytes of a migration are not cut off); an end that fails destroys both.
 */
function pipe(a: net.Socket, b: net.Socket): void {
  const fail = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', fail);
  b.on('error', fail);
  // One end gone without an error (cut by a forced close): the other finishes what it has.
  a.once('close', () => b.end());
  b.once('close', () => a.end());
  a.pipe(b);
  b.pipe(a);
}

/** Remembers both ends of a proxied connection until they close. */
function track(connections: Set<net.Socket>, ...sockets: net.Socket[]): void {
  for (const s of sockets) {
    connections.add(s);
    s.once('close', () => connections.delete(s));
  }
}

function listen(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Linux's O_PATH (Node does not name it): a descriptor of the file itself, never opened for I/O. */
const O_PATH = 0o10000000;

/**
 * Gives the socket just bound at `file` to `uid`/`gid`, mode 0600, through a descriptor of the
 * file itself (O_PATH | O_NOFOLLOW): the directory is QEMU's user's, who could swap the socket
 * for a link to another file between the bind and a chown by path; through the descriptor, only
 * a socket is ever changed.
 */
export function ownSocket(file: string, uid: number, gid: number): void {
  const fd = fs.openSync(file, O_PATH | fs.constants.O_NOFOLLOW);
  try {
    if (!fs.fstatSync(fd).isSocket())
      throw new Error(`${file}: not the socket the handler bound (replaced); refusing to change its owner`);
    const self = `/proc/self/fd/${fd}`;
    fs.chownSync(self, uid, gid);
    fs.chmodSync(self, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Opens QEMU's folder `dir` (its own path, never a link to it) to bind the source's sockets in
 * it: O_DIRECTORY | O_NOFOLLOW, and checked to be the folder at exactly that place (the
 * descriptor's /proc path against the real path of its parent plus its name). Binding, removing
 * and owning then go through `/proc/self/fd/N/<name>` (short, whatever the folder's path's
 * length): a launcher that swaps its folder for a link, before or after this, cannot make the
 * handler (root) bind or unlink anywhere else. The folder's parent (the pod's private volume, the
 * process runtime's work folder) is one the launcher may fill but not replace. The caller closes
 * the descriptor once the sockets are closed.
 */
export function openQemuDir(dir: string): number {
  const target = path.resolve(dir);
  const expected = path.join(fs.realpathSync(path.dirname(target)), path.basename(target));
  let fd: number;
  try {
    fd = fs.openSync(target, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ELOOP' || code === 'ENOTDIR'
        ? `${target}: QEMU's folder was replaced by something else than a folder; refusing to bind migration sockets in it`
        : `opening QEMU's folder ${target}: ${(err as Error).message}`,
    );
  }
  const real = fs.readlinkSync(`/proc/self/fd/${fd}`);
  if (real !== expected) {
    fs.closeSync(fd);
    throw new Error(
      `${target}: QEMU's folder is ${real}, not where it belongs (${expected}: a link on the way was swapped in); refusing to bind migration sockets in it`,
    );
  }
  return fd;
}

/** Where a target's proxies listen: the node's address and a port per socket. */
export interface TargetProxyPorts {
  readonly migrationPort: number;
  readonly blockPort?: number;
}

/** Where a source's proxies send to: the target node's address and ports. */
export interface SourceProxyTarget {
  readonly address: string;
  readonly migrationPort: number;
  readonly blockPort?: number;
}

interface Proxy {
  readonly servers: readonly net.Server[];
  readonly connections: Set<net.Socket>;
  readonly answer: unknown;
  /** The source's descriptor of QEMU's folder (its sockets' paths go through it), closed after the servers. */
  readonly dirFd?: number;
}

export class MigrationProxies {
  private readonly proxies = new Map<string, Proxy>();

  constructor(
    private readonly o: {
      /** This node's address, where targets listen (the handler's Node InternalIP). */
      readonly address: string;
      readonly log: Logger;
    },
  ) {}

  /** This node's address, where its target proxies listen. */
  get address(): string {
    return this.o.address;
  }

  /**
   * The target side of migration `key`: listens on this node's address for the target QEMU's
   * sockets in `qemuDir` (the NBD one only when `block`). Asking again answers the same ports.
   */
  async target(key: string, qemuDir: string, block: boolean): Promise<TargetProxyPorts> {
    const had = this.proxies.get(key);
    if (had) return had.answer as TargetProxyPorts;
    const connections = new Set<net.Socket>();
    const forward = (socket: string): net.Server =>
      net.createServer((c) => {
        const u = net.connect(socket);
        track(connections, c, u);
        pipe(c, u);
      });
    const servers = [forward(path.join(qemuDir, MIGRATION_SOCKETS.incoming))];
    if (block) servers.push(forward(path.join(qemuDir, MIGRATION_SOCKETS.incomingBlock)));
    try {
      for (const s of servers) await listen(s, { host: this.o.address, port: 0, exclusive: true });
    } catch (e) {
      for (const s of servers) s.close();
      throw e;
    }
    const port = (s: net.Server | undefined): number | undefined =>
      s ? (s.address() as net.AddressInfo).port : undefined;
    const answer: TargetProxyPorts = {
      migrationPort: port(servers[0]) ?? 0,
      ...(block ? { blockPort: port(servers[1]) } : {}),
    };
    this.proxies.set(key, { servers, connections, answer });
    this.o.log.info(
      { migration: key },
      `migration target proxy: ${this.o.address}:${answer.migrationPort}${block ? ` and :${answer.blockPort}` : ''} -> ${qemuDir}`,
    );
    return answer;
  }

  /**
   * The source side of migration `key`: unix sockets in the source QEMU's directory `qemuDir`
   * (its own path, not a link: see openQemuDir; owned by the directory's owner, QEMU's user)
   * that forward to the target node.
   */
  async source(key: string, qemuDir: string, to: SourceProxyTarget): Promise<void> {
    if (this.proxies.has(key)) return;
    const connections = new Set<net.Socket>();
    const forward = (port: number): net.Server =>
      net.createServer((c) => {
        const u = net.connect({ host: to.address, port });
        u.setNoDelay(true);
        track(connections, c, u);
        pipe(c, u);
      });
    // Every path below goes through the folder's descriptor, never through the folder's path.
    const dirFd = openQemuDir(qemuDir);
    const inDir = (name: string): string => `/proc/self/fd/${dirFd}/${name}`;
    const owner = fs.fstatSync(dirFd);
    const made: { server: net.Server; file: string }[] = [
      { server: forward(to.migrationPort), file: inDir(MIGRATION_SOCKETS.outgoing) },
    ];
    if (to.blockPort !== undefined)
      made.push({ server: forward(to.blockPort), file: inDir(MIGRATION_SOCKETS.outgoingBlock) });
    try {
      for (const m of made) {
        // A socket file of an earlier migration out of this launcher would make the bind fail.
        fs.rmSync(m.file, { force: true });
        await listen(m.server, { path: m.file });
        // QEMU runs as its own user and connects: the socket is its, owner-only.
        ownSocket(m.file, owner.uid, owner.gid);
      }
    } catch (e) {
      await Promise.all(made.map((m) => new Promise((r) => m.server.close(r))));
      fs.closeSync(dirFd);
      throw e;
    }
    this.proxies.set(key, { servers: made.map((m) => m.server), connections, answer: undefined, dirFd });
    this.o.log.info(
      { migration: key },
      `migration source proxy: ${qemuDir} -> ${to.address}:${to.migrationPort}${to.blockPort !== undefined ? ` and :${to.blockPort}` : ''}`,
    );
  }

  /** The keys of the proxies open now. */
  keys(): string[] {
    return [...this.proxies.keys()];
  }

  /**
   * Stops the proxies of `key` taking connections; `force` also cuts the connections open
   * through them (a failed or abandoned migration), else they finish on their own.
   */
  close(key: string, o: { force: boolean }): void {
    const p = this.proxies.get(key);
    if (!p) return;
    this.proxies.delete(key);
    // A closed unix server unlinks its path: the folder's descriptor stays open until then.
    void Promise.all(p.servers.map((s) => new Promise((r) => s.close(r)))).then(() => {
      if (p.dirFd !== undefined) fs.closeSync(p.dirFd);
    });
    if (o.force) for (const c of p.connections) c.destroy();
    this.o.log.info({ migration: key }, `migration proxy closed${o.force ? ' (connections cut)' : ''}`);
  }

  closeAll(): void {
    for (const k of this.keys()) this.close(k, { force: true });
  }
}
