/**
 * The node handler: registers the Node, watches the cluster's feature gates, runs the local pod
 * runtime, CDI's worker pods and placeholder pods, the VMI sync and the node's local volume
 * provisioner, and stops them in order. Each launcher pod gets its own network namespace and
 * address (network/cni) from the node's pod range (`--pod-cidr`). Every VMI is judged (api/
 * validation and feature gates, vmi/spec-guard.ts) before anything of it reaches this node.
 * Launcher processes (and their pod networks) are left running on stop (like kubelet's
 * containers): the next handler adopts them from the state dir.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { silentLogger, type Logger } from '../common/log';
import { handlerEndpoint } from '../common/node-api';
import { startNodeApiServer, type RunningNodeApi } from './api/server';
import type { NodeVmiLocation } from './api/types';
import { gatherHostFacts } from './node/host-facts';
import { NodeRegistrar } from './node/registrar';
import { defaultLauncherCommand, type LauncherCommand } from './pods/launcher-process';
import { PodRuntime } from './pods/runtime';
import { ensureNodeNetwork, PodNetwork } from './network/cni';
import { writeWhereaboutsFiles } from './network/whereabouts';
import { Prober } from './probes/prober';
import { LocalVolumeProvisioner } from './storage/local-volumes';
import { LocalSnapshotter } from './storage/local-snapshots';
import { SpecGuard } from './vmi/spec-guard';
import { VmiSync } from './vmi/sync';
import { locateVmi } from './vmi/locate';
import { PlaceholderPods } from './workers/placeholders';
import { WorkerPodRunner } from './workers/runner';
import { ExporterPodRunner } from './exporter/pod-runner';
import { ImagePuller } from './images/puller';
import type { RegistryMirror } from './images/policy';
import {
  DEFAULT_KUBE_OVN_TUNNEL_PORT,
  formatTunnelEndpoint,
  type TunnelEndpoint,
} from './network/kubeovn/tunnel-plan';
import { KubeOvnTunnels } from './network/kubeovn/tunnel-sync';
import { MigrationProxies } from './vmi/migration-proxy';
import { kubeOvnTunnelPort } from './network/kubeovn/tunnels';
import { errorMessage, EventRecorder, FeatureGateSource, KubeClient, type ConnectOptions } from '../kube';

/** The field manager of every write the handler makes. */
export const HANDLER_FIELD_MANAGER = 'virtkit-handler';

export interface HandlerOptions {
  /** Which cluster and identity (kubeconfig, context), resolved as kubectl does. @default kubectl's resolution */
  readonly connection?: ConnectOptions;
  /** Node name. @default $NODE_NAME (a DaemonSet sets it from spec.nodeName), else the host name */
  readonly nodeName?: string;
  /** Pod directories, launcher work dirs and pid files. @default /var/lib/virtkit */
  readonly stateDir?: string;
  readonly launcherCommand?: LauncherCommand;
  readonly version?: string;
  /** @default a logger that drops everything */
  readonly log?: Logger;
  /** The node API `virtkit api` calls (pause, guest info, console...); without it, none is served. */
  readonly nodeApi?: NodeApiConfig;
  /**
   * Where this node's local volumes (StorageClasses of provisioner virtkit.io/local-volume) keep
   * their data. @default <stateDir>/volumes
   */
  readonly volumeRoot?: string;
  /** How container-disk images are pulled from registries (mirrors, plain-HTTP registries). */
  readonly registries?: RegistryOptions;
  /**
   * The range launcher pods' addresses come from (`--pod-cidr`), used when the handler writes
   * its default CNI network. @default a free /24 of 10.244.0.0/16, kept in the state dir
   */
  readonly podCidr?: string;
  /**
   * Wire launcher pods' Kube-OVN allocations (off with `--no-kube-ovn`): the default
   * network and kube-ovn NetworkAttachmentDefinitions on a Linux bridge per Subnet. In a cluster
   * that runs the real Kube-OVN, its own CNI does this; turn virtkit's off. @default true
   */
  readonly kubeOvn?: boolean;
  /**
   * The UDP port of this node's Kube-OVN tunnels (`--kube-ovn-tunnel-port`), the VXLAN devices
   * that join a Subnet's bridges on different nodes, published on the Node with the node's
   * address. 0: a free port, picked once and kept in the state dir (local mode, whose nodes
   * share one address). @default 4789
   */
  readonly kubeOvnTunnelPort?: number;
  /**
   * Where CNI plugin binaries are searched, in order (`--cni-plugin-dir`; local mode adds the
   * whereabouts build). @default $VIRTKIT_CNI_PLUGIN_DIRS, else /usr/lib/cni and /opt/cni/bin
   */
  readonly pluginDirs?: readonly string[];
  /**
   * The kubeconfig of the identity the whereabouts IPAM plugin runs as (`--whereabouts-kubeconfig`;
   * local mode issues one with only whereabouts' RBAC). The handler keeps a 0600 copy and
   * whereabouts' flat file under `<stateDir>/cni/whereabouts.d` and points NADs' whereabouts IPAM
   * at them. @default none: whereabouts looks for its flat file in its default places
   */
  readonly whereaboutsKubeconfig?: string;
}

