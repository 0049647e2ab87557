/**
 * The handler on a kubelet node (`virtkit handler --runtime kubelet`, cluster mode's DaemonSet):
 * kubelet registers the Node and runs the pods, so this handler never starts a process. It
 *
 *   - labels its Node `kubevirt.io/schedulable=true` while it runs (launcher pods select it) and
 *     `false` when it stops (./node-labels.ts);
 *   - serves kubelet's device plugins for `devices.kubevirt.io/kvm`, `tun` and `vhost-net`
 *     (../devices/), so launcher pods get those device nodes;
 *   - hands each launcher container kubelet started its VMI's resources and wires its pod
 *     network through the pod's socket folder (./launcher-pods.ts), and syncs the VMIs with the
 *     same VMI sync as local mode (../vmi/sync.ts): start, status, shutdown; a VMI's Ready is
 *     its launcher pod's, which kubelet decides by running the VMI's probes (the compute
 *     container carries them, ../../controller/vmi/launcher-probes.ts; a failed liveness probe
 *     makes kubelet stop the container, and the guest with it);
 *   - provisions this node's local volumes (the default StorageClass `local`,
 *     ../storage/local-volumes.ts, as in local mode) and readies the claims kubelet mounts
 *     into launcher pods (./claim-disks.ts);
 *   - serves the node API `virtkit api` calls (console, VNC, pause) with the certificate of
 *     its Secret (--node-api-secret).
 *
 * Still to come (issue 17): DataVolumes, ephemeral volumes, hostDisks, sysprep and Multus
 * networks (refused by field), Block claims, the local volumes' snapshots, and live migration
 * between kubelet nodes. Local mode's handler (../handler.ts) keeps its process runtime.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  errorMessage,
  EventRecorder,
  FeatureGateSource,
  KubeClient,
  NODES,
  type ConnectOptions,
} from '../../kube';
import { silentLogger, type Logger } from '../../common/log';
import { startDevicePlugins, type RunningDevicePlugins } from '../devices/device-plugins';
import { DEFAULT_STATE_DIR, HANDLER_FIELD_MANAGER, nodeImagePuller, type RegistryOptions } from '../handler';
import { SpecGuard } from '../vmi/spec-guard';
import { VmiSync } from '../vmi/sync';
import { MigrationProxies } from '../vmi/migration-proxy';
import { schedulablePatch } from './node-labels';
import { KubeletLaunchers } from './launcher-pods';
import { LocalVolumeProvisioner } from '../storage/local-volumes';
import { QEMU_ID } from '../../common/oci/container-disk';
import { locateVmi } from '../vmi/locate';
import { startNodeApiServer, type RunningNodeApi } from '../api/server';
import { TlsSecretSource, type TlsCredentials } from '../../common/tls-secret-source';
import { HANDLER_ENDPOINT_ANNOTATION, handlerEndpoint } from '../../common/node-api';
import { DEFAULT_KUBELET_PODS_DIR } from './handoff-plan';

/** `--node-api-secret`: the node API served with a Secret's certificate, on the pod's address. */
export interface KubeletNodeApiConfig {
  readonly secret: { readonly namespace: string; readonly name: string };
  /** Address to listen on and publish (the handler pod's own, $(POD_IP)). */
  readonly address: string;
  readonly port: number;
  /** Common names of the client certificates allowed (virtkit api's). */
  readonly allowedClients: readonly string[];
}

export interface KubeletNodeHandlerOptions {
  readonly connection?: ConnectOptions;
  /** This node's name (the DaemonSet passes spec.nodeName). */
  readonly nodeName: string;
  /** The handler's own files (the containerDisk image cache). @default /var/lib/virtkit */
  readonly stateDir?: string;
  /** kubelet's device-plugins folder. @default '/var/lib/kubelet/device-plugins' */
  readonly devicePluginDir?: string;
  /** kubelet's pod folders, where launcher pods' shared folders are. @default /var/lib/kubelet/pods */
  readonly kubeletPodsDir?: string;
  /** How containerDisk images are pulled (mirrors, plain-HTTP registries). */
  readonly registries?: RegistryOptions;
  /**
   * Where migration targets' proxies listen and are reached by other nodes' handlers (the
   * handler pod's own address: the DaemonSet's pods are on the pod network, as virt-handler's).
   * @default the Node's InternalIP
   */
  readonly migrationAddress?: string;
  /** The node API `virtkit api` calls (console, VNC, pause...); without it, none is served. */
  readonly nodeApi?: KubeletNodeApiConfig;
  readonly log?: Logger;
}

interface NodeJson {
  status?: { addresses?: { type?: string; address?: string }[] };
}

export class KubeletNodeHandler {
  private client?: KubeClient;
  private devices?: RunningDevicePlugins;
  private gates?: FeatureGateSource;
  private launchers?: KubeletLaunchers;
  private volumes?: LocalVolumeProvisioner;
  private vmis?: VmiSync;
  private migrationProxies?: MigrationProxies;
  private nodeApiCerts?: TlsSecretSource;
  private nodeApi?: RunningNodeApi;

  constructor(private readonly o: KubeletNodeHandlerOptions) {}

