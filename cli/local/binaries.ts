/**
 * Where local mode finds its control-plane binaries: KUBEBUILDER_ASSETS first (envtest's
 * convention; it ships etcd, kube-apiserver and kubectl), then virtkit's build cache
 * (scripts/build-controlplane.sh). etcd is built too, from go.etcd.io/etcd/server/v3 at the
 * version k8s.io/kubernetes pins: Debian's etcd 3.4 lacks the progress-notify requests this
 * kube-apiserver needs, and every watch without a resourceVersion fails against it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cacheDir } from '../../common/cache';
import { MissingBinaryError } from './errors';

/** The k8s.io/kubernetes release pinned in tools/controlplane/go.mod (a unit test keeps them equal). */
export const KUBERNETES_VERSION = 'v1.35.4';

export type BinaryName = 'etcd' | 'kube-apiserver' | 'kube-scheduler' | 'kube-controller-manager' | 'kubectl';

export type BinaryPaths = Readonly<Record<BinaryName, string>>;

/** Built into the same cache, run only by kubelet nodes (`./kubelet/`), not by local mode. */
export type NodeBinaryName = 'kubelet' | 'kube-proxy';

export const BINARY_NAMES: readonly BinaryName[] = [
  'etcd',
  'kube-apiserver',
  'kube-scheduler',
  'kube-controller-manager',
  'kubectl',
];

/** The cache folder the build script fills. */
export function controlPlaneCacheDir(): string {
  return cacheDir('controlplane', KUBERNETES_VERSION);
}

/** Folders searched for every binary, in order (pure: reads only the given environment). */
export function searchPath(env: NodeJS.ProcessEnv, cache: string): string[] {
  const dirs: string[] = [];
  if (env.KUBEBUILDER_ASSETS) dirs.push(env.KUBEBUILDER_ASSETS);
  dirs.push(cache);
  return dirs;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The folder of virtkit's package.json: the repository, or node_modules/virtkit in an installed
 * package (which ships the build script and its Go module), from cli/local/ or dist/cli/local/.
 */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function fixFor(name: BinaryName | NodeBinaryName): string {
  return `run 'scripts/build-controlplane.sh' in ${packageRoot()} (needs Go >= 1.25; builds Kubernetes ${KUBERNETES_VERSION} into ${controlPlaneCacheDir()}, about 10 minutes on 2 cores) or point KUBEBUILDER_ASSETS at a folder that has ${name}`;
}

/** Path of one binary; throws MissingBinaryError naming the folders searched and the fix. */
export function findBinary(name: BinaryName | NodeBinaryName, env: NodeJS.ProcessEnv = process.env): string {
  const dirs = searchPath(env, controlPlaneCacheDir());
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  throw new MissingBinaryError(name, dirs, fixFor(name));
}

/** Every binary local mode runs, or the first one missing as an error. */
export function findBinaries(env: NodeJS.ProcessEnv = process.env): BinaryPaths {
  const found = {} as Record<BinaryName, string>;
  for (const name of BINARY_NAMES) found[name] = findBinary(name, env);
  return found;
}
