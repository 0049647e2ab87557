/**
 * The kubelet nodes of `virtkit up --runtime kubelet --nodes N`: `virtkit-node-1..N`, each in
 * `<state>/nodes/<name>/` with a client certificate of its own from the local PKI
 * (`system:node:<name>`), addresses from the first free slots (./slots.ts), started one after
 * the other with ./node.ts, then awaited until every Node is Ready.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NODES, type KubeClient } from '../../../kube';
import { pluginDirsFrom } from '../../../handler/network/cni/exec';
import type { Layout } from '../layout';
import { issueKubeProxyClientCertificate, issueNodeClientCertificate } from '../pki';
import { findBinary } from '../binaries';
import { findNodeRuntime, hostAddressUse } from './host';
import { KubeletNodeError, startKubeletNode, type RunningKubeletNode } from './node';
import { nodeNetworkNames } from './node-network';
import { pickNodeSlots } from './slots';

/** The Node name of kubelet node n (1-based). */
export const kubeletNodeName = (n: number): string => `virtkit-node-${n}`;

/** Where kubelet node `name` keeps everything (containerd's root, kubelet's, logs). */
export const kubeletNodeDir = (l: Layout, name: string): string => path.join(l.stateDir, 'nodes', name);

/** The first plugin folder with the `bridge` and `host-local` plugins the nodes' CNI configuration uses. */
export function nodeCniBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const dirs = pluginDirsFrom(undefined, env);
  const found = dirs.find((d) =>
    ['bridge', 'host-local', 'loopback'].every((p) => fs.existsSync(path.join(d, p))),
  );
  if (!found)
    throw new KubeletNodeError(
      `kubelet nodes need the CNI plugins bridge, host-local and loopback; none of ${dirs.join(', ')} has them: ` +
        "install Debian's containernetworking-plugins (apt-get install containernetworking-plugins)",
    );
  return found;
}

/**
 * Refuse early, before anything starts, on a host that cannot run kubelet nodes: not root, no
 * containerd/runc/ctr/umoci, no kubelet build, no CNI plugins.
 */
export function checkKubeletNodeHost(): void {
  if (process.getuid?.() !== 0)
    throw new KubeletNodeError(
      'kubelet nodes need root (network namespaces, cgroups, mounts, iptables): run as root, or use --runtime process',
    );
  findNodeRuntime();
  findBinary('kubelet');
  findBinary('kube-proxy');
  nodeCniBinDir();
}

export interface KubeletNodesOptions {
  readonly layout: Layout;
  /** kube-apiserver on the host's loopback. */
  readonly server: string;
  readonly count: number;
  readonly client: KubeClient;
  /** How long all nodes together may take to turn Ready. */
  readonly timeoutMs: number;
  readonly log: (message: string) => void;
  /** Called as soon as a node's daemons run, so whoever stops the cluster stops it too. */
  readonly started: (node: RunningKubeletNode) => void;
}

interface NodeCondition {
  readonly type: string;
  readonly status: string;
  readonly message?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The nodes, one after the other (the host was checked with checkKubeletNodeHost before the control plane started). */
export async function startKubeletNodes(o: KubeletNodesOptions): Promise<RunningKubeletNode[]> {
  const names = Array.from({ length: o.count }, (_, i) => kubeletNodeName(i + 1));
  for (const name of names) {
    const netns = nodeNetworkNames(name).netns;
    if (fs.existsSync(path.join('/run/netns', netns)))
      throw new KubeletNodeError(
        `node ${name}: the network namespace ${netns} exists already: another 'virtkit up --runtime kubelet' ` +
          `on this machine runs a node of that name, or one crashed; stop it with 'virtkit down --state-dir <its folder>', ` +
          `or remove what is left with 'ip netns del ${netns}'`,
      );
  }
  const cniBinDir = nodeCniBinDir();
  const slots = pickNodeSlots(o.count, hostAddressUse());
  const kubeProxy = await issueKubeProxyClientCertificate(o.layout.pkiDir);
  const nodes: RunningKubeletNode[] = [];
  for (const [i, name] of names.entries()) {
    const a = slots[i]!;
    const client = await issueNodeClientCertificate(o.layout.pkiDir, name);
    o.log(`starting kubelet node ${name}: node address ${a.nodeIp}, pods ${a.podCidr}`);
    const node = await startKubeletNode({
      name,
      hostIp: a.hostIp,
      nodeIp: a.nodeIp,
      podCidr: a.podCidr,
      dir: kubeletNodeDir(o.layout, name),
      apiServer: o.server,
      caFile: path.join(o.layout.pkiDir, 'ca.crt'),
      clientCert: client.cert,
      clientKey: client.key,
      cniBinDir,
      kubeProxy: { clientCert: kubeProxy.cert, clientKey: kubeProxy.key },
    });
    o.started(node);
    nodes.push(node);
  }
  await waitReady(o, names);
  return nodes;
}

async function waitReady(o: KubeletNodesOptions, names: readonly string[]): Promise<void> {
  const until = Date.now() + o.timeoutMs;
  const pending = new Set(names);
  let last = new Map<string, string>();
  while (pending.size) {
    last = new Map();
    for (const name of pending) {
      const node = await o.client.getIfExists<{ status?: { conditions?: NodeCondition[] } }>(
        NODES,
        undefined,
        name,
      );
      const ready = node?.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') {
        pending.delete(name);
        o.log(`kubelet node ${name} is Ready`);
      } else last.set(name, node ? (ready?.message ?? 'no Ready condition yet') : 'not registered yet');
    }
    if (!pending.size) return;
    if (Date.now() > until)
      throw new KubeletNodeError(
        `kubelet nodes not Ready within ${o.timeoutMs / 1000}s: ` +
          [...last].map(([n, m]) => `${n}: ${m}`).join('; ') +
          `; see ${path.join(o.layout.stateDir, 'nodes', '<node>', 'logs')}`,
      );
    await sleep(500);
  }
}
