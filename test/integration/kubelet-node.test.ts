/**
 * A real kubelet node on this machine (cluster mode's first building block, cli/local/kubelet/):
 * kubelet built from the pinned k8s.io/kubernetes, Debian's containerd and runc, the node's own
 * containerd root, socket, CNI bridge and cgroup root, and a sandbox image built here with umoci.
 * The node registers with the shared control plane as `system:node:<name>` (Node authorizer,
 * NodeRestriction) and turns Ready; a pod bound to it runs in a container containerd started,
 * with an address from the node's pod CIDR, as the image's user; its log reaches the API
 * server's client (kube-apiserver authenticates to kubelet with its kubelet client certificate,
 * kubelet authorizes it by SubjectAccessReview); deleting the pod stops it.
 *
 * The node registers with a NoSchedule taint so no other suite's pod is scheduled onto it.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { layout } from '../../cli/local/layout';
import { hostNodeAddress } from '../../cli/local/kubelet/host';
import { startKubeletNode, type RunningKubeletNode } from '../../cli/local/kubelet/node';
import { buildPauseImage } from '../../cli/local/kubelet/pause-image';
import { issueNodeClientCertificate } from '../../cli/local/pki';
import { installRbac } from '../../cli/local/rbac';
import { reservePorts } from '../../cli/local/ports';
import { NODES, PODS, type KubeClient } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { readShared } from './support/shared-controlplane';

const id = randomBytes(3).toString('hex');
const NODE = `it-kubelet-${id}`;
const NS = `kubelet-node-${id}`;
const TAINT = { key: 'virtkit.io/it-kubelet-node', value: 'true', effect: 'NoSchedule' };
const POD_CIDR = '10.251.7.0/24';

type Obj = Json & { metadata: Json & { name: string }; spec?: Json; status?: Json };

let admin: KubeClient;
let node: RunningKubeletNode | undefined;
let dir: string;

const logsOf = (): string => {
  const read = (f: string): string => {
    try {
      return fs
        .readFileSync(path.join(dir, 'logs', f), 'utf8')
        .split('\n')
        .slice(-25)
        .join('\n');
    } catch {
      return '(none)';
    }
  };
  return `kubelet:\n${read('kubelet.log')}\ncontainerd:\n${read('containerd.log')}`;
};

function wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  return eventually(what, probe, { timeoutMs, context: logsOf });
}

beforeAll(async () => {
  admin = await sharedClient();
  // The API server's kubelet client is bound to system:kubelet-api-admin there.
  await installRbac(admin);
  await createNamespace(admin, NS);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kubelet-node-'));
  const shared = readShared();
  const pki = layout(shared.stateDir).pkiDir;
  const client = await issueNodeClientCertificate(pki, NODE);
  const { port } = await reservePorts({ port: undefined });
  node = await startKubeletNode({
    name: NODE,
    ip: hostNodeAddress(),
    podCidr: POD_CIDR,
    dir,
    apiServer: shared.server,
    caFile: path.join(pki, 'ca.crt'),
    clientCert: client.cert,
    clientKey: client.key,
    cniBinDir: '/usr/lib/cni',
    kubeletPort: port,
    registerWithTaints: [TAINT],
  });
}, 180_000);

afterAll(async () => {
  await deleteNamespace(admin, NS).catch(() => undefined);
  await node?.stop();
  await admin.delete(NODES, undefined, NODE).catch(() => undefined);
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
    expect.arrayContaining([{ type: 'InternalIP', address: hostNodeAddress() }]),
  );
});

test('a pod bound to it runs in a container containerd started, on the node pod network', async () => {
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { mode: 0o777 });
  fs.chmodSync(out, 0o777);
  await admin.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace: NS },
    spec: {
      nodeName: NODE,
      automountServiceAccountToken: false,
      tolerations: [{ key: TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'probe',
          image: node!.sandboxImage,
          imagePullPolicy: 'Never',
          command: [
            '/bin/busybox',
            'sh',
            '-c',
            'id -u > /out/uid; echo started as $(id -u); exec /bin/busybox sleep 3600',
          ],
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
        },
      ],
      volumes: [{ name: 'out', hostPath: { path: out, type: 'Directory' } }],
    },
  });
  const pod = await wait('the pod to run', async () => {
    const p = await admin.getIfExists<Obj>(PODS, NS, 'probe');
    return p?.status?.phase === 'Running' ? p : undefined;
  });
  const status = pod.status as {
    podIP: string;
    containerStatuses: { containerID: string; ready: boolean }[];
  };
  expect(status.containerStatuses[0]!.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
  expect(status.podIP).toMatch(/^10\.251\.7\.\d+$/);
  // The container ran the image's command as the image's user.
  const uid = await wait('the container to write its uid', async () => {
    const f = path.join(out, 'uid');
    return fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim()
      ? fs.readFileSync(f, 'utf8').trim()
      : undefined;
  });
  expect(uid).toBe('65535');
  // Its log, through the API server, which reaches the kubelet with its own client certificate.
  const log = await admin.getPath<{ message?: string }>(`/api/v1/namespaces/${NS}/pods/probe/log`);
  expect(log.message).toBe('started as 65535\n');

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
