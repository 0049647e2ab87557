/**
 * The extension point of `virtkit up`: processes started after the control plane is healthy
 * and the CRDs are Established, stopped before it. Issue 6 adds virtkit's controller and node
 * handler here; each is a host process with its own log, pid file and (optional) health probe,
 * managed exactly like the Kubernetes components.
 */
import * as fs from 'fs';
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
 * build cache) and the kubeconfig of whereabouts' own identity (a path: the handler keeps a 0600
 * copy under its state dir for the plugin).
 */
export function handlerCniArgs(l: Layout, env: NodeJS.ProcessEnv = process.env): string[] {
  return [
    ...localCniPluginDirs(env).flatMap((d) => ['--cni-plugin-dir', d]),
    '--whereabouts-kubeconfig',
    componentKubeconfig(l, WHEREABOUTS_USER),
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
  {
    // The node handler: registers this host as a Node and runs its launcher pods as host
    // processes. Its state dir survives `virtkit down`/`up`, so running launchers are adopted.
    name: 'virtkit-handler',
    process: (ctx) => ({
      name: 'virtkit-handler',
      binary: process.execPath,
      args: [
        virtkitBin(),
        'handler',
        '--kubeconfig',
        componentKubeconfig(ctx.layout, 'virtkit-handler'),
        '--state-dir',
        handlerStateDir(ctx.layout.stateDir),
        ...handlerNodeApiArgs(ctx.layout, ctx.handlerNodeApiPort),
        ...handlerCniArgs(ctx.layout),
        ...(ctx.registryMirrors ?? []).flatMap((m) => ['--registry-mirror', m]),
      ],
    }),
  },
];

/** Where the local handler keeps its pods (records, launcher work dirs, consoles). */
export function handlerStateDir(stateDir: string): string {
  return path.join(stateDir, 'handler');
}

/** bin/virtkit.js of this checkout or package (from cli/local/ or dist/cli/local/). */
function virtkitBin(): string {
  for (const rel of ['../../bin/virtkit.js', '../../../bin/virtkit.js']) {
    const file = path.join(__dirname, rel);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`bin/virtkit.js was not found above ${__dirname}`);
}
