/**
 * Issue 17: the handler's RBAC (api/install/rbac.ts's HANDLER_RULES) is what it uses. The real
 * `virtkit handler --runtime kubelet` (cluster mode's DaemonSet) runs as a host process with a
 * ServiceAccount token in its kubeconfig, bound to a ClusterRole of this suite's own name, for a
 * Node of this suite that no kubelet runs. Under the full role it turns ready (its Node labelled
 * `kubevirt.io/schedulable=true`, its node API published on the Node with the certificate of a
 * Secret it reads) and, as the node's local volume provisioner, gives a claim of a
 * WaitForFirstConsumer class selected for its node a PersistentVolume with a
 * `ProvisioningSucceeded` Event, and deletes that volume once the claim is gone: never one 403.
 * Then, for every granted verb it uses there, it runs under the role minus that verb and the log
 * names the 403 while the user-visible effect is missing (no ready Node, no endpoint, no volume,
 * no Event, the volume left behind).
 *
 * The process runtime (local mode's handler, which registers its Node, renews its Lease, writes
 * launcher pods' status and Multus's annotation, and runs the snapshotter) is bound to this same
 * role in local mode (cli/local/rbac.ts), so every local-mode e2e suite runs it under exactly these
 * grants; its denial cases are not run here (it would register a Node on the shared control
 * plane). The grants only it or a running guest uses are listed in EXEMPT with the reason, and the
 * last test fails for a grant that has neither a case nor an exemption.
 *
 * While a case runs, this handler serves claims of virtkit's local driver with Immediate binding
 * too (any node may); the suites that make such claims run their own provisioner at once, and
 * jest runs one suite at a time on this machine's two cores.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HANDLER_RULES } from '../../api/install/rbac';
import { HANDLER_ENDPOINT_ANNOTATION } from '../../common/node-api';
import { TestPki } from '../../common/test-pki.test-helper';
import { SCHEDULABLE_LABEL } from '../../handler/node/node-object';
import {
  LOCAL_PROVISIONER,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
} from '../../handler/storage/local-volume-plan';
import {
  CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLES,
  EVENTS,
  NODES,
  PVCS,
  PVS,
  SECRETS,
  SERVICE_ACCOUNTS,
  STORAGE_CLASSES,
  type KubeClient,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { REPO_ROOT } from './support/examples';
import {
  forbiddenIn,
  grantsOf,
  keyOf,
  logMessages,
  RoleUnderTest,
  startComponent,
  stopComponent,
  writeServiceAccountKubeconfig,
  type ComponentProcess,
  type Grant,
} from './support/rbac-denial';

const suffix = randomBytes(3).toString('hex');
const NS = `hrbac-${suffix}`;
const SA = 'virtkit-handler';
const ROLE = `virtkit-it-hrbac-${suffix}`;
const NODE = `hrbac-${suffix}`;
const CLASS = `hrbac-${suffix}`;
const CERT_SECRET = 'handler-certs';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-hrbac-'));
const WAIT_MS = 60_000;
const ALL = grantsOf(HANDLER_RULES);

const PROCESS_RUNTIME =
  'the process runtime (local mode) only; it runs under this role in every local-mode e2e suite';
const GUEST = 'used for a launcher pod kubelet started on the node (a guest), which this suite has none of';
const EXEMPT: Readonly<Record<string, string>> = {
  'list nodes': `${PROCESS_RUNTIME}: the other nodes' Kube-OVN tunnel endpoints`,
  'watch nodes': `${PROCESS_RUNTIME}: the other nodes' Kube-OVN tunnel endpoints`,
  'create nodes': `${PROCESS_RUNTIME}: it registers its Node (kubelet does on a kubelet node)`,
  'patch nodes/status': `${PROCESS_RUNTIME}: its Node's status (kubelet's on a kubelet node)`,
  'create leases.coordination.k8s.io': `${PROCESS_RUNTIME}: its node Lease`,
  'patch leases.coordination.k8s.io': `${PROCESS_RUNTIME}: its node Lease`,
  'delete pods': `${PROCESS_RUNTIME}: the pod object once its processes stopped (kubelet's job on a kubelet node)`,
  'patch pods': `${PROCESS_RUNTIME}: Multus's network-status annotation`,
  'patch pods/status': `${PROCESS_RUNTIME}: a launcher pod's status, as kubelet`,
  'get network-attachment-definitions.k8s.cni.cncf.io': `${PROCESS_RUNTIME}: Multus networks`,
  'get provider-networks.kubeovn.io': `${PROCESS_RUNTIME}: Kube-OVN VLAN underlays`,
  'list volumesnapshotcontents.snapshot.storage.k8s.io': `${PROCESS_RUNTIME}: the snapshotter`,
  'watch volumesnapshotcontents.snapshot.storage.k8s.io': `${PROCESS_RUNTIME}: the snapshotter`,
  'patch volumesnapshotcontents.snapshot.storage.k8s.io': `${PROCESS_RUNTIME}: the snapshotter`,
  'update volumesnapshotcontents/status.snapshot.storage.k8s.io': `${PROCESS_RUNTIME}: the snapshotter`,
  'get volumesnapshotcontents.snapshot.storage.k8s.io':
    'a claim restored from a VolumeSnapshot (the provisioner reads its content)',
  'get volumesnapshots.snapshot.storage.k8s.io': 'a claim restored from a VolumeSnapshot',
  'get virtualmachineinstances.kubevirt.io': `${GUEST}: its VMI read at the hand-off`,
  'patch virtualmachineinstances/status.kubevirt.io': `${GUEST}: the VMI status the handler owns`,
  'get configmaps': `${GUEST}: a configMap or sysprep volume`,
  'get persistentvolumeclaims': `${GUEST}: a claim the VMI names`,
  'get persistentvolumes': `${GUEST}: the volume of a claim the VMI names`,
};

// ---------------------------------------------------------------------------------------------
// The handler process.

type Handler = ComponentProcess;

let admin: KubeClient;
let kubeconfig: string;
let role: RoleUnderTest;

function startHandler(): Handler {
  const state = fs.mkdtempSync(path.join(dir, 'state-'));
  const devicePlugins = path.join(state, 'device-plugins');
  fs.mkdirSync(devicePlugins);
  return startComponent(
    [
      'handler',
      '--runtime',
      'kubelet',
      '--node-name',
      NODE,
      '--kubeconfig',
      kubeconfig,
      '--state-dir',
      state,
      '--device-plugin-dir',
      devicePlugins,
      '--node-api-secret',
      CERT_SECRET,
      '--node-api-secret-namespace',
      NS,
      '--node-api-address',
      '127.0.0.1',
      '--node-api-port',
      '0',
    ],
    dir,
    REPO_ROOT,
  );
}

const stopHandler = stopComponent;

const tail = (h: Handler): string => `handler log:\n${h.output.split('\n').slice(-30).join('\n')}`;

function waitForbidden(h: Handler, g: Grant): Promise<string> {
  return eventually(`a 403 naming ${keyOf(g)} in the handler's log`, async () => forbiddenIn(h.output, g), {
    timeoutMs: WAIT_MS,
    context: () => tail(h),
  });
}

/** The Node as the handler leaves it: its schedulable label and its node API endpoint. */
async function nodeMarks(): Promise<{ schedulable?: string; endpoint?: string }> {
  const n = (await admin.get<Json>(NODES, undefined, NODE)) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  };
  return {
    schedulable: n.metadata?.labels?.[SCHEDULABLE_LABEL],
    endpoint: n.metadata?.annotations?.[HANDLER_ENDPOINT_ANNOTATION],
  };
}

