/**
 * One kubelet device plugin for one generic device (./device-plan.ts): serves the DevicePlugin
 * gRPC service on its socket in kubelet's device-plugins folder (mode 0600, never through a
 * symlink), registers with kubelet.sock, streams the device list on ListAndWatch, and answers
 * Allocate with the device node.
 *
 * One check, run every `checkIntervalMs` and whenever the folders involved change (inotify
 * makes it prompt; the interval makes it certain), keeps it true to the host:
 * - the device node's health: a change is sent on every open ListAndWatch stream;
 * - its own socket: kubelet deletes every socket in the folder when it starts, so a socket
 *   gone (or replaced) means serve again on a fresh one;
 * - kubelet.sock: a new one (another inode) means a restarted kubelet, which knows no plugin
 *   until each registers again; a failed registration is retried on the next check.
 */
import * as grpc from '@grpc/grpc-js';
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger, type Logger } from '../../common/log';
import {
  DevicePluginError,
  devicePluginApi,
  HEALTHY,
  KUBELET_SOCKET,
  register,
  unixAddress,
  type AllocateRequest,
  type AllocateResponse,
  type DevicePluginOptions as PluginOptionsMessage,
  type Empty,
  type Health,
  type ListAndWatchResponse,
  type PreferredAllocationRequest,
  type PreferredAllocationResponse,
  type PreStartContainerRequest,
} from './device-plugin-api';
import {
  allocation,
  AllocationError,
  deviceIds,
  deviceList,
  DEVICES_PER_RESOURCE,
  genericDeviceProblem,
  healthOf,
  pluginSocketPath,
  preferredAllocation,
  registerRequest,
  resourceName,
  type GenericDevice,
} from './device-plan';

export interface DevicePluginOptions {
  readonly device: GenericDevice;
  /** kubelet's device-plugins folder (`<root-dir>/device-plugins`), where kubelet.sock is. */
  readonly deviceDir: string;
  /** How many device IDs to advertise. @default DEVICES_PER_RESOURCE (1000) */
  readonly count?: number;
  /** @default a silent logger */
  readonly log?: Logger;
  /** How often the device node, the socket and kubelet.sock are checked. @default 1000 */
  readonly checkIntervalMs?: number;
  /** How long kubelet may take to answer Register. @default 5000 */
  readonly registerTimeoutMs?: number;
}

type Stream = grpc.ServerWritableStream<Empty, ListAndWatchResponse>;

