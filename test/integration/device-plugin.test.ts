/**
 * The handler's device plugins (handler/devices/) against a real kubelet node on this machine
 * (as in kubelet-node.test.ts: kubelet from the pinned Kubernetes, containerd, runc, a
 * NoSchedule taint so no other suite's pod lands there). The plugins serve in the node's
 * /var/lib/kubelet/device-plugins (kubelet's fixed folder, whatever its --root-dir; the node's
 * mount namespace puts its own kubelet folder there, so on the host it is
 * `<node dir>/kubelet/device-plugins`); kubelet registers them, the Node advertises
 * `devices.kubevirt.io/kvm`, `tun` and `vhost-net` (1k each, allocatable only where the host has
 * the device node), a pod asking for `devices.kubevirt.io/tun: 1` runs with /dev/net/tun in its
 * container, and stopping the plugins leaves nothing allocatable.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findNodeRuntime, hostAddressUse } from '../../cli/local/kubelet/host';
import type { RunningKubeletNode } from '../../cli/local/kubelet/node';
import { pickNodeSlots } from '../../cli/local/kubelet/slots';
import { installRbac } from '../../cli/local/rbac';
import { KUBELET_SOCKET } from '../../handler/devices/device-plugin-api';
import { nodePaths } from '../../cli/local/kubelet/node-plan';
import { GENERIC_DEVICES, resourceName } from '../../handler/devices/device-plan';
import { startDevicePlugins, type RunningDevicePlugins } from '../../handler/devices/device-plugins';
import { NODES, PODS, type KubeClient } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { kubeletNodeLogs, startTestKubeletNode } from './support/kubelet-node';

const id = randomBytes(3).toString('hex');
const NODE = `it-devices-${id}`;
const NS = `device-plugin-${id}`;
const TAINT = { key: 'virtkit.io/it-device-plugin', value: 'true', effect: 'NoSchedule' };
const [SLOT] = pickNodeSlots(1, hostAddressUse());
const TUN = 'devices.kubevirt.io/tun';

type Obj = Json & { metadata: Json & { name: string }; spec?: Json; status?: Json };
type Resources = Record<string, string>;

let admin: KubeClient;
let node: RunningKubeletNode | undefined;
let plugins: RunningDevicePlugins | undefined;
let dir: string;

const isCharDevice = (p: string): boolean => {
  try {
    return fs.statSync(p).isCharacterDevice();
  } catch {
    return false;
  }
};
/** What the Node should show per resource: 1k IDs, allocatable only where the host has the node. */
const expected = GENERIC_DEVICES.map((d) => ({
  resource: resourceName(d),
  capacity: '1k',
  allocatable: isCharDevice(d.path) ? '1k' : '0',
}));

const logsOf = (): string => kubeletNodeLogs(dir);

function wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventually(what, probe, { timeoutMs, context: logsOf });
}

async function nodeResources(): Promise<{ capacity: Resources; allocatable: Resources }> {
  const n = await admin.get<Obj>(NODES, undefined, NODE);
  const status = (n.status ?? {}) as { capacity?: Resources; allocatable?: Resources };
  return { capacity: status.capacity ?? {}, allocatable: status.allocatable ?? {} };
}

beforeAll(async () => {
  admin = await sharedClient();
  await installRbac(admin);
  await createNamespace(admin, NS);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-devices-'));
  node = await startTestKubeletNode({ name: NODE, dir, slot: SLOT!, taint: TAINT });
}, 180_000);

afterAll(async () => {
  await plugins?.stop();
  await deleteNamespace(admin, NS).catch(() => undefined);
  await node?.stop();
  await admin.delete(NODES, undefined, NODE).catch(() => undefined);
  if (process.env.VIRTKIT_IT_VERBOSE) console.error(logsOf());
  fs.rmSync(dir, { recursive: true, force: true });
});