/** Clears what a run left on the Node, so the next run's marks are its own. */
async function resetNode(): Promise<void> {
  await admin.mergePatch(NODES, undefined, NODE, {
    metadata: { labels: { [SCHEDULABLE_LABEL]: null }, annotations: { [HANDLER_ENDPOINT_ANNOTATION]: null } },
  });
}

async function waitReady(h: Handler): Promise<void> {
  await eventually(
    'the Node labelled schedulable and its node API published',
    async () => {
      const m = await nodeMarks();
      return m.schedulable === 'true' && m.endpoint ? true : undefined;
    },
    { timeoutMs: WAIT_MS, context: () => tail(h) },
  );
}

/** Runs the handler under the role minus `denied` (all of it when undefined). */
async function withHandler(denied: Grant | undefined, body: (h: Handler) => Promise<void>): Promise<void> {
  await role.grant(denied);
  await resetNode();
  const h = startHandler();
  try {
    await body(h);
  } finally {
    await stopHandler(h);
  }
}

// ---------------------------------------------------------------------------------------------
// The claim: a WaitForFirstConsumer class of the local driver, a claim selected for this node
// (what the scheduler writes when a pod that uses it is placed there).

let claimCount = 0;

async function makeClaim(): Promise<string> {
  const name = `claim-${++claimCount}`;
  await admin.create(PVCS, NS, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name,
      namespace: NS,
      annotations: { [SELECTED_NODE_ANNOTATION]: NODE, [STORAGE_PROVISIONER_ANNOTATION]: LOCAL_PROVISIONER },
    },
    spec: {
      storageClassName: CLASS,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '16Mi' } },
    },
  });
  return name;
}

async function claimUid(name: string): Promise<string> {
  const c = (await admin.get<Json>(PVCS, NS, name)) as { metadata?: { uid?: string } };
  return c.metadata?.uid ?? '';
}

