/**
 * Start and stop local mode's Kubernetes control plane, the way envtest does: etcd, then
 * kube-apiserver, then kube-scheduler and kube-controller-manager, each on a free loopback port
 * (or a requested one), with a fresh CA, client certificates and service-account keys, logs in
 * <state>/logs and pid files in <state>/run. A failed start stops whatever it had started.
 */
import * as fs from 'fs';
import { findBinaries, type BinaryPaths } from './binaries';
import { readState, type LocalRuntime } from './state';
import { stopKubeletNode } from './kubelet/node';
import { LocalCluster } from './cluster';
import { AlreadyRunningError } from './errors';
import {
  apiserverArgs,
  authenticationConfig,
  authenticationConfigFile,
  controllerManagerArgs,
  etcdArgs,
  KUBERNETES_SERVICE_IP,
  schedulerArgs,
  type Ports,
} from './flags';
import { renderKubeconfig } from './kubeconfig';
import { componentKubeconfig, layout, type Layout } from './layout';
import { createPki, type PkiFiles } from './pki';
import { reservePorts } from './ports';
import { livePids, removeStaleState } from './stale';

export interface StartOptions {
  /** Folder for certificates, etcd data, logs, pid files and the kubeconfig. */
  readonly stateDir: string;
  /** Fixed ports; each one left out is picked free. */
  readonly ports?: Partial<Ports>;
  /** Binaries to run; found with findBinaries() (KUBEBUILDER_ASSETS, cache, /usr/bin) when left out. */
  readonly binaries?: BinaryPaths;
  /** How long each component may take to become healthy. @default 180000 */
  readonly timeoutMs?: number;
  /** Progress messages. @default none */
  readonly log?: (message: string) => void;
  /** Where pods run (`virtkit up --runtime`), recorded in state.json. @default 'process' */
  readonly runtime?: LocalRuntime;
  /** Feature gates written into the KubeVirt object (`virtkit up --feature-gates`). @default none */
  readonly featureGates?: readonly string[];
}

function writeKubeconfig(file: string, server: string, pki: PkiFiles, identity: string, user: string): void {
  const read = (f: string): string => fs.readFileSync(f, 'utf8');
  const client = pki.clients[identity];
  fs.writeFileSync(
    file,
    renderKubeconfig({
      server,
      user,
      caPem: read(pki.caCert),
      certPem: read(client.cert),
      keyPem: read(client.key),
    }),
    { mode: 0o600 },
  );
}

/** Empty the generated parts of the state folder (logs are kept and appended to). */
function resetStateDir(l: Layout): void {
  removeStaleState(l);
  for (const dir of [l.pkiDir, l.etcdDataDir, l.configDir, l.certsDir])
    fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(l.kubeconfig, { force: true });
  // Keys, kubeconfigs and logs live here: only the owner may read it.
  for (const dir of [l.stateDir, l.configDir, l.logsDir, l.runDir, l.certsDir]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
  }
  fs.mkdirSync(l.etcdDataDir, { recursive: true, mode: 0o700 });
}

export async function startControlPlane(options: StartOptions): Promise<LocalCluster> {
  const l = layout(options.stateDir);
  const log = options.log ?? ((): void => undefined);
  const running = livePids(l);
  if (running.length) throw new AlreadyRunningError(l.stateDir, running);
  // Kubelet nodes of a run that died without `down` left their network, cgroups and mounts.
  for (const node of readState(l.stateFile)?.nodes ?? []) {
    log(`removing what kubelet node ${node.name} of the previous run left on the host`);
    await stopKubeletNode(node);
  }
  // Everything that can fail without side effects comes first: binaries, then ports.
  const binaries = options.binaries ?? findBinaries();
  const wanted = options.ports ?? {};
  // Keyed by component name, so a PortInUseError names the component that wanted the port.
  const reserved = await reservePorts({
    etcd: wanted.etcd,
    'etcd (peer)': wanted.etcdPeer,
    'kube-apiserver': wanted.apiserver,
    'kube-scheduler': wanted.scheduler,
    'kube-controller-manager': wanted.controllerManager,
  });
  const ports: Ports = {
    etcd: reserved.etcd,
    etcdPeer: reserved['etcd (peer)'],
    apiserver: reserved['kube-apiserver'],
    scheduler: reserved['kube-scheduler'],
    controllerManager: reserved['kube-controller-manager'],
  };
  resetStateDir(l);
  const pki = await createPki(l.pkiDir, KUBERNETES_SERVICE_IP);
  const server = `https://127.0.0.1:${ports.apiserver}`;
  writeKubeconfig(l.kubeconfig, server, pki, 'admin', 'virtkit-admin');
  for (const c of [
    'kube-scheduler',
    'kube-controller-manager',
    'virtkit-controller',
    'virtkit-handler',
    'virtkit-whereabouts',
  ]) {
    writeKubeconfig(componentKubeconfig(l, c), server, pki, c, c);
  }
  writeKubeconfig(componentKubeconfig(l, 'virtkit-api'), server, pki, 'virtkit-api-user', 'virtkit-api');
  fs.writeFileSync(authenticationConfigFile(l), authenticationConfig(), { mode: 0o600 });
  const cluster = new LocalCluster(
    {
      layout: l,
      binaries,
      server,
      ports: { ...ports },
      runtime: options.runtime ?? 'process',
      tls: { caCert: pki.caCert, clientCert: pki.clients.admin.cert, clientKey: pki.clients.admin.key },
    },
    options.timeoutMs ?? 180_000,
    log,
  );
  try {
    await cluster.add(
      { name: 'etcd', binary: binaries.etcd, args: etcdArgs(l, ports, pki) },
      { url: `https://127.0.0.1:${ports.etcd}/health`, tls: 'ca' },
    );
    await cluster.add(
      {
        name: 'kube-apiserver',
        binary: binaries['kube-apiserver'],
        args: apiserverArgs(l, ports, pki, { kubeletNodes: options.runtime === 'kubelet' }),
      },
      { url: `${server}/readyz`, tls: 'ca' },
    );
    await cluster.add(
      { name: 'kube-scheduler', binary: binaries['kube-scheduler'], args: schedulerArgs(l, ports) },
      { url: `https://127.0.0.1:${ports.scheduler}/healthz`, tls: 'self-signed' },
    );
    await cluster.add(
      {
        name: 'kube-controller-manager',
        binary: binaries['kube-controller-manager'],
        args: controllerManagerArgs(l, ports, pki),
      },
      { url: `https://127.0.0.1:${ports.controllerManager}/healthz`, tls: 'self-signed' },
    );
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
