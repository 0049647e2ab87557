/**
 * One kubelet node on this machine, in its own network namespace (./node-network.ts) and mount
 * namespace (./node-mounts.ts: its own /var/lib/kubelet, /var/lib/virtkit, /run/virtkit):
 * containerd (its own root, state and socket) with the node's sandbox image imported, then
 * kubelet registering the Node with the control plane (the API server reached through the
 * host's DNAT of the node's link). Stopping, or a start that fails part way, kills what
 * containerd still runs, stops both daemons, and removes the node's namespace (with its bridge),
 * route, cgroup root, mount namespace and mounts. The files come from ./node-plan.ts; the host's part from
 * ./host.ts.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findBinary } from '../binaries';
import type { HealthCheck } from '../health';
import type { ComponentRecord } from '../state';
import { isOurs, logTail, startProcess, stopPid, type StartedProcess } from '../process';
import {
  canLowerOomScore,
  ensureCgroupRoot,
  findNodeRuntime,
  killNodeLeftovers,
  removeCgroupRoot,
  type NodeRuntimePrograms,
} from './host';
import {
  cniConfig,
  containerdConfig,
  KUBELET_HEALTHZ_PORT,
  KUBE_PROXY_HEALTHZ_PORT,
  kubeletArgs,
  kubeProxyArgs,
  kubeProxyConfig,
  kubeletConfig,
  nodeCgroupRoot,
  nodeKubeconfig,
  nodePaths,
  runtimeClampScript,
  type KubeletNodeSpec,
} from './node-plan';
import { nodeNetworkNames, setUpNodeNetwork, tearDownNodeNetwork } from './node-network';
import { inNode, inNodeMounts, setUpNodeMounts, tearDownNodeMounts } from './node-mounts';
import { PAUSE_REPOSITORY, pauseImage } from './pause-image';
import { API_SERVER_VIP } from './slots';

export class KubeletNodeError extends Error {}

export type KubeletNodeOptions = Omit<
  KubeletNodeSpec,
  'sandboxImage' | 'runtimeBinary' | 'ip' | 'apiServer' | 'apiServerName'
> & {
  /** The node's link to the host: the host's end and the node's address (one /24). */
  readonly hostIp: string;
  readonly nodeIp: string;
  /** kube-apiserver on the host's loopback (`https://127.0.0.1:<port>`), reached from the node at API_SERVER_VIP (./node-network.ts). */
  readonly apiServer: string;
};

export interface RunningKubeletNode {
  readonly name: string;
  readonly containerdSocket: string;
  readonly sandboxImage: string;
  /** The node's network namespace (`vkn-<name>`) and its address. */
  readonly netns: string;
  readonly ip: string;
  /** Whether containerd runs runc through the oomScoreAdj clamp (no CAP_SYS_RESOURCE here). */
  readonly clampsOomScore: boolean;
  /** What another process needs to stop the node (`virtkit down`): see stopKubeletNode. */
  readonly record: KubeletNodeRecord;
  /** The node's containerd and kubelet, as `virtkit status` lists them. */
  readonly daemons: readonly NodeDaemon[];
  stop(): Promise<void>;
}

/** A node as state.json keeps it: enough to stop it and undo its host changes from any process. */
export interface KubeletNodeRecord {
  readonly name: string;
  readonly dir: string;
  readonly hostIp: string;
  readonly nodeIp: string;
  readonly podCidr: string;
  readonly apiServerPort: number;
  readonly containerdPid?: number;
  readonly kubeletPid?: number;
  readonly kubeProxyPid?: number;
}

