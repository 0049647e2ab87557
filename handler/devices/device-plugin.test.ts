/**
 * The device plugins over real gRPC on Unix sockets in a temporary folder: a small
 * Registration server in the test plays kubelet's part (it records Register calls and, like
 * kubelet, then talks to the plugin's socket as a DevicePlugin client). The "device node" is a
 * symlink to /dev/null (a character device), removed and recreated to change its health.
 */
import * as grpc from '@grpc/grpc-js';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  DevicePluginError,
  devicePluginApi,
  unixAddress,
  type AllocateResponse,
  type DevicePluginOptions,
  type ListAndWatchResponse,
  type RegisterRequest,
} from './device-plugin-api';
import { DevicePlugin } from './device-plugin';
import { startDevicePlugins } from './device-plugins';
import type { GenericDevice } from './device-plan';

/** A Registration service on `<dir>/kubelet.sock`, recording what registers. */
class RegistrationServer {
  readonly requests: RegisterRequest[] = [];
  private server: grpc.Server | undefined;
  constructor(readonly dir: string) {}
  get socket(): string {
    return path.join(this.dir, 'kubelet.sock');
  }
  async start(): Promise<void> {
    const server = new grpc.Server();
    server.addService(devicePluginApi().Registration.service, {
      Register: (call: grpc.ServerUnaryCall<RegisterRequest, object>, done: grpc.sendUnaryData<object>) => {
        this.requests.push(call.request);
        done(null, {});
      },
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(unixAddress(this.socket), grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    this.server = server;
  }
  /** Stops serving and removes kubelet.sock. */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    fs.rmSync(this.socket, { force: true });
  }
  /** Stops serving and, like a restarting kubelet, deletes every socket in the folder. */
  stopAndClear(): void {
    this.server?.forceShutdown();
    this.server = undefined;
    for (const f of fs.readdirSync(this.dir))
      if (f.endsWith('.sock')) fs.rmSync(path.join(this.dir, f), { force: true });
  }
}

type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function pluginClient(socket: string): Client {
  return new (devicePluginApi().DevicePlugin)(
    unixAddress(socket),
    grpc.credentials.createInsecure(),
  ) as Client;
}

function unary<T>(client: Client, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(req, (e: grpc.ServiceError | null, res: T) => (e ? reject(e) : resolve(res))),
  );
}

/** A ListAndWatch stream and every list it has received. */
function listAndWatch(client: Client): {
  lists: ListAndWatchResponse[];
  stream: grpc.ClientReadableStream<unknown>;
} {
  const lists: ListAndWatchResponse[] = [];
  const stream = client.ListAndWatch!({}) as grpc.ClientReadableStream<ListAndWatchResponse>;
  stream.on('data', (l: ListAndWatchResponse) => lists.push(l));
  stream.on('error', () => undefined);
  return { lists, stream };
}

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const healths = (l: ListAndWatchResponse | undefined): string[] => [
  ...new Set(l?.devices.map((d) => d.health)),
];

let dir: string;
let devDir: string;
let kubelet: RegistrationServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  // Short: Unix socket paths have at most 107 bytes.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkdp-'));
  devDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkdev-'));
  kubelet = new RegistrationServer(dir);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  kubelet.stopAndClear();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(devDir, { recursive: true, force: true });
});

/** A fake device node: a symlink to /dev/null (stat sees a character device). */
function fakeDevice(name: string): GenericDevice {
  const p = path.join(devDir, name);
  fs.symlinkSync('/dev/null', p);
  return { name, path: p };
}

async function startPlugin(device: GenericDevice, count = 5): Promise<DevicePlugin> {
  const plugin = new DevicePlugin({ device, deviceDir: dir, count, checkIntervalMs: 100 });
  await plugin.start();
  cleanups.push(() => plugin.stop());
  return plugin;
}

