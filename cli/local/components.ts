/**
 * The extension point of `virtkit up`: processes started after the control plane is healthy
 * and the CRDs are Established, stopped before it. Issue 6 adds virtkit's controller and node
 * handler here; each is a host process with its own log, pid file and (optional) health probe,
 * managed exactly like the Kubernetes components.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BinaryPaths } from './binaries';
import type { HealthCheck } from './health';
import { componentKubeconfig, type Layout } from './layout';
import { NODE_API_CLIENT_NAME } from '../../common/node-api';
import { apiServingPaths, nodeApiPaths } from './pki';
import { localCniPluginDirs } from './cni-plugins';
import { WHEREABOUTS_USER } from './rbac';
import type { ProcessSpec } from './process';

/** What a component needs to know to connect to the local control plane. */
export interface ComponentContext {
  readonly layout: Layout;
  /** The admin kubeconfig (components use their own: config/<component>.kubeconfig). */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> of kube-apiserver. */
  readonly server: string;
  readonly binaries: BinaryPaths;
  /** The port `virtkit api` serves admission and subresources.kubevirt.io on (127.0.0.1). */
  readonly apiPort: number;
  /** The port the node handler serves its node API on (127.0.0.1), for `virtkit api` only. */
  readonly handlerNodeApiPort: number;
  /** The handler's registry mirrors (HOST=URL), from `virtkit up --registry-mirror`. */
  readonly registryMirrors?: readonly string[];
  /** The node API ports of nodes 2..N (`virtkit up --nodes N`), one per extra handler. */
  readonly extraNodeApiPorts?: readonly number[];
}

export interface LocalComponent {
  readonly name: string;
  process(ctx: ComponentContext): ProcessSpec;
  /** Without a probe, a component counts as ready once it is still running shortly after start. */
  health?(ctx: ComponentContext): HealthCheck;
}

/** `virtkit api`'s serving certificate and key, issued with the control plane's PKI. */
export function apiServingFiles(l: Layout): { cert: string; key: string; ca: string } {
  return apiServingPaths(l.pkiDir);
}

/** `virtkit api`'s flags for serving on 127.0.0.1:`port` with its serving certificate and key (paths). */
export function apiServingArgs(l: Layout, port: number): string[] {
  const files = apiServingFiles(l);
  return [
    '--tls-cert-file',
    files.cert,
    '--tls-private-key-file',
    files.key,
    '--bind-address',
    '127.0.0.1',
    '--port',
    String(port),
    // The key upload tokens are signed with: a 0600 file beside the PKI, made by the api.
    '--upload-token-key-file',
    uploadTokenKeyFile(l),
  ];
}

/** Where local mode keeps the key of `virtkit api`'s upload tokens (never on a command line: only its path). */
export function uploadTokenKeyFile(l: Layout): string {
  return path.join(l.pkiDir, 'upload-token.key');
}

/** The upload proxy's URL in local mode: `virtkit api`'s own port (see `virtkit image-upload`). */
export function localUploadProxyUrl(apiPort: number): string {
  return `https://127.0.0.1:${apiPort}`;
}

/**
 * `virtkit api`'s flags for the node handlers' API: its client certificate and key, and the CA
 * the handlers' certificates chain to (paths only: keys never go on a command line).
 */
export function apiNodeClientArgs(l: Layout): string[] {
  const files = nodeApiPaths(l.pkiDir);
  return [
    '--node-client-cert-file',
    files.clientCert,
    '--node-client-key-file',
    files.clientKey,
    '--node-ca-file',
    files.ca,
  ];
}

/** The handler's flags for its node API on 127.0.0.1:`port`, serving `virtkit api` only. */
export function handlerNodeApiArgs(l: Layout, port: number): string[] {
  const files = nodeApiPaths(l.pkiDir);
  return [
    '--node-api-address',
    '127.0.0.1',
    '--node-api-port',
    String(port),
    '--node-api-tls-cert-file',
    files.servingCert,
    '--node-api-tls-private-key-file',
    files.servingKey,
    '--node-api-client-ca-file',
    files.ca,
    '--node-api-allowed-client',
    NODE_API_CLIENT_NAME,
  ];
}

/**
 * The handler's CNI flags in local mode: the plugin folders (the system's, then the whereabouts
 * build cache), the kubeconfig of whereabouts' own identity (a path: the handler keeps a 0600
 * copy under its state dir for the plugin), and a Kube-OVN tunnel port of each handler's own
 * (the nodes share the host's address, so each needs its own UDP port).
 */
