/**
 * Cluster mode's integration environment, as a user starts it: `virtkit up --runtime kubelet
 * --nodes 2` brings up the control plane and two real kubelet nodes (kubelet built from the pinned
 * k8s.io/kubernetes, Debian's containerd and runc), each in its own network namespace. The nodes
 * are Ready and healthy in `virtkit status`; a Deployment spread over both nodes by the real
 * scheduler becomes Available with containers containerd started, and its pods reach each other
 * across the nodes, through a Service's ClusterIP (kube-proxy on every node), and reach the API
 * server through the `kubernetes` Service as in-cluster clients do; `virtkit down` leaves nothing on the host; a run whose processes were all
 * killed is cleaned up by the next `up`.
 *
 * virtkit itself runs in the cluster, installed by `up` from the images `npm run images` builds
 * (imported into each node's containerd) with the manifests `virtkit install` prints: the
 * controller and api Deployments are Available in pods containerd started, the API server calls
 * the api's pods (admission, the aggregated subresource API, with the CA the api made itself),
 * and killing the controller's leader pod moves leadership to the other replica.
 *
 * VMs run in launcher pods kubelet starts: the demo VM (examples/demo/demo-vm.yaml, its container
 * disk a file of the node) is handed its VMI by the handler on the node through the pod's socket
 * folder, and the handler wires the pod network in the pod's namespace; the guest boots under
 * QEMU as the qemu user, gets its address from the launcher's DHCP server and answers a pod on
 * the other node through the launcher pod's address; `virtkit pause`, `unpause`, `console`,
 * `stop` and `start` reach it through the aggregated API (the first three through an api pod and
 * the handler pod's node API, mutual TLS with the certificates the api makes). kubelet runs the
 * VMs' probes (the guest agent's ping through an exec of `virtkit probe`, the guest's web server,
 * a liveness probe that fails and gets the guest restarted). A claim of the default StorageClass
 * is provisioned on the VM's node by the handler and mounted by kubelet; the guest counts its
 * boots on it across a restart. A VM's root disk is a DataVolume imported over HTTP by CDI's
 * importer pod, which kubelet runs, with a blank DataVolume beside it; the guest boots from it. A
 * VM that needs what cluster mode does not run yet (a sysprep volume) is refused by name. A
 * guest live-migrates between the nodes (`virtkit migrate`, then `kubectl drain` of its new node
 * moves it back), carried by the handler pods, and keeps running and answering. Upgrading the install
 * to the next images (the DaemonSet and Deployments roll over) keeps a running VM running: the new
 * handler adopts its launcher, and its verbs reach it through the new pods.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { findBinary } from '../../cli/local/binaries';
import { hostKvm } from '../../launcher/host/kvm-probe';
import { buildImages, type BuiltImage } from '../../images/build';
import { nodePaths } from '../../cli/local/kubelet/node-plan';
import { NODE_MOUNTS_DIR } from '../../cli/local/kubelet/node-mounts';
import { onPath } from '../../common/on-path';
import { readState, type StateFile } from '../../cli/local/state';
import { eventually } from '../integration/support/eventually';
import { ensureGuestImage, GuestMarkers, guestTicks } from '../fixtures/guest/build';
import type { VirtualMachineInstanceMigrationState } from '../../api/kubevirt/v1/migration-state';
import { TestRegistry } from '../fixtures/registry';
import { httpDataVolume } from './runtime-support/manifests';
import { App } from 'cdk8s';
import { FleetChart } from '../../examples/cdk8s/fleet';

jest.setTimeout(900_000);

const VIRTKIT = path.resolve(__dirname, '..', '..', 'bin', 'virtkit.js');
// Short: the nodes' Unix sockets live under it.
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-cm-'));
const kubeconfig = path.join(stateDir, 'kubeconfig');
const NS = 'cluster-mode';
const imagesFile = path.join(stateDir, 'images.json');
let images: BuiltImage[] = [];

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function virtkit(args: string[]): Run {
  return spawnSync(process.execPath, [VIRTKIT, ...args, '--state-dir', stateDir], {
    encoding: 'utf8',
    timeout: 600_000,
  });
}

/** The virtkit CLI as a user runs it against the cluster (no --state-dir). */
function cli(args: string[]): Run {
  return spawnSync(process.execPath, [VIRTKIT, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
}

function kubectl(args: string[], input?: string): Run {
  return spawnSync(findBinary('kubectl'), args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
}

function kubectlJson<T>(args: string[]): T {
  const r = kubectl([...args, '-o', 'json']);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The KubeVirt object's developerConfiguration, as `up` installed it. */
function developerConfiguration(): { featureGates?: string[]; useEmulation?: boolean } {
  return kubectlJson<{ spec: { configuration: { developerConfiguration: { useEmulation?: boolean } } } }>([
    'get',
    'kubevirt',
    '-n',
    'virtkit',
    'virtkit',
  ]).spec.configuration.developerConfiguration;
}

/**
 * `virtkit install -o yaml` as `up` renders it for its nodes (these images, imported, never
 * pulled, software emulation allowed when `up` allowed it), plus `extra` flags, applied the way
 * `up` applied it.
 */
function applyInstall(virtkitImage: string, launcherImage: string, extra: string[] = []): void {
  const emulation = developerConfiguration().useEmulation === true ? ['--use-emulation'] : [];
  const rendered = spawnSync(
    process.execPath,
    [
      VIRTKIT,
      'install',
      '-o',
      'yaml',
      '--virtkit-image',
      virtkitImage,
      '--launcher-image',
      launcherImage,
      '--image-pull-policy',
      'Never',
      '--feature-gates',
      'LocalContainerDisk',
      '--with-network-crds',
      '--with-volume-snapshot-crds',
      ...emulation,
      ...extra,
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  expect([rendered.status, rendered.stderr]).toEqual([0, '']);
  const applied = kubectl(
    ['apply', '--server-side', '--field-manager', 'virtkit-up', '-f', '-'],
    rendered.stdout,
  );
  expect(applied.stderr).toBe('');
}

const imageRef = (name: string): string => images.find((i) => i.name === name)!.ref;

function up(): void {
  const started = Date.now();
  const r = virtkit([
    'up',
    '--runtime',
    'kubelet',
    '--nodes',
    '2',
    '--detach',
    '--images',
    imagesFile,
    '--feature-gates',
    'LocalContainerDisk',
  ]);
  if (r.status !== 0) throw new Error(`virtkit up failed (${r.status}):\n${r.stderr}`);
  console.log(`virtkit up --runtime kubelet --nodes 2: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

const state = (): StateFile => {
  const s = readState(path.join(stateDir, 'state.json'));
  if (!s) throw new Error(`no state.json in ${stateDir}`);
  return s;
};

/** What the host holds for a node: its namespaces, its link's address, its pod route, its API server rule. */
function hostTraces(s: StateFile): string[] {
  const traces: string[] = [];
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const nat = execFileSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });
  for (const n of s.nodes ?? []) {
    if (new RegExp(`^vkn-${n.name}\\b`, 'm').test(netns)) traces.push(`netns vkn-${n.name}`);
    if (execFileSync('ip', ['-4', 'addr', 'show', 'to', `${n.hostIp}/32`], { encoding: 'utf8' }).trim())
      traces.push(`address ${n.hostIp}`);
    if (execFileSync('ip', ['route', 'show', n.podCidr], { encoding: 'utf8' }).trim())
      traces.push(`route ${n.podCidr}`);
    if (nat.includes(`virtkit node ${n.name}:`)) traces.push(`DNAT rule of ${n.name}`);
    if (fs.existsSync(`/sys/fs/cgroup/memory/virtkit-node-${n.name}`)) traces.push(`cgroup of ${n.name}`);
    if (fs.existsSync(path.join(NODE_MOUNTS_DIR, n.name))) traces.push(`mount namespace of ${n.name}`);
  }
  for (const line of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n'))
    if (line.split(' ')[1]?.startsWith(`${stateDir}/`)) traces.push(`mount ${line.split(' ')[1]}`);
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)))
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(stateDir) && Number(pid) !== process.pid)
        traces.push(`process ${cmd.replace(/\0/g, ' ')}`);
    } catch {
      // gone
    }
  return traces;
}

interface NodeList {
  items: {
    metadata: { name: string };
    status: {
      conditions: { type: string; status: string }[];
      addresses: { type: string; address: string }[];
      nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string };
      images: { names: string[] }[];
    };
  }[];
}

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; containerStatuses?: { containerID?: string }[] };
}

/**
 * Runs `script` with busybox in a pod of the sandbox image every node has (no registry is
 * reachable), on `nodeName` when given, and resolves with its log once it ended.
 */
async function runShellPod(
  namespace: string,
  name: string,
  script: string,
  nodeName?: string,
): Promise<string> {
  const nodes = kubectlJson<NodeList>(['get', 'nodes']);
  const image = nodes.items[0]!.status.images.flatMap((i) => i.names).find((n) => n.includes('/pause:'))!;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      containers: [{ name, image, imagePullPolicy: 'Never', command: ['/bin/busybox', 'sh', '-c', script] }],
    },
  };
  expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(pod)).stderr).toBe('');
  return eventually(
    `pod ${namespace}/${name} to finish`,
    async () => {
      const phase = kubectl(['get', 'pod', '-n', namespace, name, '-o', 'jsonpath={.status.phase}']).stdout;
      return phase === 'Succeeded' || phase === 'Failed'
        ? kubectl(['logs', '-n', namespace, name]).stdout
        : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

let downDone = false;

beforeAll(() => {
  // The images of this checkout's build (cached by input hash: the images suite builds the same).
  const started = Date.now();
  images = buildImages({ repo: path.resolve(__dirname, '..', '..'), log: () => undefined });
  fs.writeFileSync(imagesFile, JSON.stringify(images));
  console.log(
    `images: ${images.map((i) => `${i.ref} (${i.cached ? 'cached' : 'built'})`).join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  up();
}, 900_000);

afterAll(() => {
  if (!downDone) virtkit(['down']);
  fs.rmSync(stateDir, { recursive: true, force: true });
});

test('kubectl lists two Ready kubelet nodes on containerd, each with its own address', () => {
  const nodes = kubectlJson<NodeList>(['get', 'nodes']);
  expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['virtkit-node-1', 'virtkit-node-2']);
  const recorded = state().nodes ?? [];
  for (const n of nodes.items) {
    expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
    expect(n.status.nodeInfo.kubeletVersion).toBe('v1.35.4');
    const ip = n.status.addresses.find((a) => a.type === 'InternalIP')?.address;
    expect(ip).toBe(recorded.find((r) => r.name === n.metadata.name)?.nodeIp);
  }
  // Each node has its own link and pod range.
  expect(new Set(recorded.map((r) => r.podCidr)).size).toBe(2);
  // ...and its own /var/lib/kubelet (its mount namespace): each kubelet serves its device-plugin
  // Registration socket, which kubelet always puts at /var/lib/kubelet/device-plugins/, in its
  // node's folder.
  for (const r of recorded)
    expect(
      fs.statSync(path.join(nodePaths(r.dir).kubeletRoot, 'device-plugins', 'kubelet.sock')).isSocket(),
    ).toBe(true);
});

test('virtkit status names the kubelet runtime and finds every daemon healthy', () => {
  const r = virtkit(['status']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^runtime: +kubelet \(2 nodes, containerd\)$/m);
  expect(r.stdout).toMatch(/^kubelet-virtkit-node-1\s+\d+\s+-\s+running\s+ok$/m);
  expect(r.stdout).toMatch(/^containerd-virtkit-node-2\s+\d+\s+-\s+running\s+no probe$/m);
  expect(r.stdout).toMatch(/^kube-proxy-virtkit-node-2\s+\d+\s+-\s+running\s+ok$/m);
  // virtkit runs in the cluster, and status asks the API server how its workloads are.
  expect(r.stdout).toContain('virtkit in the cluster (namespace virtkit):');
  expect(r.stdout).toMatch(/^ {2}Deployment virtkit-api: 2\/2 available, 2 updated$/m);
  expect(r.stdout).toMatch(/^ {2}Deployment virtkit-controller: 2\/2 available, 2 updated$/m);
  expect(r.stdout).toMatch(/^ {2}DaemonSet virtkit-handler: 2\/2 available, 2 updated$/m);
});

interface Deployment {
  metadata: { name: string };
  status: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
}

interface Lease {
  spec: { holderIdentity?: string };
}

const INSTALL_NS = 'virtkit';

test("virtkit's install runs in the cluster: the controller and api Deployments and the handler DaemonSet are Available in containers containerd started from the imported images", () => {
  // Nothing of virtkit runs on the host.
  expect(
    state()
      .components.map((c) => c.name)
      .filter((n) => n.startsWith('virtkit-')),
  ).toEqual([]);
  const deployments = kubectlJson<{ items: Deployment[] }>(['get', 'deployments', '-n', INSTALL_NS]).items;
  expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['virtkit-api', 'virtkit-controller']);
  for (const d of deployments) {
    expect(d.status.availableReplicas).toBe(2);
    expect(d.status.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  }
  const handler = kubectlJson<{ status: { desiredNumberScheduled: number; numberAvailable?: number } }>([
    'get',
    'daemonset',
    '-n',
    INSTALL_NS,
    'virtkit-handler',
  ]);
  expect(handler.status.desiredNumberScheduled).toBe(2);
  expect(handler.status.numberAvailable).toBe(2);
  const virtkitImage = images.find((i) => i.name === 'virtkit')!;
  const pods = kubectlJson<{
    items: (Pod & { status: { containerStatuses?: { image?: string; imageID?: string }[] } })[];
  }>(['get', 'pods', '-n', INSTALL_NS]).items;
  expect(pods).toHaveLength(6);
  for (const p of pods) {
    expect(p.status.phase).toBe('Running');
    const c = p.status.containerStatuses![0]!;
    expect(c.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(c.image).toBe(virtkitImage.ref);
  }
  // The ref each node's containerd holds is the image built here, by digest.
  for (const n of state().nodes ?? []) {
    const listed = execFileSync(
      onPath('ctr')!,
      ['--address', nodePaths(n.dir).containerdSocket, '--namespace', 'k8s.io', 'images', 'ls'],
      { encoding: 'utf8' },
    );
    for (const image of images) {
      const line = listed.split('\n').find((l) => l.startsWith(`${image.ref} `));
      expect(`${n.name}: ${line?.split(/\s+/)[2]}`).toBe(`${n.name}: ${image.digest}`);
    }
  }
  // The two replicas of each are on different nodes (the scheduler spreads a Deployment's pods).
  expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set(['virtkit-node-1', 'virtkit-node-2']));
});

test('the handler on each node labels it schedulable for launcher pods and serves the kvm, tun and vhost-net device plugins to its kubelet', async () => {
  const nodes = await eventually(
    'both Nodes to be labelled and to advertise the devices',
    async () => {
      const list = kubectlJson<{
        items: {
          metadata: { name: string; labels: Record<string, string> };
          status: { capacity: Record<string, string>; allocatable: Record<string, string> };
        }[];
      }>(['get', 'nodes']).items;
      return list.every(
        (n) =>
          n.metadata.labels['kubevirt.io/schedulable'] === 'true' &&
          n.status.capacity['devices.kubevirt.io/tun'] === '1k',
      )
        ? list
        : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(nodes).toHaveLength(2);
  for (const n of nodes) {
    for (const device of ['kvm', 'tun', 'vhost-net'])
      expect(`${n.metadata.name} ${device}: ${n.status.capacity[`devices.kubevirt.io/${device}`]}`).toBe(
        `${n.metadata.name} ${device}: 1k`,
      );
    // Allocatable where the host has the device node (every host here has /dev/net/tun).
    expect(n.status.allocatable['devices.kubevirt.io/tun']).toBe('1k');
    expect(n.status.allocatable['devices.kubevirt.io/kvm']).toBe(fs.existsSync('/dev/kvm') ? '1k' : '0');
  }
});

test("the API server reaches the api's pods: admission refuses a bad VM, the aggregated API answers, trusting the CA the api made", () => {
  const bad = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'bad', namespace: 'default' },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            devices: { disks: [{ name: 'missing', disk: { bus: 'virtio' } }] },
            memory: { guest: '64Mi' },
          },
        },
      },
    },
  };
  const refused = kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(bad));
  expect(refused.status).not.toBe(0);
  // Only the api's validator checks that a disk names a volume (no schema can).
  expect(refused.stderr).toContain(
    'spec.template.spec.domain.devices.disks[0].Name \'missing\' not found. Add a volume named "missing" to spec.template.spec.volumes',
  );
  // `virtkit version` asks the aggregated API (subresources.kubevirt.io/v1/version) for the
  // server's version: the API server forwards it to an api pod.
  const version = spawnSync(process.execPath, [VIRTKIT, 'version'], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  expect(version.stderr).toBe('');
  expect(version.stdout).toMatch(/^Server Version: version\.Info\{GitVersion:"v\d+\.\d+\.\d+"/m);
  // The api made its CA and serving certificate (Secrets in its namespace) and wrote the CA into
  // the APIService the API server checks it with.
  const ca = kubectlJson<{ data: Record<string, string> }>([
    'get',
    'secret',
    '-n',
    INSTALL_NS,
    'virtkit-api-ca',
  ]);
  const caCert = Buffer.from(ca.data['tls.crt']!, 'base64').toString('utf8').trim();
  const apiService = kubectlJson<{ spec: { caBundle: string } }>([
    'get',
    'apiservice',
    'v1.subresources.kubevirt.io',
  ]);
  expect(Buffer.from(apiService.spec.caBundle, 'base64').toString('utf8')).toContain(caCert);
});

test("killing the controller's leader pod moves leadership to the other replica", async () => {
  const lease = (): string =>
    kubectlJson<Lease>(['get', 'lease', '-n', INSTALL_NS, 'virtkit-controller']).spec.holderIdentity ?? '';
  /** The controller Deployment's pods, by name. */
  const controllerPods = (): string[] =>
    kubectlJson<{ items: Pod[] }>([
      'get',
      'pods',
      '-n',
      INSTALL_NS,
      '-l',
      'app.kubernetes.io/name=virtkit-controller',
    ]).items.map((p) => p.metadata.name);
  const pods = controllerPods();
  expect(pods).toHaveLength(2);
  const leader = await eventually('a controller to lead', async () => {
    const holder = lease();
    return pods.find((p) => holder.startsWith(`${p}_`));
  });
  const standby = pods.find((p) => p !== leader)!;
  const killed = kubectl(['delete', 'pod', '-n', INSTALL_NS, leader, '--grace-period=0', '--force']);
  expect(killed.status).toBe(0);
  const started = Date.now();
  // The standby, or the Deployment's replacement of the killed pod: whichever campaigns first
  // once the killed leader released the Lease (client-go's leader election races the same way).
  const holderPod = (): string | undefined => {
    const holder = lease();
    return holder && !holder.startsWith(`${leader}_`) ? holder.replace(/_[^_]*$/, '') : undefined;
  };
  const newLeader = await eventually('another controller to take the Lease', async () => holderPod(), {
    timeoutMs: 120_000,
    context: () =>
      `lease holder: ${lease()}\n${kubectl(['get', 'pods', '-n', INSTALL_NS, '-o', 'wide']).stdout}\n${
        kubectl(['logs', '-n', INSTALL_NS, standby, '--tail', '30']).stdout
      }`,
  });
  console.log(
    `controller leadership moved from ${leader} to ${newLeader}${newLeader === standby ? ' (the standby)' : ' (the replacement pod)'} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  // The Deployment replaces the killed pod: two replicas again, one leading.
  await eventually(
    'the controller Deployment to be Available again with 2 replicas',
    async () =>
      kubectlJson<Deployment>(['get', 'deployment', '-n', INSTALL_NS, 'virtkit-controller']).status
        .availableReplicas === 2 || undefined,
    { timeoutMs: 120_000 },
  );
  // The leader is one of the two live replicas, never the killed one.
  const live = controllerPods();
  expect(live).not.toContain(leader);
  expect(live).toContain(holderPod());
});

test('a Deployment spread over both nodes is Available; pods reach each other, a Service and the API server', async () => {
  const nodes = kubectlJson<NodeList>(['get', 'nodes']);
  // The sandbox image every node has (no registry is reachable): busybox.
  const image = nodes.items[0]!.status.images.flatMap((i) => i.names).find((n) => n.includes('/pause:'))!;
  expect(image).toBeDefined();
  const create = kubectl(['create', 'namespace', NS]);
  expect(create.stderr).toBe('');
  const manifest = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'echo', namespace: NS },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'echo' } },
      template: {
        metadata: { labels: { app: 'echo' } },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 1,
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: { app: 'echo' } }, topologyKey: 'kubernetes.io/hostname' },
              ],
            },
          },
          containers: [
            {
              name: 'echo',
              image,
              imagePullPolicy: 'Never',
              command: [
                '/bin/busybox',
                'sh',
                '-c',
                'exec /bin/busybox nc -ll -p 8080 -e /bin/busybox sh -c "echo pong from $(hostname)"',
              ],
            },
          ],
        },
      },
    },
  };
  const applied = kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(manifest));
  expect(applied.stderr).toBe('');
  await eventually(
    'the Deployment to be Available',
    async () =>
      kubectl(['wait', '-n', NS, 'deployment/echo', '--for=condition=Available', '--timeout=10s']).status ===
        0 || undefined,
    { timeoutMs: 180_000 },
  );
  const pods = kubectlJson<{ items: Pod[] }>(['get', 'pods', '-n', NS, '-l', 'app=echo']).items;
  expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(['virtkit-node-1', 'virtkit-node-2']);
  for (const p of pods)
    expect(p.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  // A Service in front of them (kube-proxy on each node turns its ClusterIP into the pods).
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: NS },
    spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
  };
  expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(service)).stderr).toBe('');
  await eventually(
    'the Service to have both pods as endpoints',
    async () => {
      const slices = kubectlJson<{ items: { endpoints?: unknown[] }[] }>([
        'get',
        'endpointslices',
        '-n',
        NS,
        '-l',
        'kubernetes.io/service-name=echo',
      ]);
      return slices.items.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 2 || undefined;
    },
    { timeoutMs: 60_000 },
  );
  // A pod of the scheduler's choice calls both pods by address (one of them is on the other
  // node), the Service by its ClusterIP (kubelet puts it in ECHO_SERVICE_HOST), and the API server
  // through the `kubernetes` Service, as in-cluster clients do (a plain HTTP request: the TLS
  // server answers it with a 400 that names HTTPS).
  const script = [
    ...pods.map((p) => `/bin/busybox nc -w 5 ${p.status.podIP} 8080 </dev/null`),
    'for i in 1 2 3 4 5 6; do /bin/busybox nc -w 5 $ECHO_SERVICE_HOST 80 </dev/null | /bin/busybox sed "s/^/service: /"; done',
    "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 5 $KUBERNETES_SERVICE_HOST $KUBERNETES_SERVICE_PORT | /bin/busybox head -1",
  ].join('; ');
  const log = await runShellPod(NS, 'caller', script);
  for (const p of pods) expect(log).toContain(`pong from ${p.metadata.name}`);
  expect(log).toMatch(/^service: pong from echo-/m);
  expect(log).toContain('HTTP/1.0 400 Bad Request');
});

const VMS = 'cluster-vms';

/**
 * A VM of the test guest on the pod network (masquerade, KubeVirt's default); with `sysprep`, a
 * sysprep volume too (cluster mode does not run those yet).
 */
function clusterVm(
  name: string,
  sysprep = false,
  /** More of the VMI template's spec (probes, ...). */
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const disks: Record<string, unknown>[] = [{ name: 'rootdisk', disk: { bus: 'virtio' } }];
  // A LocalContainerDisk: a disk image file of the node (the handler's /var/lib/virtkit).
  const volumes: Record<string, unknown>[] = [
    { name: 'rootdisk', containerDisk: { image: `file://${NODE_GUEST_DISK}` } },
  ];
  if (sysprep) {
    disks.push({ name: 'unattend', cdrom: { bus: 'sata' } });
    volumes.push({ name: 'unattend', sysprep: { configMap: { name: 'unattend' } } });
  }
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: VMS },
    spec: {
      runStrategy: 'Always',
      template: {
        spec: {
          terminationGracePeriodSeconds: 30,
          domain: {
            resources: { requests: { memory: '128Mi' } },
            devices: { autoattachGraphicsDevice: false, disks },
          },
          volumes,
          ...extra,
        },
      },
    },
  };
}

/** The disk.img of a local volume (its PersistentVolume's path on the node) as the host sees it. */
function nodeDiskOf(nodeDir: string, localPath: string): string {
  return path.join(
    nodeDir,
    'host',
    'var-lib-virtkit',
    path.relative('/var/lib/virtkit', localPath),
    'disk.img',
  );
}

const NODE_GUEST_DISK = '/var/lib/virtkit/test-guest/disk.img';

interface Vmi {
  metadata: { uid: string };
  status?: { phase?: string; nodeName?: string; interfaces?: { name?: string; ipAddress?: string }[] };
}

/** The processes whose command line has `text`, with their real uid. */
function processesWith(text: string): { pid: number; uid: number }[] {
  const found: { pid: number; uid: number }[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)))
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) continue;
      const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      found.push({ pid: Number(pid), uid: Number(uid) });
    } catch {
      // gone
    }
  return found;
}