/** `virtkit handler --registry-mirror HOST=URL --insecure-registry HOST`. */
export interface RegistryOptions {
  /** Tried before the registry itself, in order (containerd's hosts.toml mirrors). */
  readonly mirrors?: readonly RegistryMirror[];
  /** Registries spoken to over plain HTTP although not on loopback. */
  readonly insecure?: readonly string[];
}

/** The image cache: under the handler's state dir, beside the pods whose launchers use its disks. */
export function imageCacheDir(stateDir: string): string {
  return path.join(stateDir, 'images');
}

/** The node's puller of container-disk images, with its cache in the state dir (both runtimes). */
export function nodeImagePuller(
  stateDir: string,
  registries: RegistryOptions | undefined,
  log: Logger,
): ImagePuller {
  return new ImagePuller({
    cacheDir: imageCacheDir(stateDir),
    mirrors: registries?.mirrors ?? [],
    insecureRegistries: registries?.insecure ?? [],
    log,
  });
}

/** `virtkit handler --node-api-*`: where and how the node API is served. */
export interface NodeApiConfig {
  /** Address to listen on, and the one published in the endpoint annotation. */
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA the api's client certificate must chain to. */
  readonly clientCaFile: string;
  /** Common names of the client certificates allowed. */
  readonly allowedClients: readonly string[];
}

export const DEFAULT_STATE_DIR = '/var/lib/virtkit';

export class Handler {
  private registrar?: NodeRegistrar;
  private gates?: FeatureGateSource;
  private runtime?: PodRuntime;
  private vmis?: VmiSync;
  private nodeApi?: RunningNodeApi;
  private volumes?: LocalVolumeProvisioner;
  private snapshots?: LocalSnapshotter;
  private workerPods?: WorkerPodRunner;
  private exporterPods?: ExporterPodRunner;
  private placeholders?: PlaceholderPods;
  private prober?: Prober;
  private tunnels?: KubeOvnTunnels;
  private migrationProxies?: MigrationProxies;

  constructor(private readonly o: HandlerOptions) {}