export function handlerCniArgs(l: Layout, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    ...localCniPluginDirs(env).flatMap((d) => ['--cni-plugin-dir', d]),
    '--whereabouts-kubeconfig',
    componentKubeconfig(l, WHEREABOUTS_USER),
    '--kube-ovn-tunnel-port',
    '0',
  ];
}

/** Components `virtkit up` starts after the control plane, in order. */
export const LOCAL_COMPONENTS: readonly LocalComponent[] = [
  {
    // Admission first: once its webhook is registered nothing is stored unchecked.
    name: 'virtkit-api',
    process: (ctx) => ({
      name: 'virtkit-api',
      binary: process.execPath,
      args: [
        virtkitBin(),
        'api',
        '--kubeconfig',
        componentKubeconfig(ctx.layout, 'virtkit-api'),
        ...apiServingArgs(ctx.layout, ctx.apiPort),
        ...apiNodeClientArgs(ctx.layout),
      ],
    }),
    health: (ctx) => ({ url: `https://127.0.0.1:${ctx.apiPort}/readyz`, tls: 'ca' }),
  },
  {
    name: 'virtkit-controller',
    process: (ctx) => ({
      name: 'virtkit-controller',
      binary: process.execPath,
      args: [
        virtkitBin(),
        'controller',
        '--kubeconfig',
        componentKubeconfig(ctx.layout, 'virtkit-controller'),
      ],
    }),
  },
  // The node handler: registers this host as a Node and runs its launcher pods as host
  // processes. Its state dir survives `virtkit down`/`up`, so running launchers are adopted.
  nodeHandler(1),
];

/** The most nodes `virtkit up --nodes` starts on one machine. */
export const MAX_LOCAL_NODES = 8;

/**
 * The handler of local node `n` (1-based). Node 1 is the machine's host name, as a single-node
 * local mode always was; node n > 1 is `<host name>-n`, with its own state dir (so its own pod
 * range, bridge, volumes and launcher pods) and its own node API port: a second node in every
 * way the API sees, on the same machine.
 */
export function nodeHandler(n: number): LocalComponent {
  const name = n === 1 ? 'virtkit-handler' : `virtkit-handler-${n}`;
  return {
    name,
    process: (ctx) => {
      const port = n === 1 ? ctx.handlerNodeApiPort : ctx.extraNodeApiPorts?.[n - 2];
      if (port === undefined) throw new Error(`no node API port was reserved for local node ${n}`);
      return {
        name,
        binary: process.execPath,
        args: [
          virtkitBin(),
          'handler',
          '--kubeconfig',
          componentKubeconfig(ctx.layout, 'virtkit-handler'),
          ...(n === 1 ? [] : ['--node-name', localNodeName(n)]),
          '--state-dir',
          handlerStateDir(ctx.layout.stateDir, n),
          ...handlerNodeApiArgs(ctx.layout, port),
          ...handlerCniArgs(ctx.layout),
          ...(ctx.registryMirrors ?? []).flatMap((m) => ['--registry-mirror', m]),
        ],
      };
    },
  };
}

/** virtkit's components for `virtkit up --nodes N`: LOCAL_COMPONENTS, then the handlers of nodes 2..N. */
export function localComponents(nodes = 1): LocalComponent[] {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_LOCAL_NODES)
    throw new Error(`--nodes: ${nodes} is not a node count from 1 to ${MAX_LOCAL_NODES}`);
  return [...LOCAL_COMPONENTS, ...Array.from({ length: nodes - 1 }, (_, i) => nodeHandler(i + 2))];
}

/** The Node name of local node n > 1: the host name (as a DNS label), a dash, n. */
export function localNodeName(n: number, host = os.hostname()): string {
  const label =
    host
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'node';
  return `${label}-${n}`;
}

/** Where the handler of local node n (1 by default) keeps its pods (records, launcher work dirs, consoles). */
export function handlerStateDir(stateDir: string, n = 1): string {
  return path.join(stateDir, n === 1 ? 'handler' : `handler-${n}`);
}

/** Whether a component of a state file is one of virtkit's own (a handler of any node included). */
export function isVirtkitComponent(name: string): boolean {
  return LOCAL_COMPONENTS.some((c) => c.name === name) || /^virtkit-handler-\d+$/.test(name);
}

/** bin/virtkit.js of this checkout or package (from cli/local/ or dist/cli/local/). */
function virtkitBin(): string {
  for (const rel of ['../../bin/virtkit.js', '../../../bin/virtkit.js']) {
    const file = path.join(__dirname, rel);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`bin/virtkit.js was not found above ${__dirname}`);
}