/**
 * examples/demo/demo-vm.yaml as `npm run demo` applies it (namespace demo, VM demo: a container
 * disk, cloud-init, masquerade on the pod network), its container disk the node's copy of the
 * test guest (LocalContainerDisk) where the demo fills in the local file.
 */
function demoVmManifest(): string {
  const file = path.resolve(__dirname, '..', '..', 'examples', 'demo', 'demo-vm.yaml');
  const text = fs.readFileSync(file, 'utf8');
  expect(text).toContain('image: IMAGE');
  return text.replace('image: IMAGE', `image: file://${NODE_GUEST_DISK}`);
}

const DEMO = 'demo';

/** Where a launcher pod's QEMU writes the guest's serial console, as the host sees it. */
function serialLogOf(pod: Pod & { metadata: { uid: string } }): string {
  const node = (state().nodes ?? []).find((n) => n.name === pod.spec.nodeName)!;
  return path.join(
    nodePaths(node.dir).kubeletRoot,
    'pods',
    pod.metadata.uid,
    'volumes',
    'kubernetes.io~empty-dir',
    'private',
    'qemu',
    'serial.log',
  );
}

/** A VMI once Running and booted, with its one launcher pod and where that pod's serial log is. */
async function vmiRunning(
  ns: string,
  name: string,
  /** A VMI of another uid than this one (a restart's new VMI). */
  notUid?: string,
): Promise<{
  vmi: Vmi;
  pod: Pod & { metadata: { uid: string } };
  serialLog: string;
}> {
  const vmi = await eventually(
    'the VMI to be Running',
    async () => {
      const r = kubectl(['get', 'vmi', '-n', ns, name, '-o', 'json']);
      const v = r.status === 0 ? (JSON.parse(r.stdout) as Vmi) : undefined;
      return v?.status?.phase === 'Running' && v.metadata.uid !== notUid ? v : undefined;
    },
    { timeoutMs: 300_000 },
  );
  const pods = kubectlJson<{ items: (Pod & { metadata: { uid: string } })[] }>([
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `kubevirt.io/created-by=${vmi.metadata.uid}`,
  ]).items;
  expect(pods).toHaveLength(1);
  const pod = pods[0]!;
  expect(pod.spec.nodeName).toBe(vmi.status?.nodeName);
  // kubelet started the compute container through containerd.
  expect(pod.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  const serialLog = serialLogOf(pod);
  await eventually(
    "the guest's boot marker on its serial console",
    async () =>
      (fs.existsSync(serialLog) && fs.readFileSync(serialLog, 'utf8').includes(GuestMarkers.booted)) ||
      undefined,
    { timeoutMs: 240_000 },
  );
  return { vmi, pod, serialLog };
}

/** `virtkit stop`: the VM is Stopped, its VMI and pod are gone and no QEMU is left. */
async function demoStopped(): Promise<void> {
  const stop = cli(['stop', DEMO, '-n', DEMO]);
  expect([stop.status, stop.stderr, stop.stdout.trim()]).toEqual([0, '', `VM ${DEMO} was scheduled to stop`]);
  await eventually(
    'the VM to be Stopped, its VMI and pod gone',
    async () => {
      const vm = kubectlJson<{ status?: { printableStatus?: string } }>(['get', 'vm', '-n', DEMO, DEMO]);
      const left = kubectl(['get', 'vmi,pods', '-n', DEMO, '-o', 'name']).stdout.trim();
      return (vm.status?.printableStatus === 'Stopped' && left === '') || undefined;
    },
    { timeoutMs: 120_000 },
  );
  expect(processesWith(`guest=${DEMO}_${DEMO}`)).toEqual([]);
}

test('the demo VM runs in a launcher pod kubelet started: the handler hands the launcher its VMI and wires its pod network, the guest boots under QEMU as the qemu user, gets its address by DHCP and answers a pod on the other node; virtkit pauses and unpauses it and reaches its serial console through the handler pod; virtkit stop ends the pod and virtkit start boots it again', async () => {
  const guest = ensureGuestImage();
  for (const n of state().nodes ?? []) {
    const dir = path.join(n.dir, 'host', 'var-lib-virtkit', path.basename(path.dirname(NODE_GUEST_DISK)));
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(guest.disk, path.join(dir, path.basename(NODE_GUEST_DISK)));
  }
  expect(kubectl(['create', 'namespace', VMS]).stderr).toBe('');
  const applied = kubectl(['apply', '--server-side', '-f', '-'], demoVmManifest());
  expect(applied.stderr).toBe('');
  const { pod, serialLog } = await vmiRunning(DEMO, DEMO);
  // KubeVirt's kvm device: the launcher pod asks for one, unless `up` allowed software emulation
  // because this machine's KVM does not boot a guest.
  const kvm = await hostKvm();
  expect(developerConfiguration().useEmulation === true).toBe(!kvm.usable);
  const compute = (
    pod as unknown as { spec: { containers: { resources: Record<string, Record<string, string>> }[] } }
  ).spec.containers[0]!.resources;
  expect(compute.limits?.['devices.kubevirt.io/kvm']).toBe(kvm.usable ? '1' : undefined);
  expect(compute.limits?.['devices.kubevirt.io/tun']).toBe('1');
  // QEMU runs in the container as the launcher image's user, KubeVirt's qemu (107), not root.
  const qemu = processesWith(`guest=${DEMO}_${DEMO}`);
  expect(qemu.map((p) => p.uid)).toEqual([107]);
  // The pod network (masquerade): the guest got KubeVirt's guest address from the launcher's
  // DHCP server over the tap the handler made, and the VMI reports the pod's address.
  expect(fs.readFileSync(serialLog, 'utf8')).toMatch(
    new RegExp(`${GuestMarkers.dhcp} eth0 ip=10\\.0\\.2\\.2 mask=24 router=10\\.0\\.2\\.1`),
  );
  await eventually(
    "the VMI's interface to report the pod's address",
    async () =>
      kubectlJson<Vmi>(['get', 'vmi', '-n', DEMO, DEMO]).status?.interfaces?.[0]?.ipAddress ===
        pod.status.podIP || undefined,
    { timeoutMs: 60_000 },
  );
  // A pod on the other node reaches the guest's TCP service through the launcher pod's address.
  const other = (state().nodes ?? []).find((n) => n.name !== pod.spec.nodeName)!.name;
  const answer = await runShellPod(
    VMS,
    'guest-caller',
    `echo hello-from-${other} | /bin/busybox nc -w 5 ${pod.status.podIP} 7777`,
    other,
  );
  expect(answer).toContain(GuestMarkers.portHello);
  expect(answer).toContain(`${GuestMarkers.portReply} hello-from-${other}`);
  expect(kubectl(['delete', 'pod', '-n', VMS, 'guest-caller', '--wait=true']).status).toBe(0);

  // The node API: virtkit's CLI through the aggregated API, an api pod, and the handler pod's
  // node API (mutual TLS with the certificates the api made) to the launcher.
  const paused = (): Promise<unknown> =>
    Promise.resolve(
      kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
        'get',
        'vmi',
        '-n',
        DEMO,
        DEMO,
      ]).status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True'),
    );
  const pause = cli(['pause', 'vm', DEMO, '-n', DEMO]);
  expect([pause.status, pause.stderr, pause.stdout.trim()]).toEqual([
    0,
    '',
    `VMI ${DEMO} was scheduled to pause`,
  ]);
  await eventually('the VMI to be Paused', async () => (await paused()) || undefined, { timeoutMs: 60_000 });
  // KubeVirt's readiness gate: the controller turns the pod's kubevirt.io/virtual-machine-unpaused
  // False, kubelet then keeps the pod not Ready, and the VMI's Ready says why; unpausing undoes it.
  const readiness = (): string => {
    type Conditions = { status?: { conditions?: { type: string; status: string; reason?: string }[] } };
    const of = (o: Conditions, type: string) => o.status?.conditions?.find((c) => c.type === type);
    const p = kubectlJson<Conditions>(['get', 'pod', '-n', DEMO, pod.metadata.name]);
    const v = kubectlJson<Conditions>(['get', 'vmi', '-n', DEMO, DEMO]);
    return [
      `gate=${of(p, 'kubevirt.io/virtual-machine-unpaused')?.status}`,
      `pod=${of(p, 'Ready')?.status}:${of(p, 'Ready')?.reason ?? ''}`,
      `vmi=${of(v, 'Ready')?.status}:${of(v, 'Ready')?.reason ?? ''}`,
    ].join(' ');
  };
  await eventually(
    'the paused VM to be not Ready through the readiness gate',
    async () =>
      readiness() === 'gate=False pod=False:ReadinessGatesNotReady vmi=False:ReadinessGatesNotReady' ||
      undefined,
    { timeoutMs: 60_000, context: readiness },
  );
  expect(cli(['unpause', 'vm', DEMO, '-n', DEMO]).status).toBe(0);
  await eventually('the VMI to run again', async () => !(await paused()) || undefined, { timeoutMs: 60_000 });
  await eventually(
    'the unpaused VM to be Ready again',
    async () => readiness() === 'gate=True pod=True: vmi=True:' || undefined,
    { timeoutMs: 60_000, context: readiness },
  );
  const console_ = spawn(process.execPath, [VIRTKIT, 'console', DEMO, '-n', DEMO, '--no-history'], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
  let out = '';
  let err = '';
  console_.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  console_.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await eventually('the console to connect', async () => /Successfully connected/.test(err) || undefined, {
      timeoutMs: 60_000,
      context: () => err,
    });
    console_.stdin.write('from-the-cluster\n');
    await eventually(
      "the guest's answer on the console",
      async () => out.includes(`${GuestMarkers.consoleReply} from-the-cluster`) || undefined,
      { timeoutMs: 60_000, context: () => out },
    );
  } finally {
    console_.kill('SIGTERM');
  }

  // stop and start through the subresource API: the VM stops, and starts again in a new pod.
  await demoStopped();
  const start = cli(['start', DEMO, '-n', DEMO]);
  expect([start.status, start.stderr, start.stdout.trim()]).toEqual([
    0,
    '',
    `VM ${DEMO} was scheduled to start`,
  ]);
  const again = await vmiRunning(DEMO, DEMO);
  expect(again.pod.metadata.uid).not.toBe(pod.metadata.uid);
  expect(processesWith(`guest=${DEMO}_${DEMO}`).map((p) => p.uid)).toEqual([107]);
  await demoStopped();
});