/** The volume the handler made for a claim (its name is pvc-<claim uid>), if any. */
async function volumeOf(claim: string): Promise<Json | undefined> {
  return admin.getIfExists<Json>(PVS, undefined, `pvc-${await claimUid(claim)}`);
}

async function provisionedEvent(claim: string): Promise<boolean> {
  const events = await admin.list<{ reason?: string; involvedObject?: { name?: string } }>(EVENTS, NS);
  return events.items.some((e) => e.reason === 'ProvisioningSucceeded' && e.involvedObject?.name === claim);
}

/** Deletes a claim and waits for it to go (the volume is then Released, by kube-controller-manager). */
async function dropClaim(claim: string): Promise<string> {
  const volume = `pvc-${await claimUid(claim)}`;
  await admin.delete(PVCS, NS, claim).catch(() => undefined);
  await eventually(
    `claim ${claim} gone`,
    async () => !(await admin.getIfExists(PVCS, NS, claim)) || undefined,
    {
      timeoutMs: WAIT_MS,
    },
  );
  return volume;
}

// ---------------------------------------------------------------------------------------------
// The cases: the grants used at start-up, and the writes of the claim's life.

/** list and watch of the informers the kubelet runtime starts with. */
const STARTUP: readonly string[] = [
  'list kubevirts.kubevirt.io',
  'watch kubevirts.kubevirt.io',
  'list virtualmachineinstances.kubevirt.io',
  'watch virtualmachineinstances.kubevirt.io',
  'list pods',
  'watch pods',
  'list persistentvolumeclaims',
  'watch persistentvolumeclaims',
  'list persistentvolumes',
  'watch persistentvolumes',
  'list storageclasses.storage.k8s.io',
  'watch storageclasses.storage.k8s.io',
];

interface Case {
  /** What the user sees go missing. */
  readonly effect: string;
  readonly run: (h: Handler, g: Grant) => Promise<void>;
}

const CASES: Readonly<Record<string, Case>> = {
  'get nodes': {
    effect: 'the handler refuses to start (it checks its Node exists) and exits 1',
    run: async (h, g) => {
      await waitForbidden(h, g);
      expect(await h.exited).toBe(1);
      expect(await nodeMarks()).toEqual({ schedulable: undefined, endpoint: undefined });
    },
  },
  'patch nodes': {
    effect: 'the Node is never labelled schedulable for launcher pods',
    run: async (h, g) => {
      await waitForbidden(h, g);
      expect((await nodeMarks()).schedulable).toBeUndefined();
    },
  },
  'get secrets': {
    effect: "the node API never starts: no endpoint on the Node for virtkit api's console, VNC, pause",
    run: async (h, g) => {
      await waitForbidden(h, g);
      // The rest of the start goes on: the Node is ready for launcher pods, without an endpoint.
      await eventually(
        'the Node labelled schedulable',
        async () => (await nodeMarks()).schedulable === 'true' || undefined,
        {
          timeoutMs: WAIT_MS,
          context: () => tail(h),
        },
      );
      expect((await nodeMarks()).endpoint).toBeUndefined();
    },
  },
  'create persistentvolumes': {
    effect: 'a claim selected for the node gets no volume',
    run: async (h, g) => {
      const claim = await makeClaim();
      await waitForbidden(h, g);
      expect(await volumeOf(claim)).toBeUndefined();
      await dropClaim(claim);
    },
  },
  'create events': {
    effect: 'the volume is made, but the claim has no ProvisioningSucceeded Event',
    run: async (h, g) => {
      const claim = await makeClaim();
      await eventually('the volume', () => volumeOf(claim), { timeoutMs: WAIT_MS, context: () => tail(h) });
      await waitForbidden(h, g);
      expect(await provisionedEvent(claim)).toBe(false);
      const volume = await dropClaim(claim);
      await eventually(
        'the volume deleted',
        async () => !(await admin.getIfExists(PVS, undefined, volume)) || undefined,
        {
          timeoutMs: WAIT_MS,
        },
      );
    },
  },
  'delete persistentvolumes': {
    effect: 'the Released volume of a deleted claim (reclaim policy Delete) stays',
    run: async (h, g) => {
      const claim = await makeClaim();
      await eventually('the volume', () => volumeOf(claim), { timeoutMs: WAIT_MS, context: () => tail(h) });
      const volume = await dropClaim(claim);
      await waitForbidden(h, g);
      expect(await admin.getIfExists(PVS, undefined, volume)).toBeDefined();
      // Under the full role again, the next handler deletes it.
      await role.grant();
      await eventually(
        'the volume deleted',
        async () => !(await admin.getIfExists(PVS, undefined, volume)) || undefined,
        {
          timeoutMs: WAIT_MS,
          context: () => tail(h),
        },
      );
    },
  },
};