  async start(): Promise<void> {
    const log = this.o.log ?? silentLogger();
    const nodeName = this.o.nodeName || process.env.NODE_NAME || os.hostname().toLowerCase();
    const stateDir = this.o.stateDir ?? DEFAULT_STATE_DIR;
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const client = KubeClient.connect({ ...this.o.connection, fieldManager: HANDLER_FIELD_MANAGER });
    log.info(
      { server: client.config.server, user: client.config.user },
      `connecting as ${client.config.source}`,
    );
    const facts = await gatherHostFacts(nodeName, this.o.version ?? 'dev');
    log.info(
      { kind: 'Node', name: nodeName },
      `${facts.cpus} CPUs, ${Math.round(facts.memoryBytes / 2 ** 20)} MiB, address ${facts.ip}, ${facts.kvm ? 'KVM' : `no KVM (${facts.kvmReason})`}; state in ${stateDir}`,
    );
    let endpoint: string | undefined;
    if (this.o.nodeApi) {
      const api = this.o.nodeApi;
      const recorder = new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName);
      this.nodeApi = await startNodeApiServer({
        tls: { certFile: api.certFile, keyFile: api.keyFile, clientCaFile: api.clientCaFile },
        allowedClients: api.allowedClients,
        host: api.address,
        port: api.port,
        nodeName,
        locator: { locate: (ns, name) => this.locate(nodeName, ns, name) },
        uploadSocket: (ns, claim) => this.workerPods?.uploadSocket(ns, claim),
        exportEndpoint: (ns, name) => this.exporterPods?.exportEndpoint(ns, name),
        recorder,
        log,
      });
      endpoint = handlerEndpoint(api.address, this.nodeApi.port);
      log.info({ kind: 'Node', name: nodeName }, `node API serving on ${endpoint}`);
    }
    // The node's Kube-OVN tunnel endpoint, published on its Node for the other nodes' tunnels.
    const kubeOvn = this.o.kubeOvn ?? true;
    const tunnel: TunnelEndpoint | undefined = kubeOvn
      ? {
          ip: facts.ip,
          port: await kubeOvnTunnelPort(stateDir, this.o.kubeOvnTunnelPort ?? DEFAULT_KUBE_OVN_TUNNEL_PORT),
        }
      : undefined;
    this.registrar = new NodeRegistrar(
      client,
      facts,
      log,
      endpoint,
      tunnel ? formatTunnelEndpoint(tunnel) : undefined,
    );
    await this.registrar.register();
    // The gates come from the cluster's KubeVirt object, watched (a 403 here names the missing verb).
    const gates = new FeatureGateSource(client, log);
    this.gates = gates;
    await gates.start();
    const guard = new SpecGuard({
      client,
      recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      featureGates: () => gates.current(),
      log,
    });
    // kubelet's prober: readiness follows into the pod and the VMI, a liveness failure stops the guest.
    const prober = new Prober({
      log,
      recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      onReadinessChange: (key) => {
        const [namespace = '', name = ''] = key.split('/');
        this.vmis?.notify({ namespace, name });
        this.runtime?.refreshVmi({ namespace, name });
      },
      onLivenessFailure: (key, launcher, message) => {
        log.warn(
          { kind: 'VirtualMachineInstance', key },
          `liveness probe failed (${message}); stopping the guest`,
        );
        launcher
          .kill()
          .catch((e: unknown) =>
            log.warn(
              { kind: 'VirtualMachineInstance', key },
              `stopping after a liveness failure: ${errorMessage(e)}`,
            ),
          );
      },
    });
    this.prober = prober;
    // Every launcher pod gets its own network namespace and address from this node's range.
    await ensureNodeNetwork({
      stateDir,
      ...(this.o.podCidr !== undefined ? { podCidr: this.o.podCidr } : {}),
      log,
    });
    // whereabouts' credentials and flat file, before any pod's ADD can need them.
    const whereabouts =
      this.o.whereaboutsKubeconfig !== undefined
        ? writeWhereaboutsFiles(stateDir, this.o.whereaboutsKubeconfig)
        : undefined;
    const tunnels = tunnel
      ? new KubeOvnTunnels({ client, nodeName, stateDir, local: tunnel, log })
      : undefined;
    this.tunnels = tunnels;
    this.runtime = new PodRuntime({
      client,
      nodeName,
      stateDir,
      hostIP: facts.ip,
      network: new PodNetwork({
        stateDir,
        log,
        ...(this.o.pluginDirs ? { pluginDirs: this.o.pluginDirs } : {}),
      }),
      kubeOvn,
      ...(tunnels ? { afterNetworkSetUp: () => tunnels.sync() } : {}),
      ...(whereabouts ? { whereabouts } : {}),
      recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      launcherCommand: this.o.launcherCommand ?? defaultLauncherCommand(),
      guard,
      log,
      onLauncherChange: (v) => this.vmis?.notify(v),
      // A VMI with a readinessProbe is not ready until the probe passed, before its first run too.
      readiness: (v) => {
        const key = `${v.namespace}/${v.name}`;
        const probed = prober.readiness(key);
        if (probed) return probed.ready;
        return this.vmis?.informer.cache.get(key)?.spec?.readinessProbe ? false : undefined;
      },
      images: {
        puller: nodeImagePuller(stateDir, this.o.registries, log),
        recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      },
    });
    // Migrations go between the nodes' addresses, carried by the handlers (KubeVirt's proxies).
    this.migrationProxies = new MigrationProxies({ address: facts.ip, log });
    const vmis = new VmiSync({
      client,
      nodeName,
      runtime: this.runtime,
      migrationProxies: this.migrationProxies,
      guard,
      prober,
      recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      log,
    });
    this.vmis = vmis;
    const runtime = this.runtime;
    gates.onChange(() => runtime.retryWaiting());
    const volumeRoot = this.o.volumeRoot ?? `${stateDir.replace(/\/+$/, '')}/volumes`;
    this.volumes = new LocalVolumeProvisioner({
      client,
      nodeName,
      root: volumeRoot,
      recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      log,
    });
    await this.volumes.start();
    // Kubernetes' VolumeSnapshots of this node's local volumes (the snapshot API is optional).
    this.snapshots = new LocalSnapshotter({
      client,
      nodeName,
      root: volumeRoot,
      recorder: new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName),
      log,
    });
    await this.snapshots.start();
    // Before the pods: a guest adopted after a restart finds its Subnet's tunnels in place.
    await tunnels?.start();
    await this.runtime.start();
    // CDI's worker pods (DataVolume imports and clones) and the pods that only hold a place.
    this.workerPods = new WorkerPodRunner({
      client,
      nodeName,
      stateDir,
      volumeRoot,
      hostIP: facts.ip,
      command: this.o.launcherCommand ?? defaultLauncherCommand(),
      registries: { mirrors: this.o.registries?.mirrors ?? [], insecure: this.o.registries?.insecure ?? [] },
      log,
    });
    await this.workerPods.start();
    // KubeVirt's exporter pods (VirtualMachineExport servers), served through the node API.
    this.exporterPods = new ExporterPodRunner({
      client,
      nodeName,
      stateDir,
      volumeRoot,
      hostIP: facts.ip,
      command: this.o.launcherCommand ?? defaultLauncherCommand(),
      log,
    });
    await this.exporterPods.start();
    this.placeholders = new PlaceholderPods({ client, nodeName, hostIP: facts.ip, log });
    await this.placeholders.start();
    await vmis.start();
    log.info({ kind: 'Node', name: nodeName }, 'ready');
  }

  /** Where a VMI stands on this node, for the node API (its launcher's socket once it is ready). */
  private locate(nodeName: string, namespace: string, name: string): NodeVmiLocation {
    return locateVmi(
      this.vmis?.informer.cache.get(`${namespace}/${name}`),
      nodeName,
      this.runtime,
      namespace,
      name,
    );
  }

  async stop(): Promise<void> {
    this.prober?.stopAll();
    this.migrationProxies?.closeAll();
    await this.nodeApi?.close().catch(() => undefined);
    this.registrar?.stop();
    await Promise.all(
      [
        this.vmis?.stop(),
        this.runtime?.stop(),
        this.workerPods?.stop(),
        this.exporterPods?.stop(),
        this.placeholders?.stop(),
        this.gates?.stop(),
        this.volumes?.stop(),
        this.snapshots?.stop(),
        this.tunnels?.stop(),
      ].map((p) => p?.catch((e: unknown) => errorMessage(e))),
    );
  }
}