interface Event {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; uid?: string };
}

const eventsIn = (ns: string): Event[] => kubectlJson<{ items: Event[] }>(['get', 'events', '-n', ns]).items;

test("kubelet runs a VM's probes: the guest agent's ping (an exec of virtkit probe in the compute container) makes the pod and the VMI Ready; a failing liveness probe makes kubelet stop the guest, and the VM starts a new one", async () => {
  // `probed` is Ready only once kubelet's exec of virtkit probe reached the guest agent through the
  // launcher's socket; its liveness probe (the guest's web server, through the pod's address) passes.
  const probed = clusterVm('probed', false, {
    readinessProbe: { guestAgentPing: {}, timeoutSeconds: 5, periodSeconds: 5 },
    livenessProbe: { httpGet: { port: 80, path: '/healthz' }, periodSeconds: 10, failureThreshold: 30 },
  });
  // `doomed`'s liveness probe dials a port nothing in the guest listens on.
  const doomed = clusterVm('doomed', false, {
    livenessProbe: { tcpSocket: { port: 1 }, initialDelaySeconds: 20, periodSeconds: 5, failureThreshold: 2 },
  });
  for (const vm of [probed, doomed])
    expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(vm)).stderr).toBe('');

  const podOf = (vmi: string): (Pod & { metadata: { name: string; uid: string } }) | undefined =>
    kubectlJson<{ items: (Pod & { metadata: { name: string; uid: string } })[] }>([
      'get',
      'pods',
      '-n',
      VMS,
      '-l',
      `vm.kubevirt.io/name=${vmi}`,
    ]).items[0];
  const ready = (o: { status?: { conditions?: { type: string; status: string }[] } } | undefined): boolean =>
    !!o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

  // The controller put the probes on the compute container for kubelet.
  const pod = await eventually('the launcher pod of probed', async () => podOf('probed'), {
    timeoutMs: 120_000,
  });
  const compute = (pod.spec as unknown as { containers: Record<string, unknown>[] }).containers[0]!;
  expect(compute.readinessProbe).toEqual({
    exec: {
      command: [
        'virtkit',
        'probe',
        '--socket',
        '/var/run/kubevirt/sockets/launcher.sock',
        '--timeout-seconds',
        '5',
        '--guest-agent-ping',
      ],
    },
    timeoutSeconds: 6,
    periodSeconds: 5,
    // The API server's defaults.
    successThreshold: 1,
    failureThreshold: 3,
  });
  expect(compute.livenessProbe).toEqual({
    httpGet: { port: 80, path: '/healthz', scheme: 'HTTP' },
    periodSeconds: 10,
    failureThreshold: 30,
    successThreshold: 1,
    timeoutSeconds: 1,
  });
  await eventually(
    'kubelet to mark the pod Ready and the VMI to follow',
    async () => {
      const p = kubectlJson<Pod & { status: { conditions?: { type: string; status: string }[] } }>([
        'get',
        'pod',
        '-n',
        VMS,
        pod.metadata.name,
      ]);
      const vmi = kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
        'get',
        'vmi',
        '-n',
        VMS,
        'probed',
      ]);
      return (ready(p) && ready(vmi)) || undefined;
    },
    {
      timeoutMs: 300_000,
      context: () => JSON.stringify(eventsIn(VMS).filter((e) => e.reason === 'Unhealthy')),
    },
  );

  // doomed: kubelet's liveness failures and its kill, then a new VMI of the VM.
  const first = await eventually(
    'the first VMI of doomed',
    async () =>
      kubectlJson<Vmi & { metadata: { uid: string } }>(['get', 'vmi', '-n', VMS, 'doomed']).metadata.uid,
    { timeoutMs: 60_000 },
  );
  const firstPod = await eventually('the launcher pod of doomed', async () => podOf('doomed'), {
    timeoutMs: 120_000,
  });
  await eventually(
    "kubelet's Unhealthy and Killing Events on doomed's pod",
    async () => {
      const mine = eventsIn(VMS).filter((e) => e.involvedObject.name === firstPod.metadata.name);
      const unhealthy = mine.some(
        (e) => e.reason === 'Unhealthy' && /^Liveness probe failed/.test(e.message),
      );
      // kubelet's words for a container it stops (restartPolicy Never: "Stopping container compute").
      const killing = mine.some((e) => e.reason === 'Killing' && /container compute/.test(e.message));
      return (unhealthy && killing) || undefined;
    },
    { timeoutMs: 240_000, context: () => JSON.stringify(eventsIn(VMS).slice(-10)) },
  );
  await eventually(
    'a new VMI of doomed (runStrategy Always)',
    async () => {
      const r = kubectl(['get', 'vmi', '-n', VMS, 'doomed', '-o', 'jsonpath={.metadata.uid}']);
      return (r.status === 0 && r.stdout !== '' && r.stdout !== first) || undefined;
    },
    { timeoutMs: 240_000 },
  );
  // probed was never killed: its container has not been restarted or replaced.
  const still = podOf('probed');
  expect(still?.metadata.uid).toBe(pod.metadata.uid);
  expect(
    eventsIn(VMS).filter((e) => e.involvedObject.name === pod.metadata.name && e.reason === 'Killing'),
  ).toEqual([]);

  for (const vm of ['probed', 'doomed'])
    expect(kubectl(['delete', 'vm', '-n', VMS, vm, '--wait=true', '--timeout=180s']).status).toBe(0);
  await eventually(
    'their pods to be gone',
    async () => kubectl(['get', 'pods', '-n', VMS, '-o', 'name']).stdout.trim() === '' || undefined,
    { timeoutMs: 180_000 },
  );
});