test('kubelet registers the plugins and the Node advertises the three devices', async () => {
  await wait('the Node to be Ready', async () => {
    const n = await admin.getIfExists<Obj>(NODES, undefined, NODE);
    const ready = (n?.status?.conditions as { type: string; status: string }[] | undefined)?.find(
      (c) => c.type === 'Ready',
    );
    return ready?.status === 'True' ? n : undefined;
  });
  // kubelet 1.35 serves Registration at /var/lib/kubelet/device-plugins/kubelet.sock whatever its
  // --root-dir (the path is a constant of its device manager); in the node's mount namespace that
  // is the node's own kubelet folder, so no other kubelet of this machine shares it.
  const deviceDir = path.join(nodePaths(dir).kubeletRoot, 'device-plugins');
  const kubeletSocket = path.join(deviceDir, KUBELET_SOCKET);
  await wait(`this node's kubelet to serve ${kubeletSocket}`, async () => {
    const st = fs.statSync(kubeletSocket, { throwIfNoEntry: false });
    return st?.isSocket() ? st : undefined;
  });
  plugins = await startDevicePlugins({ deviceDir });
  expect(plugins.plugins.map((p) => p.registrations)).toEqual([1, 1, 1]);
  for (const p of plugins.plugins) expect(fs.lstatSync(p.socketPath).mode & 0o777).toBe(0o600);

  const got = await wait('the Node to advertise the devices', async () => {
    const r = await nodeResources();
    return expected.every(
      (e) => r.capacity[e.resource] === e.capacity && r.allocatable[e.resource] === e.allocatable,
    )
      ? r
      : undefined;
  });
  expect(got.allocatable['devices.kubevirt.io/tun']).toBe('1k');
});

test('a pod asking for devices.kubevirt.io/tun runs with /dev/net/tun in its container', async () => {
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { mode: 0o777 });
  fs.chmodSync(out, 0o777);
  await admin.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'tun-user', namespace: NS },
    spec: {
      nodeName: NODE,
      automountServiceAccountToken: false,
      tolerations: [{ key: TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'tun-user',
          image: node!.sandboxImage,
          imagePullPolicy: 'Never',
          command: [
            '/bin/busybox',
            'sh',
            '-c',
            '( [ -c /dev/net/tun ] && echo present || echo absent ) > /out/tun; exec /bin/busybox sleep 3600',
          ],
          resources: { limits: { [TUN]: '1' } },
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
        },
      ],
      volumes: [{ name: 'out', hostPath: { path: out, type: 'Directory' } }],
    },
  });
  const pod = await wait('the pod to run', async () => {
    const p = await admin.getIfExists<Obj>(PODS, NS, 'tun-user');
    if (p?.status?.phase === 'Failed') throw new Error(`the pod failed: ${JSON.stringify(p.status)}`);
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  const seen = await wait('the container to look for /dev/net/tun', async () => {
    const f = path.join(out, 'tun');
    return fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim()
      ? fs.readFileSync(f, 'utf8').trim()
      : undefined;
  });
  expect(seen).toBe('present');

  // The container's OCI spec lists the device node, as kubelet got it from Allocate.
  const containerId = (
    pod.status as { containerStatuses: { containerID: string }[] }
  ).containerStatuses[0]!.containerID.replace(/^containerd:\/\//, '');
  const info = JSON.parse(
    execFileSync(
      findNodeRuntime().ctr,
      ['--address', node!.containerdSocket, '--namespace', 'k8s.io', 'containers', 'info', containerId],
      { encoding: 'utf8' },
    ),
  ) as { Spec: { linux: { devices?: { path: string; type: string }[] } } };
  expect(info.Spec.linux.devices).toEqual(
    expect.arrayContaining([expect.objectContaining({ path: '/dev/net/tun', type: 'c' })]),
  );

  // kubelet accounts for the allocation: one tun ID is in use by the pod.
  const tunner = (await admin.get<Obj>(PODS, NS, 'tun-user')).spec as { containers: { resources: Json }[] };
  expect(tunner.containers[0]!.resources).toEqual({ limits: { [TUN]: '1' }, requests: { [TUN]: '1' } });
});

test('stopping the plugins leaves none of the devices allocatable', async () => {
  const sockets = plugins!.plugins.map((p) => p.socketPath);
  await plugins!.stop();
  plugins = undefined;
  for (const s of sockets) expect(fs.existsSync(s)).toBe(false);
  await wait('the devices to be unallocatable', async () => {
    const r = await nodeResources();
    return expected.every((e) => r.allocatable[e.resource] === '0') ? r : undefined;
  });
});