  async start(): Promise<void> {
    const log = this.o.log ?? silentLogger();
    const nodeName = this.o.nodeName;
    const node = { kind: 'Node', name: nodeName };
    const stateDir = this.o.stateDir ?? DEFAULT_STATE_DIR;
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const client = KubeClient.connect({ ...this.o.connection, fieldManager: HANDLER_FIELD_MANAGER });
    this.client = client;
    log.info(
      { server: client.config.server, user: client.config.user },
      `connecting as ${client.config.source}`,
    );
    // kubelet registered the Node; a handler on a node that does not exist is misplaced.
    const nodeObj = await client.getIfExists<NodeJson>(NODES, undefined, nodeName);
    if (!nodeObj)
      throw new Error(
        `Node ${nodeName} does not exist: with --runtime kubelet the handler runs on a node kubelet registered; pass its name with --node-name (the DaemonSet gives spec.nodeName)`,
      );
    const address = nodeObj.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
    this.devices = await startDevicePlugins({
      ...(this.o.devicePluginDir !== undefined ? { deviceDir: this.o.devicePluginDir } : {}),
      log,
    });
    // The gates come from the cluster's KubeVirt object, watched (a 403 here names the missing verb).
    const gates = new FeatureGateSource(client, log);
    this.gates = gates;
    await gates.start();
    const recorder = (): EventRecorder => new EventRecorder(client, log, HANDLER_FIELD_MANAGER, nodeName);
    const guard = new SpecGuard({ client, recorder: recorder(), featureGates: () => gates.current(), log });
    // This node's local volumes (the default StorageClass `local`), made where a pod needs them.
    const volumeRoot = path.join(stateDir, 'volumes');
    // New volumes are KubeVirt's qemu user's (107): CDI's importer pods and launchers run as it.
    this.volumes = new LocalVolumeProvisioner({
      client,
      nodeName,
      root: volumeRoot,
      owner: { uid: QEMU_ID, gid: QEMU_ID },
      recorder: recorder(),
      log,
    });
    await this.volumes.start();
    const launchers = new KubeletLaunchers({
      client,
      nodeName,
      volumeRoot,
      podsDir: this.o.kubeletPodsDir ?? DEFAULT_KUBELET_PODS_DIR,
      socketLinksDir: path.join(stateDir, 'launcher-sockets'),
      guard,
      images: {
        puller: nodeImagePuller(stateDir, this.o.registries, log),
        recorder: recorder(),
      },
      recorder: recorder(),
      log,
      onLauncherChange: (v) => this.vmis?.notify(v),
    });
    this.launchers = launchers;
    gates.onChange(() => launchers.retryWaiting());
    // Migrations go between the nodes' addresses, carried by the handlers (KubeVirt's proxies).
    this.migrationProxies = new MigrationProxies({ address: this.o.migrationAddress ?? address, log });
    this.vmis = new VmiSync({
      client,
      nodeName,
      runtime: launchers,
      migrationProxies: this.migrationProxies,
      guard,
      // kubelet runs the VMIs' probes (the compute container carries them); its Ready is the VMI's.
      readiness: (key) => launchers.readinessOf(key),
      recorder: recorder(),
      log,
    });
    await launchers.start();
    await this.vmis.start();
    if (this.o.nodeApi) await this.startNodeApi(client, this.o.nodeApi, recorder(), log);
    await client.mergePatch(NODES, undefined, nodeName, schedulablePatch(true));
    log.info(node, 'ready: the node is schedulable for launcher pods (kubevirt.io/schedulable=true)');
  }

  /**
   * The node API, once its certificate Secret has what it needs (the api makes it on its first
   * pass, or cert-manager does): served on the pod's address, published on the Node
   * (virtkit.io/handler-endpoint) for `virtkit api`, and given each renewal as it comes.
   */
  private async startNodeApi(
    client: KubeClient,
    cfg: KubeletNodeApiConfig,
    recorder: EventRecorder,
    log: Logger,
  ): Promise<void> {
    const nodeName = this.o.nodeName;
    let starting: Promise<void> | undefined;
    const serve = (c: TlsCredentials): void => {
      if (this.nodeApi) {
        this.nodeApi.setCredentials(c);
        return;
      }
      starting ??= (async () => {
        const api = await startNodeApiServer({
          tls: { credentials: c },
          allowedClients: cfg.allowedClients,
          host: cfg.address,
          port: cfg.port,
          nodeName,
          locator: {
            locate: (ns, name) =>
              locateVmi(this.vmis?.informer.cache.get(`${ns}/${name}`), nodeName, this.launchers, ns, name),
          },
          recorder,
          log,
        });
        this.nodeApi = api;
        const endpoint = handlerEndpoint(cfg.address, api.port);
        await client.mergePatch(NODES, undefined, nodeName, {
          metadata: { annotations: { [HANDLER_ENDPOINT_ANNOTATION]: endpoint } },
        });
        log.info({ kind: 'Node', name: nodeName }, `node API serving on ${endpoint}`);
      })().catch((e: unknown) => {
        starting = undefined;
        log.error({ kind: 'Node', name: nodeName }, `the node API could not start: ${errorMessage(e)}`);
      });
    };
    this.nodeApiCerts = new TlsSecretSource({
      client,
      namespace: cfg.secret.namespace,
      name: cfg.secret.name,
      log,
      onChange: serve,
    });
    await this.nodeApiCerts.start();
  }

  async stop(): Promise<void> {
    const log = this.o.log ?? silentLogger();
    this.nodeApiCerts?.stop();
    await this.nodeApi?.close().catch(() => undefined);
    await this.client
      ?.mergePatch(NODES, undefined, this.o.nodeName, schedulablePatch(false))
      .catch((e: unknown) =>
        log.warn(
          { kind: 'Node', name: this.o.nodeName },
          `marking the node unschedulable: ${errorMessage(e)}`,
        ),
      );
    this.migrationProxies?.closeAll();
    await Promise.all(
      [this.vmis?.stop(), this.launchers?.stop(), this.volumes?.stop(), this.gates?.stop()].map((p) =>
        p?.catch((e: unknown) => log.warn(errorMessage(e))),
      ),
    );
    await this.devices
      ?.stop()
      .catch((e: unknown) => log.warn(`stopping the device plugins: ${errorMessage(e)}`));
    this.client?.close();
  }
}