test("a claim of the default StorageClass is a VM's disk on a kubelet node: the handler provisions the volume on the VM's node and readies its disk.img for the launcher, kubelet mounts it into the pod, the guest reads and writes it, and its data outlives a restart", async () => {
  const claim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'counter', namespace: VMS },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
  };
  const vm = clusterVm('keeper') as {
    spec: { template: { spec: { domain: { devices: { disks: unknown[] } }; volumes: unknown[] } } };
  };
  vm.spec.template.spec.domain.devices.disks.push({
    name: 'counter',
    serial: 'counter',
    disk: { bus: 'virtio' },
  });
  vm.spec.template.spec.volumes.push({ name: 'counter', persistentVolumeClaim: { claimName: 'counter' } });
  for (const o of [claim, vm])
    expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(o)).stderr).toBe('');
  const first = await vmiRunning(VMS, 'keeper');

  // The handler of the VMI's node made the volume there (WaitForFirstConsumer): a local
  // PersistentVolume pinned to that node, its disk.img the claim's size and the launcher's.
  const pvName = kubectlJson<{ spec: { volumeName?: string } }>(['get', 'pvc', '-n', VMS, 'counter']).spec
    .volumeName;
  const pv = kubectlJson<{
    spec: {
      local?: { path: string };
      nodeAffinity?: { required?: { nodeSelectorTerms?: { matchExpressions?: { values?: string[] }[] }[] } };
    };
  }>(['get', 'pv', pvName ?? '']);
  expect(pv.spec.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values).toEqual([
    first.vmi.status?.nodeName,
  ]);
  const node = (state().nodes ?? []).find((n) => n.name === first.vmi.status?.nodeName)!;
  expect(pv.spec.local?.path).toMatch(/^\/var\/lib\/virtkit\/volumes\/pvc-[0-9a-f-]+$/);
  const onNode = nodeDiskOf(node.dir, pv.spec.local?.path ?? '');
  const st = fs.statSync(onNode);
  expect([st.size, st.uid, st.mode & 0o777]).toEqual([16 * 1024 * 1024, 107, 0o660]);

  // A boot counter on the claim (the test guest counts boots on a disk that starts with one).
  const fd = fs.openSync(onNode, 'r+');
  fs.writeSync(fd, 'VIRTKIT-COUNTER:0000000000\n', 0);
  fs.closeSync(fd);
  const restart = cli(['restart', 'keeper', '-n', VMS]);
  expect([restart.status, restart.stderr, restart.stdout.trim()]).toEqual([
    0,
    '',
    'VM keeper was scheduled to restart',
  ]);
  const second = await vmiRunning(VMS, 'keeper', first.vmi.metadata.uid);
  expect(second.vmi.status?.nodeName).toBe(first.vmi.status?.nodeName);
  await eventually(
    'the guest to count its boot on the claim',
    async () =>
      /VIRTKIT-BOOT-COUNT dev=vd\w serial=counter count=1/.test(fs.readFileSync(second.serialLog, 'utf8')) ||
      undefined,
    { timeoutMs: 120_000, context: () => fs.readFileSync(second.serialLog, 'utf8').slice(-2000) },
  );
  // The guest's write reached the volume on the node.
  expect(fs.readFileSync(onNode).subarray(0, 26).toString()).toBe('VIRTKIT-COUNTER:0000000001');

  // Deleting the VM and the claim deletes the volume (reclaimPolicy Delete) and its data.
  expect(kubectl(['delete', 'vm', '-n', VMS, 'keeper', '--wait=true', '--timeout=180s']).status).toBe(0);
  expect(kubectl(['delete', 'pvc', '-n', VMS, 'counter', '--wait=true', '--timeout=120s']).status).toBe(0);
  await eventually(
    'the volume and its directory to be gone',
    async () =>
      (kubectl(['get', 'pv', pvName ?? '']).status !== 0 && !fs.existsSync(path.dirname(onNode))) ||
      undefined,
    { timeoutMs: 120_000 },
  );
});