/** stat(2) of a path, undefined when it does not exist. */
function statOrAbsent(p: string, follow: boolean): fs.Stats | undefined {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Which file a path is: the inode alone is not enough, since a file deleted and created again
 * (kubelet.sock after a restart) often gets the same inode number back; its change time differs.
 */
const identity = (st: fs.Stats): string => `${st.dev}:${st.ino}:${st.ctimeMs}`;

export class DevicePlugin {
  readonly resourceName: string;
  /** The plugin's socket (set by start, inside the resolved device-plugins folder). */
  socketPath = '';
  private readonly ids: string[];
  private readonly known: Set<string>;
  private readonly log: Logger;
  private health: Health | undefined;
  private server: grpc.Server | undefined;
  /** The identity of the socket this plugin bound, to tell it from a replacement. */
  private socketId: string | undefined;
  /** The identity of the kubelet.sock this plugin registered with (undefined: not registered). */
  private kubeletId: string | undefined;
  private registerFailure: string | undefined;
  private checkFailure: string | undefined;
  private readonly streams = new Set<Stream>();
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private checkAgain = false;
  private stopped = false;
  private registrationCount = 0;
  private dir = '';

  constructor(private readonly o: DevicePluginOptions) {
    const problem = genericDeviceProblem(o.device);
    if (problem) throw new RangeError(problem);
    this.resourceName = resourceName(o.device);
    this.ids = deviceIds(o.device, o.count ?? DEVICES_PER_RESOURCE);
    this.known = new Set(this.ids);
    this.log = (o.log ?? silentLogger()).child({ resource: this.resourceName });
  }

  /** How many times kubelet accepted this plugin's registration. */
  get registrations(): number {
    return this.registrationCount;
  }

  /** Whether the device node is there now (as of the last check). */
  get healthy(): boolean {
    return this.health === HEALTHY;
  }

  /**
   * Serves the plugin and registers it. Throws a DevicePluginError when the folder is missing
   * or the socket path is taken by something that is not a socket; a kubelet that does not
   * answer yet is only logged, and registration is retried on every check.
   */
  async start(): Promise<void> {
    if (this.timer || this.stopped) throw new Error(`device plugin ${this.resourceName}: start once only`);
    this.dir = this.resolveDir();
    this.socketPath = pluginSocketPath(this.dir, this.o.device);
    this.health = this.readHealth();
    if (this.health !== HEALTHY)
      this.log.warn(
        { device: this.o.device.path },
        `${this.o.device.path} is absent on this node: ${this.resourceName} is advertised with every device Unhealthy (none allocatable) until it appears`,
      );
    await this.serve();
    await this.registerIfNeeded();
    this.watch();
    this.timer = setInterval(() => void this.check(), this.o.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Ends every stream, stops serving and removes the plugin's socket (only if it is still ours). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const w of this.watchers.splice(0)) w.close();
    await this.checking;
    await this.closeServer();
    this.removeOwnSocket();
  }

  /** Runs one check now (also what the timer and the watchers do); never overlaps itself. */
  check(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.checking) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.checkAgain = false;
        try {
          await this.checkOnce();
          this.checkFailure = undefined;
        } catch (e) {
          // One line per streak of the same failure, not one per check.
          const message = (e as Error).message;
          if (message !== this.checkFailure)
            this.log.error({ err: e }, `device plugin check failed: ${message}`);
          this.checkFailure = message;
        }
      } while (this.checkAgain && !this.stopped);
    })().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const health = this.readHealth();
    if (health !== this.health) {
      this.health = health;
      this.log.info(
        { device: this.o.device.path, health },
        `${this.o.device.path} ${health === HEALTHY ? 'appeared' : 'disappeared'}: ${this.resourceName} devices are ${health}`,
      );
      this.broadcast();
    }
    if (this.stopped) return;
    const own = statOrAbsent(this.socketPath, false);
    if (!own || identity(own) !== this.socketId) {
      this.log.info(
        { socket: this.socketPath },
        'the plugin socket was removed (kubelet restarted?): serving on a new one and registering again',
      );
      await this.closeServer();
      if (this.stopped) return;
      await this.serve();
      this.kubeletId = undefined;
    }
    await this.registerIfNeeded();
  }

  private resolveDir(): string {
    let dir: string;
    try {
      dir = fs.realpathSync(this.o.deviceDir);
    } catch {
      throw new DevicePluginError(
        path.join(this.o.deviceDir, KUBELET_SOCKET),
        `the folder ${this.o.deviceDir} does not exist`,
        "start kubelet first, or give the handler kubelet's <root-dir>/device-plugins (mounted from the host in cluster mode)",
      );
    }
    if (!fs.statSync(dir).isDirectory())
      throw new DevicePluginError(
        path.join(this.o.deviceDir, KUBELET_SOCKET),
        `${this.o.deviceDir} is not a folder`,
        "give the handler kubelet's <root-dir>/device-plugins folder",
      );
    return dir;
  }

  private readHealth(): Health {
    // stat follows a symlink on purpose: /dev entries may be links to the node itself.
    return healthOf(statOrAbsent(this.o.device.path, true));
  }

  /** Clears the way for the socket: a stale socket goes; a symlink or another file is refused. */
  private clearSocketPath(): void {
    const st = statOrAbsent(this.socketPath, false);
    if (!st) return;
    if (st.isSymbolicLink())
      throw new DevicePluginError(
        this.socketPath,
        'is a symbolic link, which the plugin never follows',
        'remove the link (nothing but kubelet and its plugins belongs in that folder)',
      );
    if (!st.isSocket())
      throw new DevicePluginError(
        this.socketPath,
        'exists and is not a socket',
        'remove it, then start again',
      );
    // A socket left by an earlier run of this plugin (or a kubelet restart raced us).
    fs.unlinkSync(this.socketPath);
  }

  private async serve(): Promise<void> {
    this.clearSocketPath();
    const server = new grpc.Server();
    server.addService(devicePluginApi().DevicePlugin.service, this.handlers());
    try {
      await new Promise<void>((resolve, reject) =>
        server.bindAsync(unixAddress(this.socketPath), grpc.ServerCredentials.createInsecure(), (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    } catch (e) {
      server.forceShutdown();
      throw new DevicePluginError(
        this.socketPath,
        `cannot listen: ${(e as Error).message}`,
        'check that the handler may write to the folder (it runs as root with the host folder mounted)',
      );
    }
    // Only kubelet (root) may talk to the plugin. chmod follows links, so make sure the path
    // is the socket just bound; the folder is root's, so nobody else can swap it meanwhile.
    const st = statOrAbsent(this.socketPath, false);
    if (!st?.isSocket()) {
      server.forceShutdown();
      throw new DevicePluginError(
        this.socketPath,
        'was replaced right after the plugin bound it',
        'make sure no other process writes to the device-plugins folder',
      );
    }
    fs.chmodSync(this.socketPath, 0o600);
    this.server = server;
    this.socketId = identity(fs.lstatSync(this.socketPath));
    this.log.debug({ socket: this.socketPath }, 'device plugin serving');
  }

  private async registerIfNeeded(): Promise<void> {
    const kubeletSocket = path.join(this.dir, KUBELET_SOCKET);
    const kubelet = statOrAbsent(kubeletSocket, false);
    if (!kubelet?.isSocket()) {
      this.kubeletId = undefined;
      return;
    }
    if (identity(kubelet) === this.kubeletId) return;
    try {
      await register(kubeletSocket, registerRequest(this.o.device), this.o.registerTimeoutMs ?? 5000);
    } catch (e) {
      const message = (e as Error).message;
      // One line per streak of failures, not one per check.
      if (message !== this.registerFailure) this.log.warn({ err: e }, message);
      this.registerFailure = message;
      return;
    }
    this.registerFailure = undefined;
    this.kubeletId = identity(kubelet);
    this.registrationCount++;
    this.log.info(
      { socket: this.socketPath, kubelet: kubeletSocket, devices: this.ids.length, health: this.health },
      `registered ${this.resourceName} with kubelet`,
    );
  }

  private watch(): void {
    const trigger = (): void => void this.check();
    for (const dir of new Set([this.dir, path.dirname(this.o.device.path)]))
      try {
        const w = fs.watch(dir, { persistent: false }, trigger);
        // A folder that goes away ends its watcher; the periodic check carries on.
        w.on('error', () => w.close());
        this.watchers.push(w);
      } catch {
        // Absent (e.g. /dev/net on a host without tun): the periodic check covers it.
      }
  }

  private list(): ListAndWatchResponse {
    return { devices: deviceList(this.ids, this.health ?? HEALTHY) };
  }

  private broadcast(): void {
    const list = this.list();
    for (const s of this.streams) s.write(list);
  }

  private async closeServer(): Promise<void> {
    for (const s of this.streams) s.end();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => (server.forceShutdown(), resolve()), 2000);
      server.tryShutdown(() => (clearTimeout(force), resolve()));
    });
  }

  /** Removes the socket when it is still the one this plugin bound (a new kubelet's or plugin's stays). */
  private removeOwnSocket(): void {
    if (!this.socketPath) return;
    const st = statOrAbsent(this.socketPath, false);
    if (st?.isSocket() && identity(st) === this.socketId) fs.unlinkSync(this.socketPath);
  }

  private handlers(): grpc.UntypedServiceImplementation {
    const options: PluginOptionsMessage = {
      pre_start_required: false,
      get_preferred_allocation_available: false,
    };
    return {
      GetDevicePluginOptions: (
        _call: grpc.ServerUnaryCall<Empty, PluginOptionsMessage>,
        done: grpc.sendUnaryData<PluginOptionsMessage>,
      ) => done(null, options),
      ListAndWatch: (stream: Stream) => {
        if (this.stopped) return stream.end();
        this.streams.add(stream);
        const forget = (): boolean => this.streams.delete(stream);
        stream.on('cancelled', forget);
        stream.on('close', forget);
        stream.on('error', forget);
        stream.write(this.list());
      },
      GetPreferredAllocation: (
        call: grpc.ServerUnaryCall<PreferredAllocationRequest, PreferredAllocationResponse>,
        done: grpc.sendUnaryData<PreferredAllocationResponse>,
      ) => done(null, preferredAllocation(call.request)),
      Allocate: (
        call: grpc.ServerUnaryCall<AllocateRequest, AllocateResponse>,
        done: grpc.sendUnaryData<AllocateResponse>,
      ) => {
        // The node's state now, not as of the last check: a pod must not start without it.
        const health = this.readHealth();
        try {
          done(null, allocation(this.o.device, this.known, call.request, health));
        } catch (e) {
          if (!(e instanceof AllocationError)) throw e;
          this.log.warn({ err: e }, `refused an allocation: ${e.message}`);
          done({
            code: e.precondition ? grpc.status.FAILED_PRECONDITION : grpc.status.INVALID_ARGUMENT,
            details: e.message,
          });
          if (health !== this.health) void this.check();
        }
      },
      PreStartContainer: (
        _call: grpc.ServerUnaryCall<PreStartContainerRequest, Empty>,
        done: grpc.sendUnaryData<Empty>,
      ) => done(null, {}),
    };
  }
}
