/**
 * A real kubelet node on this machine (cluster mode's first building block, cli/local/kubelet/):
 * kubelet built from the pinned k8s.io/kubernetes, Debian's containerd and runc, the node's own
 * containerd root, socket, CNI bridge and cgroup root, and a sandbox image built here with umoci.
 * The node registers with the shared control plane as `system:node:<name>` (Node authorizer,
 * NodeRestriction) from its own network namespace (the host DNATs its link to the API server on loopback), and turns Ready; a pod bound to it runs in a container containerd started,
 * with an address from the node's pod CIDR, as the image's user; its log reaches the API
 * server's client (kube-apiserver authenticates to kubelet with its kubelet client certificate,
 * kubelet authorizes it by SubjectAccessReview); deleting the pod stops it.
 *
 * A second node's pod reaches the first node's pod through the host (each node has its own
 * namespace and pod CIDR, routed by the host). The nodes register with a NoSchedule taint so no
 * other suite's pod is scheduled onto them.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RunningKubeletNode } from '../../cli/local/kubelet/node';
import { hostAddressUse } from '../../cli/local/kubelet/host';
import { pickNodeSlots } from '../../cli/local/kubelet/slots';
import { NODE_MOUNTS_DIR } from '../../cli/local/kubelet/node-mounts';
import { buildPauseImage } from '../../cli/local/kubelet/pause-image';
import { installRbac } from '../../cli/local/rbac';
import * as net from 'net';
import { NODES, PODS, type KubeClient } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { kubeletNodeLogs, startTestKubeletNode } from './support/kubelet-node';

const id = randomBytes(3).toString('hex');
const NODE = `it-kubelet-${id}`;
const NS = `kubelet-node-${id}`;
const TAINT = { key: 'virtkit.io/it-kubelet-node', value: 'true', effect: 'NoSchedule' };
// The nodes' links and pod ranges: the first two free slots (10.250.s.0/24 and 10.251.s.0/24),
// so a `virtkit up --runtime kubelet` on this machine keeps its own.
const [SLOT, SLOT2] = pickNodeSlots(2, hostAddressUse());
const { podCidr: POD_CIDR, hostIp: HOST_IP, nodeIp: NODE_IP } = SLOT!;
// A second node, for traffic between nodes.
const NODE2 = `${NODE}-b`;

/** Addresses of a `a.b.c.0/24`. */
const inRange = (cidr: string): RegExp =>
  new RegExp(`^${cidr.replace(/\.0\/24$/, '').replace(/\./g, '\\.')}\\.\\d+$`);

type Obj = Json & { metadata: Json & { name: string }; spec?: Json; status?: Json };

let admin: KubeClient;
let node: RunningKubeletNode | undefined;
let node2: RunningKubeletNode | undefined;
let dir2: string;
let stopped = false;
let dir: string;

const logsOf = (): string => kubeletNodeLogs(dir);

function wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventually(what, probe, { timeoutMs, context: logsOf });
}

/** Whether a TCP connection to host:port is accepted within 3 s. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 3000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('timeout', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
  });
}

/** What a TCP server at host:port says before it closes. */
function exchange(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect({ host, port, timeout: 5000 });
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.once('end', () => resolve(got));
    s.once('timeout', () => (s.destroy(), reject(new Error(`no answer from ${host}:${port}`))));
    s.once('error', reject);
  });
}

/**
 * A pod bound to `nodeName`, tolerating the suite's taint, running the sandbox image with
 * `command`; `out` (a folder of the test) is mounted at /out when given.
 */
async function createPod(
  name: string,
  nodeName: string,
  command: string[] | undefined,
  o: { out?: string; restartPolicy?: string } = {},
): Promise<void> {
  await admin.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      nodeName,
      automountServiceAccountToken: false,
      tolerations: [{ key: TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}),
      containers: [
        {
          name,
          image: node!.sandboxImage,
          imagePullPolicy: 'Never',
          ...(command ? { command } : {}),
          ...(o.out ? { volumeMounts: [{ name: 'out', mountPath: '/out' }] } : {}),
        },
      ],
      ...(o.out ? { volumes: [{ name: 'out', hostPath: { path: o.out, type: 'Directory' } }] } : {}),
    },
  });
}