test("DataVolumes on kubelet nodes: CDI's importer pods, run by kubelet as the qemu user, import a VM's root disk over HTTP and make a blank one; the VM boots from the imported disk", async () => {
  // The test guest's disk, served over HTTP on the host, where pods reach it through the first
  // node's link to the host.
  const guest = ensureGuestImage();
  const server = http.createServer((req, res) => {
    if (req.url !== '/disk.img') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': fs.statSync(guest.disk).size });
    fs.createReadStream(guest.disk).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const port = (server.address() as { port: number }).port;
  const host = (state().nodes ?? [])[0]!.hostIp;
  try {
    const retain = { 'cdi.kubevirt.io/storage.pod.retainAfterCompletion': 'true' };
    const vm = clusterVm('imported') as {
      spec: Record<string, unknown> & {
        template: { spec: { domain: { devices: { disks: unknown[] } }; volumes: unknown[] } };
      };
    };
    vm.spec.dataVolumeTemplates = [
      {
        metadata: { name: 'imported-root', annotations: retain },
        spec: {
          source: { http: { url: `http://${host}:${port}/disk.img` } },
          storage: { resources: { requests: { storage: '256Mi' } } },
        },
      },
      {
        metadata: { name: 'imported-scratch', annotations: retain },
        spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '16Mi' } } } },
      },
    ];
    vm.spec.template.spec.volumes = [
      { name: 'rootdisk', dataVolume: { name: 'imported-root' } },
      { name: 'scratch', dataVolume: { name: 'imported-scratch' } },
    ];
    vm.spec.template.spec.domain.devices.disks.push({
      name: 'scratch',
      serial: 'scratch',
      disk: { bus: 'virtio' },
    });
    expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(vm)).stderr).toBe('');
    const running = await vmiRunning(VMS, 'imported');
    for (const dv of ['imported-root', 'imported-scratch']) {
      const d = kubectlJson<{ status?: { phase?: string } }>(['get', 'dv', '-n', VMS, dv]);
      expect(`${dv}: ${d.status?.phase}`).toBe(`${dv}: Succeeded`);
      // kubelet ran the importer through containerd, as the launcher image's qemu user.
      const pod = kubectlJson<Pod & { spec: { containers: { command?: string[]; args?: string[] }[] } }>([
        'get',
        'pod',
        '-n',
        VMS,
        `importer-${dv}`,
      ]);
      expect(pod.status.phase).toBe('Succeeded');
      expect(pod.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      expect([pod.spec.containers[0]?.command, pod.spec.containers[0]?.args]).toEqual([
        ['virtkit'],
        ['importer'],
      ]);
    }
    // The claims are volumes of the VM's node; their disk.img is the launcher's.
    const node = (state().nodes ?? []).find((n) => n.name === running.vmi.status?.nodeName)!;
    const pvName = kubectlJson<{ spec: { volumeName?: string } }>(['get', 'pvc', '-n', VMS, 'imported-root'])
      .spec.volumeName;
    const pv = kubectlJson<{ spec: { local?: { path: string } } }>(['get', 'pv', pvName ?? '']);
    const onNode = nodeDiskOf(node.dir, pv.spec.local?.path ?? '');
    expect(fs.statSync(onNode).uid).toBe(107);
    // The guest booted from the imported disk (vmiRunning waited for its boot marker).
    expect(fs.readFileSync(running.serialLog, 'utf8')).toContain(GuestMarkers.booted);
  } finally {
    server.close();
  }
  expect(kubectl(['delete', 'vm', '-n', VMS, 'imported', '--wait=true', '--timeout=180s']).status).toBe(0);
  // The importer pods this test kept (retainAfterCompletion) are its own to delete: while they
  // exist, their claims' pvc-protection holds the claims.
  expect(
    kubectl([
      'delete',
      'pod',
      '-n',
      VMS,
      'importer-imported-root',
      'importer-imported-scratch',
      '--wait=true',
    ]).status,
  ).toBe(0);
  await eventually(
    'its pods and claims to be gone',
    async () => kubectl(['get', 'pods,pvc,dv', '-n', VMS, '-o', 'name']).stdout.trim() === '' || undefined,
    { timeoutMs: 180_000, context: () => kubectl(['get', 'pods,pvc,dv', '-n', VMS, '-o', 'name']).stdout },
  );
});

