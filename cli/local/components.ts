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
import { apiServingPaths } from './pki';
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
        '--tls-cert-file',
        apiServingFiles(ctx.layout).cert,
        '--tls-private-key-file',
        apiServingFiles(ctx.layout).key,
        '--bind-address',
        '127.0.0.1',
        '--port',
        String(ctx.apiPort),
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
