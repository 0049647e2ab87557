/**
 * The files of one kubelet node on this machine (pure): containerd's configuration (its own
 * root, state and socket, the CRI plugin with the node's sandbox image, cgroupfs, the CNI
 * folders), the node's CNI network (a bridge and host-local addresses from the node's pod CIDR),
 * the KubeletConfiguration and the kubelet's kubeconfig. Every path lives under the node's
 * directory; `startKubeletNode` (./node.ts) writes them and runs the two daemons.
 *
 * What this machine needs and a usual node does not, each said where it is set:
 * - cgroup v1 controllers: `failCgroupV1: false` (kubelet 1.35 refuses v1 otherwise) and a
 *   `cgroupRoot` of the node's own, so two nodes on one host do not share `/kubepods`;
 * - no CAP_SYS_RESOURCE: runc cannot lower a process's oom_score_adj below 0, and kubelet asks
 *   for -998 (the sandbox) and -997 (Guaranteed pods). containerd then runs runc through
 *   `runtimeClampScript`, which raises a negative `oomScoreAdj` of the bundle to 0 and changes
 *   nothing else. Only where the host lacks the capability (./host.ts detects it).
 */
import * as path from 'path';

export interface KubeletNodeSpec {
  /** The Node's name. */
  readonly name: string;
  /** The node's address (an address of this host, not loopback: kubelet refuses loopback). */
  readonly ip: string;
  /** The pods' addresses on this node, `a.b.c.0/24`. */
  readonly podCidr: string;
  /** Everything of the node lives under this directory. */
  readonly dir: string;
  /** The kube-apiserver's URL as the node reaches it, its CA, and the node's client certificate (`system:node:<name>`). */
  readonly apiServer: string;
  /** The name the API server's certificate is checked against, when the URL's host is not in it. */
  readonly apiServerName?: string;
  readonly caFile: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The sandbox (pause) image, imported into containerd before kubelet starts. */
  readonly sandboxImage: string;
  /** Folder of the CNI plugins (bridge, host-local, loopback). */
  readonly cniBinDir: string;
  /** The OCI runtime containerd runs: runc, or the clamp script in front of it. */
  readonly runtimeBinary: string;
  /** The kubelet's port on the node's address. @default 10250 */
  readonly kubeletPort?: number;
  /**
   * kube-proxy's client certificate (`system:kube-proxy`, bound to `system:node-proxier` by the
   * API server's bootstrap policy); without it the node runs no kube-proxy. @default none
   */
  readonly kubeProxy?: { readonly clientCert: string; readonly clientKey: string };
  /** Every node's pods (for kube-proxy: traffic from outside it to a Service is masqueraded). @default '10.251.0.0/16' */
  readonly clusterCidr?: string;
  /** Taints the Node registers with. @default none */
  readonly registerWithTaints?: readonly {
    readonly key: string;
    readonly value?: string;
    readonly effect: string;
  }[];
}

/** Where a node's files are (pure). */
export function nodePaths(dir: string) {
  return {
    containerdConfig: path.join(dir, 'containerd.toml'),
    containerdRoot: path.join(dir, 'containerd', 'root'),
    containerdState: path.join(dir, 'containerd', 'state'),
    containerdSocket: path.join(dir, 'containerd.sock'),
    cniConfDir: path.join(dir, 'cni', 'net.d'),
    cniDataDir: path.join(dir, 'cni', 'ipam'),
    kubeletConfig: path.join(dir, 'kubelet.yaml'),
    kubeletKubeconfig: path.join(dir, 'kubelet.kubeconfig'),
    kubeletRoot: path.join(dir, 'kubelet'),
    podLogs: path.join(dir, 'pod-logs'),
    runtimeClamp: path.join(dir, 'runc-clamp'),
    kubeProxyConfig: path.join(dir, 'kube-proxy.yaml'),
    kubeProxyKubeconfig: path.join(dir, 'kube-proxy.kubeconfig'),
    logs: path.join(dir, 'logs'),
  };
}

/** The node's cgroup root in every v1 hierarchy (one per node, so nodes do not share `/kubepods`). */
export const nodeCgroupRoot = (name: string): string => `/virtkit-node-${name}`;

/** The CNI bridge of a node: `vkn` and a short name (Linux allows 15 characters). */
export function nodeBridgeName(name: string): string {
  const clean = name.replace(/[^a-z0-9]/gi, '').slice(0, 12);
  return `vkn${clean}`;
}

const q = (s: string): string => JSON.stringify(s);