/** Starts `kubectl port-forward` (a client of its own, not virtkit's) and resolves with the local port and the process. */
async function kubectlPortForward(args: string[]): Promise<{ port: number; stop: () => void }> {
  const child = spawn(findBinary('kubectl'), ['port-forward', ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const port = await eventually(
    'kubectl port-forward to listen',
    async () => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      return m ? Number(m[1]) : undefined;
    },
    { timeoutMs: 30_000, context: () => out },
  );
  return { port, stop: () => child.kill('SIGTERM') };
}

test("exports on kubelet nodes: kubelet runs the exporter pod of a stopped VM; virtkit vmexport download --port-forward brings its volume (gzip and raw) with the volume's sha256 and the VM's manifests through pods/portforward, --service-url through a forwarded Service port; a wrong token gets 401; the export and its pod go at the TTL", async () => {
  const ns = 'exports';
  expect(kubectl(['create', 'namespace', ns]).status).toBe(0);
  // Known bytes, imported into a claim of the default StorageClass by CDI's importer pod.
  const bytes = randomBytes(6 << 20);
  const server = http.createServer((req, res) => {
    if (req.url !== '/data.img') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const host = (state().nodes ?? [])[0]!.hostIp;
  const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  try {
    const dv = httpDataVolume(
      ns,
      'data',
      `http://${host}:${(server.address() as { port: number }).port}/data.img`,
      '16Mi',
    );
    expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(dv)).stderr).toBe('');
    await eventually(
      'DataVolume data to succeed',
      async () =>
        kubectlJson<{ status?: { phase?: string } }>(['get', 'dv', '-n', ns, 'data']).status?.phase ===
          'Succeeded' || undefined,
      { timeoutMs: 180_000, context: () => kubectl(['get', 'dv,pvc,pods', '-n', ns]).stdout },
    );
  } finally {
    server.close();
  }
  // The volume as its node holds it: the imported bytes, then zeros to the claim's size.
  const pvName = kubectlJson<{ spec: { volumeName: string } }>(['get', 'pvc', '-n', ns, 'data']).spec
    .volumeName;
  const localPath = kubectlJson<{ spec: { local: { path: string } } }>(['get', 'pv', pvName]).spec.local.path;
  const onNode = (state().nodes ?? []).map((n) => nodeDiskOf(n.dir, localPath)).find((f) => fs.existsSync(f));
  expect(onNode).toBeDefined();
  const volume = fs.readFileSync(onNode!);
  expect(sha256(volume.subarray(0, bytes.length))).toBe(sha256(bytes));

  // A stopped VM whose disk the claim is, exported with a short TTL.
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'holder', namespace: ns },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            memory: { guest: '64Mi' },
            devices: { disks: [{ name: 'data', disk: { bus: 'virtio' } }] },
          },
          volumes: [{ name: 'data', dataVolume: { name: 'data' } }],
        },
      },
    },
  };
  expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(vm)).stderr).toBe('');
  const created = cli(['vmexport', 'create', 'holder-export', '--vm', 'holder', '--ttl', '75s', '-n', ns]);
  expect([created.status, created.stderr]).toEqual([0, '']);

  const download = (args: string[]): Run => cli(['vmexport', 'download', 'holder-export', '-n', ns, ...args]);
  // gzip (the default) through a port forward on any free port.
  const gz = path.join(stateDir, 'holder.img.gz');
  const got = download(['--port-forward', '--output', gz]);
  expect([got.status, got.stderr]).toEqual([
    0,
    expect.stringMatching(
      /Forwarding from 127\.0\.0\.1:\d+ -> 8443 of pod exports\/virt-export-holder-export/,
    ),
  ]);
  expect(sha256(gunzipSync(fs.readFileSync(gz)))).toBe(sha256(volume));
  // kubelet ran the exporter pod through containerd.
  const pod = kubectlJson<Pod>(['get', 'pod', '-n', ns, 'virt-export-holder-export']);
  expect(pod.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  // raw, on a local port of our choosing.
  const raw = path.join(stateDir, 'holder.img');
  const chosen = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (probe.address() as net.AddressInfo).port;
      probe.close(() => resolve(p));
    });
  });
  const rawGot = download([
    '--port-forward',
    '--local-port',
    String(chosen),
    '--format',
    'raw',
    '--volume',
    'data',
    '--output',
    raw,
  ]);
  expect([rawGot.status, rawGot.stderr]).toEqual([
    0,
    expect.stringContaining(`Forwarding from 127.0.0.1:${chosen} -> 8443`),
  ]);
  expect(sha256(fs.readFileSync(raw))).toBe(sha256(volume));
  // The VM's manifests for a re-import: its DataVolume pointing at the export's internal URL, and the header Secret.
  const manifests = download(['--port-forward', '--manifest', '--include-secret']);
  expect(manifests.status).toBe(0);
  const docs = manifests.stdout
    .split(/^---$/m)
    .map((d) => d.trim())
    .filter(Boolean);
  const token = Buffer.from(
    kubectlJson<{ data: { token: string } }>(['get', 'secret', '-n', ns, 'export-token-holder-export']).data
      .token,
    'base64',
  ).toString();
  expect(manifests.stdout).toContain(`x-kubevirt-export-token:${token}`);
  expect(docs.some((d) => /kind: VirtualMachine\b/.test(d) && /name: holder\b/.test(d))).toBe(true);
  expect(manifests.stdout).toContain(
    `url: https://virt-export-holder-export.${ns}.svc/volumes/data/disk.img.gz`,
  );

  // Another client's forward of the export's Service: a wrong token is refused; --service-url downloads through it.
  const fwd = await kubectlPortForward(['-n', ns, 'svc/virt-export-holder-export', ':443']);
  try {
    const ca = kubectlJson<{ status: { links: { internal: { cert: string } } } }>([
      'get',
      'vmexport',
      '-n',
      ns,
      'holder-export',
    ]).status.links.internal.cert;
    const status = (t: string): Promise<number> =>
      new Promise((resolve, reject) =>
        https
          .get(
            {
              host: '127.0.0.1',
              port: fwd.port,
              path: '/volumes/data/disk.img',
              ca,
              servername: `virt-export-holder-export.${ns}.svc`,
              headers: { 'x-kubevirt-export-token': t },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          )
          .on('error', reject),
      );
    expect(await status('not-the-token')).toBe(401);
    const viaService = path.join(stateDir, 'holder-svc.img');
    const su = download([
      '--service-url',
      `127.0.0.1:${fwd.port}`,
      '--format',
      'raw',
      '--output',
      viaService,
    ]);
    expect([su.status, su.stderr]).toEqual([0, '']);
    expect(sha256(fs.readFileSync(viaService))).toBe(sha256(volume));
  } finally {
    fwd.stop();
  }

  // At the TTL the controller deletes the export; its pod and Service go with it.
  await eventually(
    'the export, its pod and its Service to go at the TTL',
    async () =>
      kubectl(['get', 'vmexport,pods,svc', '-n', ns, '-o', 'name']).stdout.trim() === '' || undefined,
    {
      timeoutMs: 180_000,
      context: () => kubectl(['get', 'vmexport,pods,svc', '-n', ns, '-o', 'wide']).stdout,
    },
  );
  expect(kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=180s']).status).toBe(0);
});