/** A folder every user may write (the containers run as 65535). */
function outDir(under: string): string {
  const out = path.join(under, 'out');
  fs.mkdirSync(out, { mode: 0o777 });
  fs.chmodSync(out, 0o777);
  return out;
}

beforeAll(async () => {
  admin = await sharedClient();
  // The API server's kubelet client is bound to system:kubelet-api-admin there.
  await installRbac(admin);
  await createNamespace(admin, NS);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kubelet-node-'));
  dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kubelet-node-'));
  node = await startTestKubeletNode({ name: NODE, dir, slot: SLOT!, taint: TAINT });
  node2 = await startTestKubeletNode({ name: NODE2, dir: dir2, slot: SLOT2!, taint: TAINT });
}, 180_000);

afterAll(async () => {
  await deleteNamespace(admin, NS).catch(() => undefined);
  if (!stopped) await node?.stop();
  await node2?.stop();
  await admin.delete(NODES, undefined, NODE).catch(() => undefined);
  await admin.delete(NODES, undefined, NODE2).catch(() => undefined);
  fs.rmSync(dir2, { recursive: true, force: true });
  if (process.env.VIRTKIT_IT_VERBOSE) console.error(logsOf());
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the node registers as a kubelet node on containerd and turns Ready', async () => {
  const n = await wait('the kubelet Node to be Ready', async () => {
    const got = await admin.getIfExists<Obj>(NODES, undefined, NODE);
    const ready = (got?.status?.conditions as { type: string; status: string }[] | undefined)?.find(
      (c) => c.type === 'Ready',
    );
    return ready?.status === 'True' ? got : undefined;
  });
  const info = (n.status as { nodeInfo: Record<string, string> }).nodeInfo;
  expect(info.kubeletVersion).toBe('v1.35.4');
  expect(info.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
  expect((n.spec as { taints?: Json[] }).taints).toEqual(expect.arrayContaining([TAINT]));
  expect((n.status as { addresses: Json[] }).addresses).toEqual(
    expect.arrayContaining([{ type: 'InternalIP', address: NODE_IP }]),
  );
  // kubelet listens in the node's own network namespace, on the node's address only.
  expect(await connects(NODE_IP, 10250)).toBe(true);
  expect(await connects('127.0.0.1', 10250)).toBe(false);
});

test('a pod bound to it runs in a container containerd started, on the node pod network', async () => {
  const out = outDir(dir);
  await createPod(
    'probe',
    NODE,
    [
      '/bin/busybox',
      'sh',
      '-c',
      'id -u > /out/uid; echo started as $(id -u); exec /bin/busybox nc -ll -p 8080 -e /bin/busybox echo pong',
    ],
    { out },
  );
  const pod = await wait('the pod to run', async () => {
    const p = await admin.getIfExists<Obj>(PODS, NS, 'probe');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  const status = pod.status as {
    podIP: string;
    containerStatuses: { containerID: string; ready: boolean }[];
  };
  expect(status.containerStatuses[0]!.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  expect(status.podIP).toMatch(inRange(POD_CIDR));
  // The container ran the image's command as the image's user.
  const uid = await wait('the container to write its uid', async () => {
    const f = path.join(out, 'uid');
    return fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim()
      ? fs.readFileSync(f, 'utf8').trim()
      : undefined;
  });
  expect(uid).toBe('65535');
  // Its log, through the API server, which reaches the kubelet with its own client certificate.
  const log = await admin.get<{ message?: string }>(PODS, NS, 'probe', 'log');
  expect(log.message).toBe('started as 65535\n');
  // The pod is reachable from the host through the node's namespace (the host routes the pod CIDR to it).
  const answer = await wait('the pod to answer on its address', () =>
    exchange(status.podIP, 8080).catch(() => undefined),
  );
  expect(answer).toBe('pong\n');

  // A pod on the second node reaches it: out of its node's namespace, through the host, into
  // the first node's.
  const out2 = outDir(dir2);
  await createPod(
    'caller',
    NODE2,
    ['/bin/busybox', 'sh', '-c', `/bin/busybox nc ${status.podIP} 8080 < /dev/null > /out/reply`],
    {
      out: out2,
      restartPolicy: 'Never',
    },
  );
  const caller = await wait('the caller on the second node to finish', async () => {
    const p = await admin.getIfExists<Obj>(PODS, NS, 'caller');
    const phase = p?.status?.phase;
    return phase === 'Succeeded' || phase === 'Failed' ? p : undefined;
  });
  expect((caller.status as { podIP?: string }).podIP).toMatch(inRange(SLOT2!.podCidr));
  expect(fs.readFileSync(path.join(out2, 'reply'), 'utf8')).toBe('pong\n');
  expect(caller.status?.phase).toBe('Succeeded');

  await admin.delete(PODS, NS, 'probe');
  await wait('the pod to be gone', async () =>
    (await admin.getIfExists(PODS, NS, 'probe')) ? undefined : true,
  );
});

test('the sandbox image is reproducible: the same busybox gives the same digest', () => {
  const a = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-pause-a-'));
  const b = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-pause-b-'));
  try {
    const umoci = '/usr/bin/umoci';
    const first = buildPauseImage(umoci, a, 'check');
    const second = buildPauseImage(umoci, b, 'check');
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.digest).toBe(first.digest);
    expect(fs.readFileSync(second.archive).equals(fs.readFileSync(first.archive))).toBe(true);
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test('stopping the node with a pod still running leaves nothing behind on the host', async () => {
  await createPod('left-running', NODE, undefined);
  await wait('the second pod to run', async () => {
    const p = await admin.getIfExists<Obj>(PODS, NS, 'left-running');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  const namespaces = (): string[] =>
    execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter(Boolean);
  const netnsBefore = namespaces();
  expect(netnsBefore).toContain(node!.netns);
  // The pods' network namespace files (containerd's cni-*) are in the node's own /run/netns (its
  // mount namespace), never among the host's.
  const podNetnsDir = path.join(dir, 'host', 'netns');
  const podNetns = (): string[] => fs.readdirSync(podNetnsDir).filter((n) => n.startsWith('cni-'));
  expect(podNetns().length).toBeGreaterThan(0);
  const hostPodNetns = netnsBefore.filter((n) => n.startsWith('cni-'));
  stopped = true;
  await node!.stop();
  const netnsAfter = namespaces();
  expect(netnsAfter).not.toContain(node!.netns);
  expect(netnsAfter.filter((n) => n.startsWith('cni-') && !hostPodNetns.includes(n))).toEqual([]);
  // None of the node's pods' namespaces is left.
  expect(podNetns()).toEqual([]);
  // Nor its mount namespace.
  expect(fs.existsSync(path.join(NODE_MOUNTS_DIR, NODE))).toBe(false);
  expect(execFileSync('ip', ['route', 'show', POD_CIDR], { encoding: 'utf8' }).trim()).toBe('');
  expect(execFileSync('ip', ['-4', 'addr', 'show', 'to', `${HOST_IP}/32`], { encoding: 'utf8' }).trim()).toBe(
    '',
  );
  for (const h of fs.readdirSync('/sys/fs/cgroup'))
    expect(fs.existsSync(path.join('/sys/fs/cgroup', h, `virtkit-node-${NODE}`))).toBe(false);
  expect(fs.readFileSync('/proc/self/mounts', 'utf8')).not.toContain(dir);
  // The API server's DNAT rule for the node went with it; the second node's stays.
  const rules = execFileSync('iptables', ['-t', 'nat', '-S', 'PREROUTING'], { encoding: 'utf8' });
  expect(rules).not.toContain(`virtkit node ${NODE}: the API server`);
  expect(rules).toContain(`virtkit node ${NODE2}: the API server`);
});
