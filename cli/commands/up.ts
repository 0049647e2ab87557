/** `virtkit up [--detach]`: start local mode (control plane, CRDs, components). */
import type { Command } from 'commander';
import {
  parseNodeCount,
  parsePort,
  parseSeconds,
  reportFailure,
  resolveStateDir,
} from '../local/cli-options';
import { MAX_LOCAL_NODES } from '../local/components';
import type { LocalCluster } from '../local/cluster';
import { startLocalMode } from '../local/manage';
import { checkFeatureGates } from '../local/kubevirt-config';
import { isAlive } from '../local/process';
import { LOCAL_RUNTIMES, type LocalRuntime } from '../local/state';
import { parseRegistryMirror } from '../../handler/images/policy';
import { readImagesFile } from '../local/kubelet/images';

interface UpFlags {
  detach?: boolean;
  stateDir?: string;
  port?: number;
  timeout?: number;
  featureGates?: string;
  useEmulation?: boolean;
  registryMirror?: string[];
  nodes?: number;
  runtime?: LocalRuntime;
  images?: string;
}

const log = (message: string): void => {
  console.error(`virtkit up: ${message}`);
};

/** Resolves when SIGINT/SIGTERM arrives, or when a component exits on its own (then with its name). */
function waitForShutdown(cluster: LocalCluster): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (reason: string | undefined): void => {
      clearInterval(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(reason);
    };
    const onSignal = (): void => done(undefined);
    const timer = setInterval(() => {
      const dead = cluster.components.find((c) => !isAlive(c.pid));
      if (dead) done(`${dead.name} (pid ${dead.pid}) exited; see ${dead.logFile}`);
    }, 2000);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function up(flags: UpFlags): Promise<void> {
  const stateDir = resolveStateDir(flags.stateDir);
  // Refuse an unknown gate before anything starts.
  checkFeatureGates(
    (flags.featureGates ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
  );
  // A malformed mirror is refused here, before anything starts (the handler checks again).
  const registryMirrors = flags.registryMirror ?? [];
  registryMirrors.forEach(parseRegistryMirror);
  const runtime = flags.runtime ?? 'process';
  if (runtime === 'kubelet') {
    const loopback = registryMirrors.find((m) => kubeletMirrorProblem(m));
    if (loopback) throw new Error(kubeletMirrorProblem(loopback));
  }
  if (flags.images !== undefined && runtime !== 'kubelet')
    throw new Error(
      '--images names the images installed onto kubelet nodes; the process runtime runs virtkit from this package: add --runtime kubelet or drop --images',
    );
  const images = flags.images !== undefined ? readImagesFile(flags.images) : undefined;
  const cluster = await startLocalMode({
    stateDir,
    ...(images ? { images } : {}),
    registryMirrors,
    runtime,
    ...(flags.nodes !== undefined ? { nodes: flags.nodes } : {}),
    ...(flags.port !== undefined ? { ports: { apiserver: flags.port } } : {}),
    ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout * 1000 } : {}),
    featureGates: (flags.featureGates ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
    ...(flags.useEmulation ? { useEmulation: true } : {}),
    log,
  });
  log(`ready: kube-apiserver at ${cluster.server}, state in ${stateDir}`);
  if (runtime === 'kubelet')
    log(
      `kubelet nodes: ${cluster.nodes.map((n) => `${n.name} (${n.nodeIp})`).join(', ')}; virtkit's api, controller and handler run in the cluster (namespace virtkit). ` +
        'VMs run in launcher pods kubelet starts (ephemeral, hostDisk and sysprep volumes and Multus networks are not run there yet: use --runtime process for them)',
    );
  console.log(`export KUBECONFIG=${cluster.kubeconfig}`);
  if (flags.detach) {
    log("running in the background; stop it with 'virtkit down'");
    return;
  }
  log('running in the foreground; press Ctrl-C to stop');
  const failure = await waitForShutdown(cluster);
  if (failure) log(failure);
  await cluster.stop();
  log('stopped');
  if (failure) process.exitCode = 1;
}

/**
 * Why a mirror cannot serve kubelet nodes (pure): there the handler pods pull containerDisks from
 * their own network namespace, where a loopback URL is the pod itself, not this machine.
 */
export function kubeletMirrorProblem(spec: string): string | undefined {
  const { endpoint } = parseRegistryMirror(spec);
  const host = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const isLoopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return isLoopback
    ? `--registry-mirror ${JSON.stringify(spec)}: on kubelet nodes the handler pods pull containerDisks from their own network, where ${host} is the pod itself; give an address of this machine the nodes reach (the registry listening on it), such as one \`hostname -I\` prints`
    : undefined;
}

function parseRuntime(value: string): LocalRuntime {
  if (!(LOCAL_RUNTIMES as readonly string[]).includes(value))
    throw new Error(`--runtime: '${value}' is not a runtime; give one of ${LOCAL_RUNTIMES.join(', ')}`);
  return value as LocalRuntime;
}

export function register(program: Command): void {
  program
    .command('up')
    .description(
      'Start local mode: etcd, kube-apiserver, kube-scheduler and kube-controller-manager on loopback, ' +
        "virtkit's CRDs, then virtkit's own components; writes <state-dir>/kubeconfig",
    )
    .option('-d, --detach', 'return once everything is ready and leave it running (stop with `virtkit down`)')
    .option(
      '--state-dir <dir>',
      'folder for certificates, data, logs and pid files (default: $VIRTKIT_STATE_DIR or ./.virtkit)',
    )
    .option(
      '--feature-gates <gates>',
      'comma-separated feature gates to turn on in the KubeVirt object (HostDisk, HostDevices, GPU, LocalContainerDisk)',
    )
    .option(
      '--use-emulation',
      "allow software emulation in the KubeVirt object even where KVM works (KubeVirt's useEmulation: launcher pods do not ask for devices.kubevirt.io/kvm); up sets it by itself where this machine's KVM does not boot a guest",
    )
    .option(
      '--registry-mirror <host=url>',
      "the node handlers pull registry HOST's containerDisk images from URL first (repeatable; e.g. docker.io=http://127.0.0.1:5000 for an air-gapped machine; with --runtime kubelet the install's handler DaemonSet gets it, so URL must be an address the nodes reach, not loopback)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      '--nodes <n>',
      `how many nodes: one handler each, with its own Node, state, pod range and launcher pods, so VMs can live-migrate between them (1 to ${MAX_LOCAL_NODES}; default 1)`,
      (v: string) => parseNodeCount(v, MAX_LOCAL_NODES),
    )
    .option(
      '--runtime <runtime>',
      "where pods run: 'process' (virtkit's handler runs launcher pods as host processes) or 'kubelet' " +
        '(real kubelet nodes with containerd, each in its own network namespace; needs root) (default: process)',
      parseRuntime,
    )
    .option(
      '--images <file>',
      'with --runtime kubelet: the images to import into the nodes and install, as `npm run -s images -- --json` lists them (default: the newest of this version in the image cache)',
    )
    .option('--port <port>', 'kube-apiserver port on 127.0.0.1 (default: a free port)', parsePort('--port'))
    .option(
      '--timeout <seconds>',
      'how long each component may take to become healthy (default: 180)',
      parseSeconds('--timeout'),
    )
    .action(async (flags: UpFlags) => {
      try {
        await up(flags);
      } catch (err) {
        reportFailure('up', err);
      }
    });
}