test("a VM of the cdk8s example fleet runs on kubelet nodes: the install's registry mirror brings its quay.io containerDisk from a registry on this machine, the guest boots through EFI with Secure Boot, and the pool's httpGet probe, run by kubelet, makes it Ready", async () => {
  // quay.io is out of reach here: its image is the test guest in a registry on this machine,
  // which the nodes' pods reach through their link's host end.
  const reg = await TestRegistry.start({ address: '0.0.0.0' });
  try {
    const push = spawnSync(
      process.execPath,
      [VIRTKIT, 'image', 'push', ensureGuestImage().disk, `${reg.host}/containerdisks/fedora:40`],
      { encoding: 'utf8', timeout: 300_000 },
    );
    // (Its progress goes to stderr; the whole of it only when it failed.)
    expect([push.status, push.status === 0 ? '' : push.stderr]).toEqual([0, '']);
    const mirror = `quay.io=http://${(state().nodes ?? [])[0]!.hostIp}:${reg.port}`;
    applyInstall(imageRef('virtkit'), imageRef('virtkit-launcher'), ['--registry-mirror', mirror]);
    await eventually(
      'the handler DaemonSet to roll over to the mirror, every pod Ready',
      async () => {
        const ds = kubectlJson<{
          metadata: { generation: number };
          spec: { template: { spec: { containers: { args: string[] }[] } } };
          status: {
            observedGeneration?: number;
            desiredNumberScheduled: number;
            updatedNumberScheduled?: number;
            numberAvailable?: number;
          };
        }>(['get', 'daemonset', '-n', INSTALL_NS, 'virtkit-handler']);
        const args = ds.spec.template.spec.containers[0]!.args;
        return (
          (args.includes(mirror) &&
            ds.status.observedGeneration === ds.metadata.generation &&
            ds.status.updatedNumberScheduled === ds.status.desiredNumberScheduled &&
            ds.status.numberAvailable === ds.status.desiredNumberScheduled) ||
          undefined
        );
      },
      { timeoutMs: 300_000, context: () => kubectl(['get', 'pods', '-n', INSTALL_NS, '-o', 'wide']).stdout },
    );

    // The fleet as the cdk8s example synthesizes it: its instancetypes and preferences, and its
    // web pool at one replica (three TCG guests would not fit beside the other suites' VMs).
    const fleet = new FleetChart(new App(), 'fleet').toJson() as {
      kind: string;
      metadata: { name: string };
      spec?: { replicas?: number };
    }[];
    const wanted = fleet.filter(
      (o) =>
        o.kind === 'VirtualMachineClusterInstancetype' ||
        o.kind === 'VirtualMachineClusterPreference' ||
        (o.kind === 'VirtualMachinePool' && o.metadata.name === 'web'),
    );
    const pool = wanted.find((o) => o.kind === 'VirtualMachinePool')!;
    expect(pool.spec?.replicas).toBe(3);
    pool.spec!.replicas = 1;
    expect(kubectl(['create', 'namespace', 'shop']).status).toBe(0);
    expect(
      kubectl([
        'create',
        'secret',
        'generic',
        'web-cloud-init',
        '-n',
        'shop',
        '--from-literal=userdata=#cloud-config\nvirtkit-e2e-greeting: hello from the fleet\n',
      ]).status,
    ).toBe(0);
    const applied = kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: wanted }),
    );
    expect(applied.stderr).toBe('');
    const vm = await eventually(
      "the pool's VM",
      async () =>
        kubectl([
          'get',
          'vm',
          '-n',
          'shop',
          '-l',
          'kubevirt.io/vmpool=web',
          '-o',
          'jsonpath={.items[0].metadata.name}',
        ]).stdout.trim() || undefined,
      { timeoutMs: 120_000 },
    );
    const running = await vmiRunning('shop', vm);
    expect(fs.readFileSync(running.serialLog, 'utf8')).toContain('UEFI Secure Boot is enabled');
    // u1.small's memory, from the cluster instancetype.
    expect(
      kubectl(['get', 'vmi', '-n', 'shop', vm, '-o', 'jsonpath={.spec.domain.memory.guest}']).stdout,
    ).toBe('2Gi');
    await eventually(
      "the VM to be Ready (kubelet runs the pool's httpGet probe on port 80)",
      async () =>
        kubectl(['get', 'vm', '-n', 'shop', vm, '-o', 'jsonpath={.status.ready}']).stdout === 'true' ||
        undefined,
      { timeoutMs: 300_000, context: () => kubectl(['describe', 'pod', '-n', 'shop']).stdout },
    );
  } finally {
    kubectl(['delete', 'namespace', 'shop', '--wait=true', '--timeout=180s']);
    await reg.stop();
    // The handlers keep the mirror (to a registry now gone) until the upgrade test below
    // re-renders the install without it.
  }
});

type MigrationState = VirtualMachineInstanceMigrationState;

/** The guest's ticks on a launcher pod's serial console log (none before it exists). */
const ticksIn = (serialLog: string): number[] =>
  fs.existsSync(serialLog) ? guestTicks(fs.readFileSync(serialLog, 'utf8')) : [];

/**
 * A running VMI of `name` moved off `from`: its migration `vmim` Succeeded, the VMI runs on the
 * other node in one launcher pod containerd started there, reached through that node's handler
 * pod, and the guest goes on counting on the new pod's console without booting again.
 */
async function movedOff(
  name: string,
  vmim: string,
  from: { node: string; lastTick: number },
): Promise<{ pod: Pod & { metadata: { uid: string } }; serialLog: string; ms: MigrationState }> {
  const to = (state().nodes ?? []).map((n) => n.name).find((n) => n !== from.node)!;
  const migration = await eventually(
    `migration ${vmim} to end`,
    async () => {
      const m = kubectlJson<{ status?: { phase?: string } }>(['get', 'vmim', '-n', VMS, vmim]);
      return ['Succeeded', 'Failed'].includes(m.status?.phase ?? '') ? m : undefined;
    },
    { timeoutMs: 240_000 },
  );
  const vmi = kubectlJson<Vmi & { status?: { migrationState?: MigrationState } }>([
    'get',
    'vmi',
    '-n',
    VMS,
    name,
  ]);
  const why = () =>
    JSON.stringify({
      vmim: migration.status,
      migrationState: vmi.status?.migrationState,
      events: eventsIn(VMS)
        .filter((e) => [name, vmim].includes(e.involvedObject.name))
        .map((e) => `${e.involvedObject.kind} ${e.reason}: ${e.message}`),
    });
  expect({
    phase: migration.status?.phase,
    why: migration.status?.phase === 'Succeeded' ? '' : why(),
  }).toEqual({
    phase: 'Succeeded',
    why: '',
  });
  const ms = vmi.status?.migrationState ?? {};
  expect(vmi.status?.nodeName).toBe(to);
  expect(ms).toMatchObject({ completed: true, sourceNode: from.node, targetNode: to });
  expect(ms.failed).toBeFalsy();
  expect(ms.startTimestamp && ms.endTimestamp).toBeTruthy();
  // The handlers carried it between their pods (on the pod network, as virt-handler's are): the
  // target's proxy listened on the address of the target node's handler pod.
  const handlerIp = kubectlJson<{ items: Pod[] }>([
    'get',
    'pods',
    '-n',
    INSTALL_NS,
    '-l',
    'app.kubernetes.io/component=handler',
    '--field-selector',
    `spec.nodeName=${to}`,
  ]).items[0]?.status.podIP;
  expect(ms.targetNodeAddress).toBe(handlerIp);
  const pods = await eventually(
    `the source pod ${ms.sourcePod} to go`,
    async () => {
      const list = kubectlJson<{ items: (Pod & { metadata: { uid: string } })[] }>([
        'get',
        'pods',
        '-n',
        VMS,
        '-l',
        `kubevirt.io/created-by=${vmi.metadata.uid}`,
      ]).items;
      return list.length === 1 ? list : undefined;
    },
    { timeoutMs: 120_000 },
  );
  const pod = pods[0]!;
  expect([pod.metadata.name, pod.spec.nodeName]).toEqual([ms.targetPod, to]);
  expect(pod.status.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  // The guest counts on where it was (no boot on the target, no restart of the count).
  const serialLog = serialLogOf(pod);
  await eventually(
    `ticks after ${from.lastTick} on the console of ${pod.metadata.name}`,
    async () => (ticksIn(serialLog).at(-1) ?? 0) > from.lastTick + 2 || undefined,
    { timeoutMs: 60_000, context: () => ticksIn(serialLog).slice(-3).join(' ') },
  );
  expect(ticksIn(serialLog)[0]).toBeGreaterThanOrEqual(from.lastTick - 1);
  expect(fs.readFileSync(serialLog, 'utf8')).not.toContain(GuestMarkers.booted);
  return { pod, serialLog, ms };
}

test("live migration between kubelet nodes: virtkit migrate moves a running guest to the other node's launcher pod, the handler pods carrying QEMU's stream; kubectl drain of its new node moves it back (KubeVirt's evacuation); the guest never boots again and answers through each new pod", async () => {
  const NAME = 'mover';
  const vm = clusterVm(NAME, false, { evictionStrategy: 'LiveMigrate' });
  expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(vm)).stderr).toBe('');
  const first = await vmiRunning(VMS, NAME);
  await eventually('the guest ticking', async () => (ticksIn(first.serialLog).at(-1) ?? 0) > 2 || undefined, {
    timeoutMs: 60_000,
  });
  const live = kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
    'get',
    'vmi',
    '-n',
    VMS,
    NAME,
  ]).status?.conditions?.find((c) => c.type === 'LiveMigratable');
  expect(live?.status).toBe('True');
  /** A pod on the node the guest left calls its TCP service through its launcher pod's address. */
  const answers = async (pod: Pod, from: string, tag: string): Promise<void> => {
    const out = await runShellPod(
      VMS,
      `call-${tag}`,
      `echo ${tag} | /bin/busybox nc -w 5 ${pod.status.podIP} 7777`,
      from,
    );
    expect(out).toContain(`${GuestMarkers.portReply} ${tag}`);
    expect(kubectl(['delete', 'pod', '-n', VMS, `call-${tag}`, '--wait=true']).status).toBe(0);
  };

  // virtkit migrate: the migrate subresource, through the aggregated API.
  const from = { node: first.pod.spec.nodeName!, lastTick: ticksIn(first.serialLog).at(-1) ?? 0 };
  const out = cli(['migrate', NAME, '-n', VMS]);
  expect([out.status, out.stderr, out.stdout.trim()]).toEqual([0, '', `VM ${NAME} was scheduled to migrate`]);
  const vmim = await eventually(
    'the VMIM virtkit migrate made',
    async () =>
      kubectlJson<{ items: { metadata: { name: string }; spec: { vmiName: string } }[] }>([
        'get',
        'vmim',
        '-n',
        VMS,
      ]).items.find((m) => m.spec.vmiName === NAME)?.metadata.name,
    { timeoutMs: 30_000 },
  );
  const there = await movedOff(NAME, vmim, from);
  await answers(there.pod, from.node, 'after-migrate');

  // kubectl drain of the node it runs on now: the eviction becomes an evacuation migration back.
  const node = there.pod.spec.nodeName!;
  const drainFrom = { node, lastTick: ticksIn(there.serialLog).at(-1) ?? 0 };
  const drain = spawnSync(
    findBinary('kubectl'),
    ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=300s'],
    { encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 330_000 },
  );
  try {
    expect(drain.stderr + drain.stdout).toContain(`node/${node} drained`);
    const evacuation = kubectlJson<{
      items: {
        metadata: { name: string; annotations?: Record<string, string> };
        spec: { vmiName: string };
      }[];
    }>(['get', 'vmim', '-n', VMS]).items.find(
      (m) => m.spec.vmiName === NAME && m.metadata.name.startsWith('kubevirt-evacuation-'),
    );
    expect(evacuation?.metadata.annotations?.['kubevirt.io/evacuationMigration']).toBe(node);
    const back = await movedOff(NAME, evacuation!.metadata.name, drainFrom);
    expect(back.pod.spec.nodeName).toBe(from.node);
    await answers(back.pod, node, 'after-drain');
  } finally {
    expect(kubectl(['uncordon', node]).status).toBe(0);
  }
  expect(kubectl(['delete', 'vm', '-n', VMS, NAME, '--wait=true']).status).toBe(0);
});

