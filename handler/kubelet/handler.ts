/**
 * The handler on a kubelet node (`virtkit handler --runtime kubelet`, cluster mode's DaemonSet):
 * kubelet registers the Node and runs the pods, so this handler never starts a process. What it
 * does today:
 *
 *   - labels its Node `kubevirt.io/schedulable=true` while it runs (launcher pods select it) and
 *     `false` when it stops (./node-labels.ts);
 *   - serves kubelet's device plugins for `devices.kubevirt.io/kvm`, `tun` and `vhost-net`
 *     (../devices/), so launcher pods get those device nodes.
 *
 * Still to come (issue 17): the feature gates (nothing it does yet is gated), syncing VMIs with their launchers through the shared socket folder,
 * wiring the launcher pod's network and preparing its volumes. Local mode's handler (../handler.ts)
 * keeps its process runtime.
 */
import { errorMessage, KubeClient, NODES, type ConnectOptions } from '../../kube';
import { silentLogger, type Logger } from '../../common/log';
import { startDevicePlugins, type RunningDevicePlugins } from '../devices/device-plugins';
import { HANDLER_FIELD_MANAGER } from '../handler';
import { schedulablePatch } from './node-labels';

export interface KubeletNodeHandlerOptions {
  readonly connection?: ConnectOptions;
  /** This node's name (the DaemonSet passes spec.nodeName). */
  readonly nodeName: string;
  /** kubelet's device-plugins folder. @default '/var/lib/kubelet/device-plugins' */
  readonly devicePluginDir?: string;
  readonly log?: Logger;
}

export class KubeletNodeHandler {
  private client?: KubeClient;
  private devices?: RunningDevicePlugins;

  constructor(private readonly o: KubeletNodeHandlerOptions) {}

  async start(): Promise<void> {
    const log = this.o.log ?? silentLogger();
    const node = { kind: 'Node', name: this.o.nodeName };
    const client = KubeClient.connect({ ...this.o.connection, fieldManager: HANDLER_FIELD_MANAGER });
    this.client = client;
    log.info(
      { server: client.config.server, user: client.config.user },
      `connecting as ${client.config.source}`,
    );
    // kubelet registered the Node; a handler on a node that does not exist is misplaced.
    if (!(await client.getIfExists(NODES, undefined, this.o.nodeName)))
      throw new Error(
        `Node ${this.o.nodeName} does not exist: with --runtime kubelet the handler runs on a node kubelet registered; pass its name with --node-name (the DaemonSet gives spec.nodeName)`,
      );
    this.devices = await startDevicePlugins({
      ...(this.o.devicePluginDir !== undefined ? { deviceDir: this.o.devicePluginDir } : {}),
      log,
    });
    await client.mergePatch(NODES, undefined, this.o.nodeName, schedulablePatch(true));
    log.info(node, 'ready: the node is schedulable for launcher pods (kubevirt.io/schedulable=true)');
  }

  async stop(): Promise<void> {
    const log = this.o.log ?? silentLogger();
    await this.client
      ?.mergePatch(NODES, undefined, this.o.nodeName, schedulablePatch(false))
      .catch((e: unknown) =>
        log.warn(
          { kind: 'Node', name: this.o.nodeName },
          `marking the node unschedulable: ${errorMessage(e)}`,
        ),
      );
    await this.devices
      ?.stop()
      .catch((e: unknown) => log.warn(`stopping the device plugins: ${errorMessage(e)}`));
    this.client?.close();
  }
}