/** containerd's configuration (version 2, as containerd 1.6 and 1.7 read it). */
export function containerdConfig(n: KubeletNodeSpec): string {
  const p = nodePaths(n.dir);
  return [
    'version = 2',
    `root = ${q(p.containerdRoot)}`,
    `state = ${q(p.containerdState)}`,
    '[grpc]',
    `  address = ${q(p.containerdSocket)}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${q(n.sandboxImage)}`,
    '  [plugins."io.containerd.grpc.v1.cri".containerd]',
    '    snapshotter = "overlayfs"',
    '    default_runtime_name = "runc"',
    '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
    '      runtime_type = "io.containerd.runc.v2"',
    '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
    '        SystemdCgroup = false',
    `        BinaryName = ${q(n.runtimeBinary)}`,
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = ${q(n.cniBinDir)}`,
    `    conf_dir = ${q(p.cniConfDir)}`,
    '',
  ].join('\n');
}

/** The node's pod network: a bridge with the first address of the pod CIDR as the gateway. */
export function cniConfig(n: KubeletNodeSpec): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'virtkit-node',
      plugins: [
        {
          type: 'bridge',
          bridge: nodeBridgeName(n.name),
          isGateway: true,
          ipMasq: false,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: n.podCidr }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: nodePaths(n.dir).cniDataDir,
          },
        },
        { type: 'loopback' },
      ],
    },
    null,
    2,
  )}\n`;
}

/** kubelet's /healthz port on the node's address. */
export const KUBELET_HEALTHZ_PORT = 10248;

/** The KubeletConfiguration (JSON, which YAML reads too). */
export function kubeletConfig(n: KubeletNodeSpec): string {
  const p = nodePaths(n.dir);
  return `${JSON.stringify(
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // This machine mounts cgroup v1 controllers; kubelet 1.35 starts on them only when told.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: nodeCgroupRoot(n.name),
      cgroupsPerQOS: true,
      containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
      address: n.ip,
      port: n.kubeletPort ?? 10250,
      readOnlyPort: 0,
      // Health only (no data), on the node's own link: `virtkit status` probes it from the host.
      healthzBindAddress: n.ip,
      healthzPort: KUBELET_HEALTHZ_PORT,
      // Only the API server's client certificate, checked against the cluster CA and authorized
      // by SubjectAccessReviews; no anonymous requests.
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: n.caFile },
      },
      authorization: { mode: 'Webhook' },
      podCIDR: n.podCidr,
      podLogsDir: p.podLogs,
      // One machine runs every node: no swap refusal, no node-level eviction of the host's disk.
      failSwapOn: false,
      evictionHard: { 'memory.available': '100Mi' },
      imageGCHighThresholdPercent: 100,
      enforceNodeAllocatable: [],
      resolvConf: '',
      serializeImagePulls: false,
      ...(n.registerWithTaints?.length ? { registerWithTaints: n.registerWithTaints } : {}),
    },
    null,
    2,
  )}\n`;
}

/** The kubelet's kubeconfig: the API server, the cluster CA and the node's certificate. */
export function nodeKubeconfig(n: KubeletNodeSpec): string {
  return `${JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'virtkit',
          cluster: {
            server: n.apiServer,
            'certificate-authority': n.caFile,
            ...(n.apiServerName ? { 'tls-server-name': n.apiServerName } : {}),
          },
        },
      ],
      users: [{ name: n.name, user: { 'client-certificate': n.clientCert, 'client-key': n.clientKey } }],
      contexts: [{ name: 'virtkit', context: { cluster: 'virtkit', user: n.name } }],
      'current-context': 'virtkit',
    },
    null,
    2,
  )}\n`;
}

/** kube-proxy's /healthz port on the node's address. */
export const KUBE_PROXY_HEALTHZ_PORT = 10256;

/**
 * kube-proxy's configuration: iptables mode in the node's namespace, this node's name, health
 * and metrics on the node's address; conntrack limits and timeouts left as the host has them (they
 * are the host's, not the namespace's, and the nodes share one kernel).
 */
export function kubeProxyConfig(n: KubeletNodeSpec): string {
  const p = nodePaths(n.dir);
  return `${JSON.stringify(
    {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: p.kubeProxyKubeconfig },
      hostnameOverride: n.name,
      mode: 'iptables',
      clusterCIDR: n.clusterCidr ?? '10.251.0.0/16',
      healthzBindAddress: `${n.ip}:${KUBE_PROXY_HEALTHZ_PORT}`,
      metricsBindAddress: `${n.ip}:10249`,
      nodePortAddresses: [`${n.ip}/32`],
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      // This host cannot lower oom_score_adj (see runtimeClampScript).
      oomScoreAdj: 0,
    },
    null,
    2,
  )}\n`;
}

export function kubeProxyArgs(n: KubeletNodeSpec): string[] {
  return [`--config=${nodePaths(n.dir).kubeProxyConfig}`];
}

/** kubelet's command line (everything else is in its configuration file). */
export function kubeletArgs(n: KubeletNodeSpec): string[] {
  const p = nodePaths(n.dir);
  return [
    `--config=${p.kubeletConfig}`,
    `--kubeconfig=${p.kubeletKubeconfig}`,
    `--root-dir=${p.kubeletRoot}`,
    `--cert-dir=${path.join(p.kubeletRoot, 'pki')}`,
    `--hostname-override=${n.name}`,
    `--node-ip=${n.ip}`,
  ];
}

/**
 * The OCI runtime in front of runc on a host without CAP_SYS_RESOURCE (see the file comment):
 * for `create`, a negative `oomScoreAdj` in the bundle's config.json becomes 0; then runc runs
 * with the same arguments.
 */
export function runtimeClampScript(runc: string): string {
  return [
    '#!/bin/sh',
    '# virtkit: this host cannot lower oom_score_adj below 0 (no CAP_SYS_RESOURCE); raise the',
    "# bundle's negative oomScoreAdj to 0, then run runc unchanged.",
    'prev=""',
    'for a in "$@"; do',
    '  if [ "$prev" = "--bundle" ] || [ "$prev" = "-b" ]; then',
    '    sed -i -E \'s/"oomScoreAdj": *-[0-9]+/"oomScoreAdj":0/\' "$a/config.json"',
    '  fi',
    '  prev="$a"',
    'done',
    `exec ${q(runc)} "$@"`,
    '',
  ].join('\n');
}