test("upgrading the install to the next images keeps a running VM running: the handler DaemonSet and both Deployments roll over to the new images, the new handler adopts the running launcher (same pod, same QEMU), and the VM's verbs reach it through the new pods", async () => {
  const vm = clusterVm('survivor');
  expect(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(vm)).stderr).toBe('');
  const before = await vmiRunning(VMS, 'survivor');
  const qemu = processesWith(`guest=${VMS}_survivor`);
  expect(qemu.map((p) => p.uid)).toEqual([107]);
  const oldPods = new Set(
    kubectlJson<{ items: { metadata: { uid: string } }[] }>(['get', 'pods', '-n', INSTALL_NS]).items.map(
      (p) => p.metadata.uid,
    ),
  );

  // The next version's images: the same content under a new tag in every node's containerd (what
  // importing a newer build gives them), installed the way `up` installed the first.
  const next = (ref: string): string => ref.replace(/:[^:/]+$/, ':upgrade-next');
  for (const n of state().nodes ?? [])
    for (const image of images)
      execFileSync(
        onPath('ctr')!,
        [
          '--address',
          nodePaths(n.dir).containerdSocket,
          '--namespace',
          'k8s.io',
          'images',
          'tag',
          '--force',
          image.ref,
          next(image.ref),
        ],
        { encoding: 'utf8' },
      );
  const virtkitImage = next(imageRef('virtkit'));
  const launcherImage = next(imageRef('virtkit-launcher'));
  applyInstall(virtkitImage, launcherImage);
  await eventually(
    'every virtkit pod to run the next image, Ready, none of the old ones left',
    async () => {
      const pods = kubectlJson<{
        items: (Pod & {
          metadata: { uid: string; deletionTimestamp?: string };
          spec: { containers: { image?: string }[] };
          status: { containerStatuses?: { ready?: boolean }[] };
        })[];
      }>(['get', 'pods', '-n', INSTALL_NS]).items;
      return (
        (pods.length === 6 &&
          pods.every(
            (p) =>
              !oldPods.has(p.metadata.uid) &&
              !p.metadata.deletionTimestamp &&
              // The pod's spec: the status names the image by whichever of its tags containerd
              // lists first, and both tags are the same image here.
              p.spec.containers[0]?.image === virtkitImage &&
              p.status.containerStatuses?.[0]?.ready,
          )) ||
        undefined
      );
    },
    { timeoutMs: 300_000, context: () => kubectl(['get', 'pods', '-n', INSTALL_NS, '-o', 'wide']).stdout },
  );

  // The VM did not notice: same VMI, same launcher pod, same QEMU process, still Running.
  const after = kubectlJson<Vmi & { metadata: { uid: string } }>(['get', 'vmi', '-n', VMS, 'survivor']);
  expect([after.metadata.uid, after.status?.phase]).toEqual([before.vmi.metadata.uid, 'Running']);
  const pods = kubectlJson<{ items: { metadata: { uid: string } }[] }>([
    'get',
    'pods',
    '-n',
    VMS,
    '-l',
    `kubevirt.io/created-by=${before.vmi.metadata.uid}`,
  ]).items;
  expect(pods.map((p) => p.metadata.uid)).toEqual([before.pod.metadata.uid]);
  expect(processesWith(`guest=${VMS}_survivor`).map((p) => p.pid)).toEqual(qemu.map((p) => p.pid));
  expect(fs.readFileSync(before.serialLog, 'utf8').split(GuestMarkers.booted).length - 1).toBe(1);
  // The new handler adopted the launcher: pause and unpause go through a new api pod and the new
  // handler pod's node API, and the VMI's status follows.
  const pausedNow = (): boolean =>
    !!kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
      'get',
      'vmi',
      '-n',
      VMS,
      'survivor',
    ]).status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True');
  await eventually(
    'virtkit pause to reach the guest through the new pods',
    async () => {
      if (!pausedNow()) cli(['pause', 'vm', 'survivor', '-n', VMS]);
      return pausedNow() || undefined;
    },
    { timeoutMs: 90_000 },
  );
  expect(cli(['unpause', 'vm', 'survivor', '-n', VMS]).status).toBe(0);
  await eventually('the VMI to run again', async () => !pausedNow() || undefined, { timeoutMs: 60_000 });
  // The new handler shuts the guest down when the VM stops.
  expect(cli(['stop', 'survivor', '-n', VMS]).status).toBe(0);
  await eventually(
    'the VM to stop and its QEMU to end',
    async () =>
      (kubectl(['get', 'vmi,pods', '-n', VMS, '-o', 'name']).stdout.trim() === '' &&
        processesWith(`guest=${VMS}_survivor`).length === 0) ||
      undefined,
    { timeoutMs: 120_000 },
  );
  expect(kubectl(['delete', 'vm', '-n', VMS, 'survivor', '--wait=true']).status).toBe(0);
});

test('a VM that needs what cluster mode does not run yet stays Scheduled, with a Warning Event that names the field', async () => {
  const applied = kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(clusterVm('sysprep', true)));
  expect(applied.stderr).toBe('');
  const message = await eventually(
    "the handler's Warning on the VMI",
    async () => {
      const events = kubectlJson<{ items: { reason: string; type: string; message: string }[] }>([
        'get',
        'events',
        '-n',
        VMS,
        '--field-selector',
        'involvedObject.kind=VirtualMachineInstance,involvedObject.name=sysprep',
      ]).items;
      return events.find((e) => e.type === 'Warning' && e.reason === 'CreateContainerConfigError')?.message;
    },
    { timeoutMs: 120_000 },
  );
  expect(message).toContain(
    'spec.volumes[1] (unattend): a sysprep volume is not run in cluster mode yet (virtkit issue 17); use local mode (virtkit up) for it',
  );
  expect(kubectlJson<Vmi>(['get', 'vmi', '-n', VMS, 'sysprep']).status?.phase).toBe('Scheduled');
  expect(kubectl(['delete', 'vm', '-n', VMS, 'sysprep', '--wait=true', '--timeout=120s']).status).toBe(0);
  await eventually(
    'its pod to be gone',
    async () => kubectl(['get', 'pods', '-n', VMS, '-o', 'name']).stdout.trim() === '' || undefined,
    { timeoutMs: 120_000 },
  );
});

test('a run whose processes were all killed is cleaned up by the next up', () => {
  const before = state();
  // What a crash (or the OOM killer, or a reboot of the terminal's session) leaves: every process
  // of the state folder gone at once, no `down`; the nodes' containers keep running under their shims.
  for (const c of before.components)
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  up();
  const after = state();
  expect(after.nodes?.map((n) => n.name)).toEqual(['virtkit-node-1', 'virtkit-node-2']);
  const nodes = kubectlJson<NodeList>(['get', 'nodes']);
  expect(
    nodes.items.every((n) => n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True'),
  ).toBe(true);
});

test('virtkit down stops the nodes and leaves nothing of them on the host', () => {
  const s = state();
  expect(hostTraces(s).filter((t) => t.startsWith('netns'))).toHaveLength(2);
  const r = virtkit(['down']);
  downDone = true;
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/stopped .*virtkit-node-1, virtkit-node-2/);
  expect(hostTraces(s)).toEqual([]);
});