/** One daemon of a node, recorded in state.json as a component. */
export type NodeDaemon = ComponentRecord;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ctr(programs: NodeRuntimePrograms, socket: string, args: string[]): string {
  return execFileSync(programs.ctr, ['--address', socket, '--namespace', 'k8s.io', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Imports an OCI archive into a node's containerd (namespace k8s.io, where kubelet's images
 * are), named `<repository>:<tag>` as its index says; pods use it with any pull policy but Always.
 */
export function importImage(containerdSocket: string, archive: string, repository: string): void {
  try {
    ctr(findNodeRuntime(), containerdSocket, ['images', 'import', '--base-name', repository, archive]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new KubeletNodeError(
      `importing ${archive} into the containerd at ${containerdSocket} failed: ${(err.stderr || err.message).trim()}; ` +
        "check the node's containerd log and that the archive is a complete OCI image (rebuild it with `npm run images`)",
    );
  }
}

async function waitFor(what: string, probe: () => boolean, proc: StartedProcess, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (probe()) return;
    if (proc.exit)
      throw new KubeletNodeError(
        `${proc.name} exited (${JSON.stringify(proc.exit)}) before ${what}:\n${logTail(proc.logFile)}`,
      );
    await sleep(200);
  }
  throw new KubeletNodeError(`${what} did not happen within ${ms / 1000}s:\n${logTail(proc.logFile)}`);
}

function unmountUnder(dir: string): void {
  const mounts = fs
    .readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .map((m) => m.replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts)
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // gone already
    }
}

/**
 * Stop a node and undo what starting it made on the host: kube-proxy, kubelet, then every container
 * containerd still runs (killed, so their shims exit with them, and their pods' `cni-*` network
 * namespaces, which kubelet would have torn down, removed), containerd, its mount namespace and
 * the mounts under its folder, its network (namespace, link, route, DNAT rule) and its cgroup root. A daemon is
 * signalled only while its command line names the node's folder (a recycled pid is left alone);
 * every step tolerates what is gone already, so stopping twice is harmless.
 */
export async function stopKubeletNode(r: KubeletNodeRecord): Promise<void> {
  const ours = (pid: number | undefined): pid is number => pid !== undefined && isOurs(pid, r.dir);
  if (ours(r.kubeProxyPid)) await stopPid(r.kubeProxyPid);
  if (ours(r.kubeletPid)) await stopPid(r.kubeletPid);
  if (ours(r.containerdPid)) {
    let programs: NodeRuntimePrograms | undefined;
    try {
      programs = findNodeRuntime();
    } catch {
      // without ctr, containerd's containers go with its cgroup root below
    }
    await stopContainers(programs, r.name, nodePaths(r.dir).containerdSocket, r.containerdPid);
  }
  // A node whose containerd died (a crash, a kill) leaves its shims and containers running.
  if (killNodeLeftovers(nodeCgroupRoot(r.name), r.dir) > 0) await sleep(500);
  // With every process of the node gone, its mount namespace (and all mounted in it) ends.
  tearDownNodeMounts(r.name);
  unmountUnder(r.dir);
  // The node's bridge lives in its namespace and goes with it.
  tearDownNodeNetwork({
    name: r.name,
    hostIp: r.hostIp,
    nodeIp: r.nodeIp,
    podCidr: r.podCidr,
    apiServerPort: r.apiServerPort,
  });
  removeCgroupRoot(nodeCgroupRoot(r.name));
}

/**
 * Containers kubelet left: killed, so their shims exit with them; their pods' network
 * namespaces (containerd's `cni-*`, which kubelet would have torn down; their files are in the
 * node's mount namespace, ./node-mounts.ts) removed; then containerd.
 */
async function stopContainers(
  programs: NodeRuntimePrograms | undefined,
  node: string,
  socket: string,
  pid: number,
): Promise<void> {
  const podNetns = new Set<string>();
  if (programs)
    try {
      for (const id of ctr(programs, socket, ['containers', 'ls', '-q']).split('\n').filter(Boolean)) {
        try {
          const info = JSON.parse(ctr(programs, socket, ['containers', 'info', id])) as {
            Spec?: { linux?: { namespaces?: { type?: string; path?: string }[] } };
          };
          for (const ns of info.Spec?.linux?.namespaces ?? [])
            if (ns.type === 'network' && ns.path && /^\/(var\/)?run\/netns\/cni-[-0-9a-f]+$/.test(ns.path))
              podNetns.add(path.basename(ns.path));
        } catch {
          // gone meanwhile
        }
      }
      for (const id of ctr(programs, socket, ['tasks', 'ls', '-q']).split('\n').filter(Boolean)) {
        try {
          ctr(programs, socket, ['tasks', 'kill', '-s', 'SIGKILL', id]);
        } catch {
          // already gone
        }
      }
      await sleep(500);
    } catch {
      // containerd is not answering: nothing more to ask it
    }
  await stopPid(pid);
  for (const ns of podNetns)
    try {
      // In the node's mount namespace, where the pods' namespace files are.
      const del = inNodeMounts(node, 'ip', ['netns', 'del', ns]);
      execFileSync(del.binary, del.args, { stdio: 'ignore' });
    } catch {
      // kubelet removed it
    }
}

export async function startKubeletNode(o: KubeletNodeOptions): Promise<RunningKubeletNode> {
  const programs = findNodeRuntime();
  const kubelet = findBinary('kubelet');
  const p = nodePaths(o.dir);
  const api = new URL(o.apiServer);
  // Unix socket paths have 107 bytes; kubelet's longest under the node's folder is its
  // pod-resources socket. (kubelet 1.35 keeps its device-plugin socket at
  // /var/lib/kubelet/device-plugins/kubelet.sock whatever --root-dir says: short, and the node's own
  // in its mount namespace, ./node-mounts.ts.)
  const longest = path.join(p.kubeletRoot, 'pod-resources', 'kubelet.sock');
  if (Buffer.byteLength(longest) > 107)
    throw new KubeletNodeError(
      `node ${o.name}: its folder ${o.dir} is too long for the Unix sockets under it (${longest} has ` +
        `${Buffer.byteLength(longest)} bytes; at most 107): use a shorter state folder (--state-dir)`,
    );
  for (const d of [
    o.dir,
    p.containerdRoot,
    p.containerdState,
    p.cniConfDir,
    p.kubeletRoot,
    p.podLogs,
    p.logs,
  ])
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  const clampsOomScore = !canLowerOomScore();
  if (clampsOomScore) fs.writeFileSync(p.runtimeClamp, runtimeClampScript(programs.runc), { mode: 0o755 });
  const image = pauseImage(programs.umoci);
  const network = {
    name: o.name,
    hostIp: o.hostIp,
    nodeIp: o.nodeIp,
    podCidr: o.podCidr,
    apiServerPort: Number(api.port),
  };
  const spec: KubeletNodeSpec = {
    ...o,
    ip: o.nodeIp,
    apiServer: `https://${API_SERVER_VIP}:${api.port}`,
    apiServerName: 'kubernetes',
    sandboxImage: image.ref,
    runtimeBinary: clampsOomScore ? p.runtimeClamp : programs.runc,
  };
  const record: KubeletNodeRecord = {
    name: o.name,
    dir: o.dir,
    hostIp: o.hostIp,
    nodeIp: o.nodeIp,
    podCidr: o.podCidr,
    apiServerPort: network.apiServerPort,
  };
  let containerd: StartedProcess | undefined;
  let kubeletProc: StartedProcess | undefined;
  let kubeProxy: StartedProcess | undefined;
  const stop = (): Promise<void> =>
    stopKubeletNode({
      ...record,
      ...(containerd ? { containerdPid: containerd.pid } : {}),
      ...(kubeletProc ? { kubeletPid: kubeletProc.pid } : {}),
      ...(kubeProxy ? { kubeProxyPid: kubeProxy.pid } : {}),
    });
  // From here on, whatever fails undoes what was made (network, cgroups, daemons).
  setUpNodeNetwork(network);
  try {
    setUpNodeMounts(o.name, o.dir);
    fs.writeFileSync(p.containerdConfig, containerdConfig(spec), { mode: 0o600 });
    fs.writeFileSync(path.join(p.cniConfDir, '10-virtkit-node.conflist'), cniConfig(spec), { mode: 0o600 });
    fs.writeFileSync(p.kubeletConfig, kubeletConfig(spec), { mode: 0o600 });
    fs.writeFileSync(p.kubeletKubeconfig, nodeKubeconfig(spec), { mode: 0o600 });
    ensureCgroupRoot(nodeCgroupRoot(o.name));
    containerd = startProcess(
      {
        name: `containerd (node ${o.name})`,
        ...inNode(o.name, programs.containerd, ['--config', p.containerdConfig]),
      },
      path.join(p.logs, 'containerd.log'),
      path.join(p.logs, 'containerd.pid'),
    );
    await waitFor(
      'containerd served its socket',
      () => fs.existsSync(p.containerdSocket),
      containerd,
      30_000,
    );
    ctr(programs, p.containerdSocket, ['images', 'import', '--base-name', PAUSE_REPOSITORY, image.archive]);
    kubeletProc = startProcess(
      { name: `kubelet (node ${o.name})`, ...inNode(o.name, kubelet, kubeletArgs(spec)) },
      path.join(p.logs, 'kubelet.log'),
      path.join(p.logs, 'kubelet.pid'),
    );
    if (o.kubeProxy) {
      fs.writeFileSync(p.kubeProxyConfig, kubeProxyConfig(spec), { mode: 0o600 });
      fs.writeFileSync(
        p.kubeProxyKubeconfig,
        nodeKubeconfig({ ...spec, clientCert: o.kubeProxy.clientCert, clientKey: o.kubeProxy.clientKey }),
        { mode: 0o600 },
      );
      kubeProxy = startProcess(
        {
          name: `kube-proxy (node ${o.name})`,
          ...inNode(o.name, findBinary('kube-proxy'), kubeProxyArgs(spec)),
        },
        path.join(p.logs, 'kube-proxy.log'),
        path.join(p.logs, 'kube-proxy.pid'),
      );
    }
    const daemon = (
      name: string,
      proc: StartedProcess,
      binary: string,
      health?: HealthCheck,
    ): NodeDaemon => ({
      name,
      pid: proc.pid,
      binary,
      logFile: proc.logFile,
      pidFile: proc.pidFile,
      ...(health ? { health } : {}),
    });
    return {
      name: o.name,
      containerdSocket: p.containerdSocket,
      sandboxImage: image.ref,
      netns: nodeNetworkNames(o.name).netns,
      ip: o.nodeIp,
      clampsOomScore,
      record: {
        ...record,
        containerdPid: containerd.pid,
        kubeletPid: kubeletProc.pid,
        ...(kubeProxy ? { kubeProxyPid: kubeProxy.pid } : {}),
      },
      daemons: [
        daemon(`containerd-${o.name}`, containerd, programs.containerd),
        daemon(`kubelet-${o.name}`, kubeletProc, kubelet, {
          url: `http://${o.nodeIp}:${KUBELET_HEALTHZ_PORT}/healthz`,
          tls: 'none',
        }),
        ...(kubeProxy
          ? [
              daemon(`kube-proxy-${o.name}`, kubeProxy, findBinary('kube-proxy'), {
                url: `http://${o.nodeIp}:${KUBE_PROXY_HEALTHZ_PORT}/healthz`,
                tls: 'none',
              }),
            ]
          : []),
      ],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