beforeAll(async () => {
  admin = await sharedClient();
  await createNamespace(admin, NS);
  await admin.create(SERVICE_ACCOUNTS, NS, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: SA },
  });
  role = new RoleUnderTest(admin, { name: ROLE, namespace: NS, serviceAccount: SA, rules: HANDLER_RULES });
  await role.grant();
  await admin.create(CLUSTER_ROLE_BINDINGS, undefined, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
    subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }],
  });
  kubeconfig = path.join(dir, 'handler.kubeconfig');
  writeServiceAccountKubeconfig(kubeconfig, NS, SA);
  // A Node no kubelet runs, with the address a kubelet would report.
  await admin.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: NODE, labels: { 'virtkit.io/it': NS } },
  });
  // The node API's certificate Secret, as the api (or cert-manager) makes it.
  const pki = new TestPki().ca('ca').leaf('node', 'virtkit-handler', 'ca', { sans: ['IP:127.0.0.1'] });
  await admin.create(SECRETS, NS, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CERT_SECRET, namespace: NS },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': pki.read('node', 'crt').toString('base64'),
      'tls.key': pki.read('node', 'key').toString('base64'),
      'ca.crt': pki.read('ca', 'crt').toString('base64'),
    },
  });
  pki.remove();
  await admin.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: CLASS },
    provisioner: LOCAL_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  });
}, 120_000);

afterAll(async () => {
  for (const [rt, name] of [
    [CLUSTER_ROLE_BINDINGS, ROLE],
    [CLUSTER_ROLES, ROLE],
    [STORAGE_CLASSES, CLASS],
    [NODES, NODE],
  ] as const)
    await admin.delete(rt, undefined, name).catch(() => undefined);
  const volumes = await admin.list<{ metadata?: { name?: string }; spec?: { storageClassName?: string } }>(
    PVS,
  );
  for (const v of volumes.items.filter((x) => x.spec?.storageClassName === CLASS))
    await admin.delete(PVS, undefined, v.metadata?.name ?? '').catch(() => undefined);
  await deleteNamespace(admin, NS);
  fs.rmSync(dir, { recursive: true, force: true });
});

const shown = new Set<string>();

test('with its full role the handler readies its Node, serves its node API, provisions a claim and deletes its volume, and is never refused', async () => {
  await withHandler(undefined, async (h) => {
    await waitReady(h);
    const claim = await makeClaim();
    const pv = await eventually('the volume', () => volumeOf(claim), {
      timeoutMs: WAIT_MS,
      context: () => tail(h),
    });
    expect(pv).toMatchObject({ spec: { storageClassName: CLASS, persistentVolumeReclaimPolicy: 'Delete' } });
    await eventually(
      'the ProvisioningSucceeded Event',
      async () => (await provisionedEvent(claim)) || undefined,
      {
        timeoutMs: WAIT_MS,
      },
    );
    const volume = await dropClaim(claim);
    await eventually(
      'the volume deleted',
      async () => !(await admin.getIfExists(PVS, undefined, volume)) || undefined,
      {
        timeoutMs: WAIT_MS,
        context: () => tail(h),
      },
    );
    expect(logMessages(h.output).filter((m) => /forbidden|\b403\b/i.test(m))).toEqual([]);
  });
});

describe('without a verb it lists or watches at start-up', () => {
  test.each(STARTUP.map((k) => [k] as const))('%s: a 403 naming it', async (key) => {
    const g = ALL.find((x) => keyOf(x) === key);
    expect(g).toBeDefined();
    await withHandler(g, async (h) => {
      const line = await waitForbidden(h, g!);
      expect(line).toContain(kubeconfig);
    });
    shown.add(key);
  });
});

describe('without a verb it writes or reads, what the user sees goes missing', () => {
  test.each(Object.entries(CASES).map(([k, c]) => [k, c.effect, c] as const))(
    '%s: %s',
    async (key, _effect, c) => {
      const g = ALL.find((x) => keyOf(x) === key);
      expect(g).toBeDefined();
      await withHandler(g, (h) => c.run(h, g!));
      shown.add(key);
    },
  );
});

test('every granted verb was shown to be needed, or is exempt with a reason', () => {
  const cases = new Set([...STARTUP, ...Object.keys(CASES)]);
  const granted = new Set(ALL.map(keyOf));
  expect([...cases, ...Object.keys(EXEMPT)].filter((k) => !granted.has(k))).toEqual([]);
  expect([...cases].filter((k) => k in EXEMPT)).toEqual([]);
  expect(ALL.map(keyOf).filter((k) => !shown.has(k) && !(k in EXEMPT))).toEqual([]);
});
