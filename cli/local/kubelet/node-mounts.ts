/**
 * A kubelet node's own mount namespace, so that the host paths a node's pods and kubelet use are
 * the node's, as on a machine of its own (kind gives each node a container for this): inside it
 * `/var/lib/kubelet` is the node's kubelet folder (kubelet 1.35 keeps its device-plugin socket
 * at `/var/lib/kubelet/device-plugins/` whatever `--root-dir` says, and the handler DaemonSet
 * mounts `/var/lib/kubelet/pods`), and `/var/lib/virtkit` and `/run/virtkit` (the handler's state
 * and the launcher sockets, hostPath volumes of the install) and `/run/netns` (its pods' network
 * namespace files) are folders of the node's own.
 *
 * The namespace is a slave of the host's (what the host mounts later shows inside; nothing
 * mounted inside reaches the host), made recursively shared inside, so kubelet's mount
 * propagation (HostToContainer, Bidirectional) works among the node's containers. It is kept in
 * a file under NODE_MOUNTS_DIR (a private mount, as a namespace file must be on one) while the
 * node runs; containerd, kubelet and kube-proxy enter it with the node's network namespace.
 * Everything mounted inside (pods' volumes, their network namespaces' files) goes with it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { nodeNetworkNames } from './node-network';

/** Where the nodes' mount namespace files are (a private bind mount of itself). */
export const NODE_MOUNTS_DIR = '/run/virtkit-node-mounts';

export class NodeMountsError extends Error {}

export interface NodeBind {
  /** The node's folder that appears at `target` inside its mount namespace. */
  readonly source: string;
  readonly target: string;
}

/** The node's mount namespace file and its binds (pure). */
export function nodeMountPlan(name: string, dir: string): { file: string; binds: NodeBind[] } {
  return {
    file: path.join(NODE_MOUNTS_DIR, name),
    binds: [
      { source: path.join(dir, 'kubelet'), target: '/var/lib/kubelet' },
      { source: path.join(dir, 'host', 'var-lib-virtkit'), target: '/var/lib/virtkit' },
      // /var/run is /run on every current distribution; the install names /var/run/virtkit.
      { source: path.join(dir, 'host', 'run-virtkit'), target: '/run/virtkit' },
      // The pods' network namespace files (containerd's cni-*), not among the host's.
      { source: path.join(dir, 'host', 'netns'), target: '/run/netns' },
    ],
  };
}

function run(what: string, cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new NodeMountsError(`${what}: \`${[cmd, ...args].join(' ')}\` failed: ${stderr || String(e)}`);
  }
}

const isMountPoint = (p: string): boolean =>
  fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === p);

/** Makes the node's mount namespace with its binds; on a failure, undoes it and says which step failed. */
export function setUpNodeMounts(name: string, dir: string): void {
  const plan = nodeMountPlan(name, dir);
  const what = `node ${name}: its mount namespace`;
  fs.mkdirSync(NODE_MOUNTS_DIR, { recursive: true, mode: 0o700 });
  if (!isMountPoint(NODE_MOUNTS_DIR)) run(what, 'mount', ['--bind', NODE_MOUNTS_DIR, NODE_MOUNTS_DIR]);
  run(what, 'mount', ['--make-private', NODE_MOUNTS_DIR]);
  if (fs.existsSync(plan.file))
    throw new NodeMountsError(
      `${what} ${plan.file} exists: another node of this name runs (or a crashed one's was not removed); stop it with \`virtkit down\``,
    );
  fs.writeFileSync(plan.file, '', { mode: 0o600 });
  try {
    run(what, 'unshare', [`--mount=${plan.file}`, '--propagation', 'slave', 'true']);
    const inside = (args: string[]): void => run(what, 'nsenter', [`--mount=${plan.file}`, '--', ...args]);
    inside(['mount', '--make-rshared', '/']);
    for (const b of plan.binds) {
      fs.mkdirSync(b.source, { recursive: true, mode: 0o700 });
      // The mount point, on the shared filesystem: an empty folder where the host has none.
      fs.mkdirSync(b.target, { recursive: true, mode: 0o755 });
      inside(['mount', '--bind', b.source, b.target]);
    }
  } catch (e) {
    tearDownNodeMounts(name);
    throw e;
  }
}

/** Lets go of the node's mount namespace (it ends with the last process in it); harmless twice. */
export function tearDownNodeMounts(name: string): void {
  const file = path.join(NODE_MOUNTS_DIR, name);
  if (!fs.existsSync(file)) return;
  try {
    execFileSync('umount', [file], { stdio: 'ignore' });
  } catch {
    // not a namespace file (a start that failed before unshare)
  }
  fs.rmSync(file, { force: true });
}

/** `nsenter --mount=... -- <binary> <args>`: a command that sees what the node's daemons see. */
export function inNodeMounts(
  name: string,
  binary: string,
  args: readonly string[],
): { binary: string; args: string[] } {
  return { binary: 'nsenter', args: [`--mount=${path.join(NODE_MOUNTS_DIR, name)}`, '--', binary, ...args] };
}

/**
 * `nsenter --net=... --mount=... -- <binary> <args>`: a program started in the node's network
 * and mount namespaces (its daemons, and commands that must see what they see).
 */
export function inNode(
  name: string,
  binary: string,
  args: readonly string[],
): { binary: string; args: string[] } {
  return {
    binary: 'nsenter',
    args: [
      `--net=/run/netns/${nodeNetworkNames(name).netns}`,
      `--mount=${path.join(NODE_MOUNTS_DIR, name)}`,
      '--',
      binary,
      ...args,
    ],
  };
}