test('registers with kubelet, streams its devices and answers Allocate with the device node', async () => {
  await kubelet.start();
  const device = fakeDevice('tun');
  const plugin = await startPlugin(device, 5);
  expect(kubelet.requests).toEqual([
    {
      version: 'v1beta1',
      endpoint: 'kubevirt-tun.sock',
      resource_name: 'devices.kubevirt.io/tun',
      options: { pre_start_required: false, get_preferred_allocation_available: false },
    },
  ]);
  expect(plugin.registrations).toBe(1);
  const socket = path.join(dir, 'kubevirt-tun.sock');
  const st = fs.lstatSync(socket);
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);

  const client = pluginClient(socket);
  cleanups.push(() => client.close());
  expect(await unary<DevicePluginOptions>(client, 'GetDevicePluginOptions', {})).toEqual({
    pre_start_required: false,
    get_preferred_allocation_available: false,
  });
  const { lists, stream } = listAndWatch(client);
  cleanups.push(() => stream.cancel());
  await until('the first device list', () => lists.length > 0);
  expect(lists[0]!.devices.map((d) => [d.ID, d.health])).toEqual([
    ['tun0', 'Healthy'],
    ['tun1', 'Healthy'],
    ['tun2', 'Healthy'],
    ['tun3', 'Healthy'],
    ['tun4', 'Healthy'],
  ]);

  const got = await unary<AllocateResponse>(client, 'Allocate', {
    container_requests: [{ devices_ids: ['tun1'] }],
  });
  expect(got.container_responses).toHaveLength(1);
  expect(got.container_responses[0]!.devices).toEqual([
    { container_path: device.path, host_path: device.path, permissions: 'rw' },
  ]);
  expect(await unary(client, 'PreStartContainer', { devices_ids: ['tun1'] })).toEqual({});
  await expect(
    unary(client, 'Allocate', { container_requests: [{ devices_ids: ['tun99'] }] }),
  ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('tun99') });

  await plugin.stop();
  expect(fs.existsSync(socket)).toBe(false);
});

test('the device node going away turns every device Unhealthy on the stream, and coming back Healthy', async () => {
  await kubelet.start();
  const device = fakeDevice('kvm');
  const plugin = await startPlugin(device, 3);
  const client = pluginClient(plugin.socketPath);
  cleanups.push(() => client.close());
  const { lists, stream } = listAndWatch(client);
  cleanups.push(() => stream.cancel());
  await until('the first list', () => lists.length === 1);
  expect(healths(lists[0])).toEqual(['Healthy']);

  fs.unlinkSync(device.path);
  await until('an Unhealthy list', () => healths(lists.at(-1)).join() === 'Unhealthy');
  expect(lists.at(-1)!.devices).toHaveLength(3);
  expect(plugin.healthy).toBe(false);
  await expect(
    unary(client, 'Allocate', { container_requests: [{ devices_ids: ['kvm0'] }] }),
  ).rejects.toMatchObject({
    code: grpc.status.FAILED_PRECONDITION,
    details: expect.stringContaining('absent'),
  });

  fs.symlinkSync('/dev/null', device.path);
  await until('a Healthy list again', () => healths(lists.at(-1)).join() === 'Healthy');
});

test('an absent device node is advertised Unhealthy from the start', async () => {
  await kubelet.start();
  const plugin = await startPlugin({ name: 'vhost-net', path: path.join(devDir, 'vhost-net') }, 2);
  expect(kubelet.requests.map((r) => r.resource_name)).toEqual(['devices.kubevirt.io/vhost-net']);
  const client = pluginClient(plugin.socketPath);
  cleanups.push(() => client.close());
  const { lists, stream } = listAndWatch(client);
  cleanups.push(() => stream.cancel());
  await until('the first list', () => lists.length === 1);
  expect(lists[0]!.devices).toEqual([
    { ID: 'vhost-net0', health: 'Unhealthy', topology: null },
    { ID: 'vhost-net1', health: 'Unhealthy', topology: null },
  ]);
});

test('a restarted kubelet (sockets deleted, kubelet.sock recreated) gets a new registration on a new socket', async () => {
  await kubelet.start();
  const plugin = await startPlugin(fakeDevice('tun'));
  expect(kubelet.requests).toHaveLength(1);

  kubelet.stopAndClear();
  // The plugin serves again on its path even before kubelet is back.
  await until('the plugin socket to be back', () => fs.existsSync(plugin.socketPath));
  await kubelet.start();
  await until('a second registration', () => kubelet.requests.length === 2);
  expect(kubelet.requests[1]!.endpoint).toBe('kubevirt-tun.sock');
  expect(plugin.registrations).toBe(2);
  const st = fs.lstatSync(plugin.socketPath);
  expect(st.mode & 0o777).toBe(0o600);

  // The new socket serves.
  const client = pluginClient(plugin.socketPath);
  cleanups.push(() => client.close());
  const { lists, stream } = listAndWatch(client);
  cleanups.push(() => stream.cancel());
  await until('a list from the new socket', () => lists.length === 1);
  expect(healths(lists[0])).toEqual(['Healthy']);

  // A kubelet.sock replaced while the plugin's socket stays also means registering again.
  kubelet.stop();
  const replaced = new RegistrationServer(dir);
  await replaced.start();
  await until('a registration with the new kubelet.sock', () => replaced.requests.length === 1);
  expect(fs.lstatSync(plugin.socketPath).ino).toBe(st.ino);
  replaced.stop();
});

