/**
 * The handler's device plugins: one ./device-plugin.ts per generic device of ./device-plan.ts
 * (`devices.kubevirt.io/kvm`, `tun`, `vhost-net`), started together for one kubelet's
 * device-plugins folder and stopped together. In cluster mode the handler runs them so that
 * launcher pods asking for these resources get the device nodes (virt-handler's job in KubeVirt).
 */
import { silentLogger, type Logger } from '../../common/log';
import { DEFAULT_DEVICE_PLUGIN_DIR } from './device-plugin-api';
import { DevicePlugin } from './device-plugin';
import { GENERIC_DEVICES, type GenericDevice } from './device-plan';

export interface DevicePluginsOptions {
  /** kubelet's device-plugins folder. @default '/var/lib/kubelet/device-plugins' */
  readonly deviceDir?: string;
  /** @default a silent logger */
  readonly log?: Logger;
  /** The devices to advertise. @default GENERIC_DEVICES */
  readonly devices?: readonly GenericDevice[];
  /** Device IDs per resource. @default DEVICES_PER_RESOURCE (1000) */
  readonly count?: number;
  /** How often each plugin checks its device node, its socket and kubelet.sock. @default 1000 */
  readonly checkIntervalMs?: number;
}

export interface RunningDevicePlugins {
  readonly plugins: readonly DevicePlugin[];
  /** Stops every plugin and removes their sockets. */
  stop(): Promise<void>;
}

/**
 * Starts a plugin per device. When one cannot start, those started are stopped again and its
 * DevicePluginError (naming the socket and the fix) is thrown.
 */
export async function startDevicePlugins(o: DevicePluginsOptions = {}): Promise<RunningDevicePlugins> {
  const log = o.log ?? silentLogger();
  const deviceDir = o.deviceDir ?? DEFAULT_DEVICE_PLUGIN_DIR;
  const plugins: DevicePlugin[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(plugins.map((p) => p.stop()));
  };
  try {
    for (const device of o.devices ?? GENERIC_DEVICES) {
      const plugin = new DevicePlugin({
        device,
        deviceDir,
        log,
        ...(o.count !== undefined ? { count: o.count } : {}),
        ...(o.checkIntervalMs !== undefined ? { checkIntervalMs: o.checkIntervalMs } : {}),
      });
      plugins.push(plugin);
      await plugin.start();
    }
  } catch (e) {
    await stop();
    throw e;
  }
  log.info(
    {
      deviceDir,
      resources: plugins.map((p) => `${p.resourceName}${p.healthy ? '' : ' (absent)'}`),
    },
    'device plugins started',
  );
  return { plugins, stop };
}