test('a plugin started before kubelet registers once kubelet.sock appears', async () => {
  const plugin = await startPlugin(fakeDevice('kvm'));
  expect(plugin.registrations).toBe(0);
  expect(fs.lstatSync(plugin.socketPath).isSocket()).toBe(true);
  await kubelet.start();
  await until('the registration', () => kubelet.requests.length === 1);
  expect(kubelet.requests[0]!.resource_name).toBe('devices.kubevirt.io/kvm');
});

test('a symlink or a file at the socket path is refused and left alone', async () => {
  await kubelet.start();
  const target = path.join(devDir, 'precious');
  fs.writeFileSync(target, 'keep');
  fs.symlinkSync(target, path.join(dir, 'kubevirt-kvm.sock'));
  const plugin = new DevicePlugin({ device: fakeDevice('kvm'), deviceDir: dir });
  await expect(plugin.start()).rejects.toThrow(DevicePluginError);
  await expect(
    new DevicePlugin({ device: { name: 'kvm', path: '/dev/null' }, deviceDir: dir }).start(),
  ).rejects.toThrow(`device plugin socket ${path.join(dir, 'kubevirt-kvm.sock')}: is a symbolic link`);
  expect(fs.readFileSync(target, 'utf8')).toBe('keep');
  expect(fs.lstatSync(path.join(dir, 'kubevirt-kvm.sock')).isSymbolicLink()).toBe(true);

  fs.writeFileSync(path.join(dir, 'kubevirt-tun.sock'), 'not a socket');
  await expect(
    new DevicePlugin({ device: { name: 'tun', path: '/dev/null' }, deviceDir: dir }).start(),
  ).rejects.toThrow(/kubevirt-tun.sock: exists and is not a socket; remove it/);
  expect(kubelet.requests).toEqual([]);
});

test('a missing device-plugins folder is an error naming it and the fix', async () => {
  const missing = path.join(dir, 'nope');
  await expect(
    new DevicePlugin({ device: { name: 'kvm', path: '/dev/null' }, deviceDir: missing }).start(),
  ).rejects.toThrow(
    new RegExp(`${missing}/kubelet.sock: the folder ${missing} does not exist; start kubelet first`),
  );
});

test('startDevicePlugins registers one plugin per device and stop removes their sockets', async () => {
  await kubelet.start();
  const devices = [
    fakeDevice('kvm'),
    fakeDevice('tun'),
    { name: 'vhost-net', path: path.join(devDir, 'absent') },
  ];
  const running = await startDevicePlugins({ deviceDir: dir, devices, count: 2, checkIntervalMs: 100 });
  expect(kubelet.requests.map((r) => [r.resource_name, r.endpoint]).sort()).toEqual([
    ['devices.kubevirt.io/kvm', 'kubevirt-kvm.sock'],
    ['devices.kubevirt.io/tun', 'kubevirt-tun.sock'],
    ['devices.kubevirt.io/vhost-net', 'kubevirt-vhost-net.sock'],
  ]);
  expect(running.plugins.map((p) => p.healthy)).toEqual([true, true, false]);
  expect(fs.readdirSync(dir).sort()).toEqual([
    'kubelet.sock',
    'kubevirt-kvm.sock',
    'kubevirt-tun.sock',
    'kubevirt-vhost-net.sock',
  ]);
  await running.stop();
  expect(fs.readdirSync(dir)).toEqual(['kubelet.sock']);
});

test('startDevicePlugins stops the plugins it started when a later one cannot start', async () => {
  await kubelet.start();
  fs.writeFileSync(path.join(dir, 'kubevirt-tun.sock'), 'in the way');
  await expect(
    startDevicePlugins({ deviceDir: dir, devices: [fakeDevice('kvm'), fakeDevice('tun')], count: 1 }),
  ).rejects.toThrow(DevicePluginError);
  expect(fs.existsSync(path.join(dir, 'kubevirt-kvm.sock'))).toBe(false);
});
