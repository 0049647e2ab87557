/**
 * Issue 17: `virtkit api`'s RBAC (api/install/rbac.ts's API_RULES) is exactly what it uses. The
 * real `virtkit api` runs as a host process with a ServiceAccount token in its kubeconfig (as its
 * Deployment runs it), bound to a ClusterRole of this suite's own name. Under the full role every
 * request below gets its normal answer; then, for each granted (verb, resource), the role loses
 * that one verb and the request that needs it gets an answer naming the API server's refusal
 * (`cannot <verb> resource "<resource>"`), which is what the user of that request sees: the
 * subresource API's Status, the admission webhook's denial, the upload or export proxy's error.
 * The KubeVirt object's list and watch are used at start-up (the feature gates), so those two
 * cases start the api under the reduced role. The last test checks that every granted verb had a
 * case, so a grant added without a use (or a use without a grant) fails here.
 *
 * Requests go straight to the api's port, as kube-apiserver sends them: subresources with the
 * shared control plane's front-proxy client certificate and X-Remote-User headers, admission as
 * AdmissionReview POSTs, uploads with a token signed by this api's key. Nothing is registered
 * cluster-wide (no APIService, no webhook configuration), so other suites are not disturbed; the
 * one cluster-scoped object it makes are its own cluster instancetype and preference, a Node
 * object no kubelet runs (never Ready, never scheduled to), and a Kube-OVN Subnet for this
 * suite's namespace only.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { API_RULES } from '../../api/install/rbac';
import { POD_PHASE_ANNOTATION, UPLOAD_REQUEST_ANNOTATION } from '../../api/cdi/worker-pod';
import { EXPORT_PROXY_PREFIX } from '../../apiserver/export/proxy';
import { signUploadToken } from '../../apiserver/upload/token';
import { apiNodeClientArgs, apiServingArgs, apiServingFiles } from '../../cli/local/components';
import { layout } from '../../cli/local/layout';
import { reservePorts } from '../../cli/local/ports';
import {
  CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLES,
  KUBE_OVN_SUBNETS,
  NODES,
  objectPath,
  PODS,
  PVCS,
  ROLE_BINDINGS,
  SERVICE_ACCOUNTS,
  SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES,
  SUBRESOURCE_VIRTUAL_MACHINES,
  VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES,
  VIRTUAL_MACHINE_CLUSTER_PREFERENCES,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINE_INSTANCETYPES,
  VIRTUAL_MACHINE_PREFERENCES,
  VIRTUAL_MACHINES,
  type KubeClient,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { REPO_ROOT } from './support/examples';
import {
  grantsOf,
  keyOf,
  RoleUnderTest,
  writeServiceAccountKubeconfig,
  type Grant,
  startComponent,
  stopComponent,
  type ComponentProcess,
} from './support/rbac-denial';
import { readShared } from './support/shared-controlplane';

const suffix = randomBytes(3).toString('hex');
const NS = `arbac-${suffix}`;
const SA = 'virtkit-api';
const ROLE = `virtkit-it-arbac-${suffix}`;
const NODE = `arbac-node-${suffix}`;
const CLUSTER_TYPE = `arbac-${suffix}`;
const SUBNET = `arbac-${suffix}`;
/** A /24 of 10.251.0.0/16 of this suite's own, its fixed address .10. */
const OCTET = parseInt(suffix.slice(0, 2), 16);
const CIDR = `10.251.${OCTET}.0/24`;
const FIXED_IP = `10.251.${OCTET}.10`;
const LAUNCHER_POD = 'virt-launcher-running-x7k2p';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-arbac-'));
const WAIT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Grants (support/rbac-denial.ts, shared with component-rbac.test.ts).

const ALL = grantsOf(API_RULES);
const grantOf = (key: string): Grant => {
  const g = ALL.find((x) => keyOf(x) === key);
  if (!g) throw new Error(`API_RULES grant no ${key}`);
  return g;
};

/** The API server's words for a refused request of `g`, as every answer below carries them. */
const refusalOf = (g: Grant): string => `cannot ${g.verb} resource "${g.resource}"`;

/** Every string of a JSON answer (a Status, an admission response), one per line; else the text. */
function words(text: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  try {
    walk(JSON.parse(text));
    return out.join('\n');
  } catch {
    return text;
  }
}

let admin: KubeClient;
let kubeconfig: string;
const keyFile = path.join(dir, 'upload-token.key');
const uploadKey = randomBytes(32);
let role: RoleUnderTest;
const grant = (denied?: Grant): Promise<void> => role.grant(denied);

// ---------------------------------------------------------------------------------------------
// The api process.

type Api = ComponentProcess & { readonly port: number };

const l = () => layout(readShared().stateDir);

async function startApi(): Promise<Api> {
  const { port } = await reservePorts({ port: undefined });
  const serving = apiServingArgs(l(), port);
  // This suite's own upload token key (the shared one belongs to local mode's api).
  serving[serving.indexOf('--upload-token-key-file') + 1] = keyFile;
  const c = startComponent(
    ['api', '--kubeconfig', kubeconfig, ...serving, ...apiNodeClientArgs(l()), '--log-level', 'debug'],
    dir,
    REPO_ROOT,
  );
  return Object.assign(c, { port });
}

const tail = (api: Api): string => `virtkit api's log:\n${api.output.split('\n').slice(-30).join('\n')}`;

async function waitServing(api: Api): Promise<void> {
  await eventually(
    'virtkit api to serve, with the request-header configuration read',
    async () => {
      if (api.child.exitCode !== null)
        throw new Error(`virtkit api exited ${api.child.exitCode}\n${tail(api)}`);
      return api.output.includes('serving admission') &&
        api.output.includes('request-header authentication configured')
        ? true
        : undefined;
    },
    { timeoutMs: WAIT_MS, context: () => tail(api) },
  );
}

const stopApi = stopComponent;

// ---------------------------------------------------------------------------------------------
// Requests, as the API server (or an upload/export client) sends them.

interface Answer {
  readonly status: number;
  readonly text: string;
}

let api: Api;

function request(
  method: string,
  pathname: string,
  options: { body?: unknown; headers?: Record<string, string>; frontProxy?: boolean } = {},
): Promise<Answer> {
  const body = options.body === undefined ? '' : JSON.stringify(options.body);
  const pki = l().pkiDir;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: api.port,
        method,
        path: pathname,
        ca: fs.readFileSync(apiServingFiles(l()).ca),
        ...(options.frontProxy === false
          ? {}
          : {
              cert: fs.readFileSync(path.join(pki, 'front-proxy-client.crt')),
              key: fs.readFileSync(path.join(pki, 'front-proxy-client.key')),
            }),
        headers: {
          ...(options.frontProxy === false
            ? {}
            : { 'X-Remote-User': 'arbac-admin', 'X-Remote-Group': 'system:masters' }),
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          ...options.headers,
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from virtkit api to ${method} ${pathname}`)));
    req.end(body);
  });
}

const vmPath = (vm: string, verb: string): string => objectPath(SUBRESOURCE_VIRTUAL_MACHINES, NS, vm, verb);
const vmiPath = (vmi: string, verb: string): string =>
  objectPath(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, NS, vmi, verb);
const DRY_RUN = { dryRun: ['All'] };

/** An AdmissionReview of `object` (CREATE by a cluster admin) to `webhookPath`; the answer is its response. */
async function review(
  object: Json,
  resource: { group: string; version: string; resource: string },
  extra: Json = {},
  webhookPath = '/validate',
): Promise<Answer> {
  const [group, version] = String(object.apiVersion).includes('/')
    ? String(object.apiVersion).split('/')
    : ['', String(object.apiVersion)];
  const r = await request('POST', webhookPath, {
    frontProxy: false,
    body: {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: randomBytes(8).toString('hex'),
        kind: { group, version, kind: object.kind },
        resource,
        namespace: NS,
        name: (object.metadata as Json | undefined)?.name,
        operation: 'CREATE',
        userInfo: { username: 'arbac-admin', groups: ['system:masters', 'system:authenticated'] },
        object,
        dryRun: false,
        ...extra,
      },
    },
  });
  const response = (JSON.parse(r.text) as { response?: Json }).response ?? {};
  return { status: r.status, text: JSON.stringify(response) };
}

const allowedReview = (a: Answer): boolean => (JSON.parse(a.text) as { allowed?: boolean }).allowed === true;

// ---------------------------------------------------------------------------------------------
// The cases: for each grant, the request that needs it and its answer under the full role.

interface Case {
  readonly what: string;
  run(): Promise<Answer>;
  /** The answer under the full role (the request did what it does when nothing is refused). */
  ok(a: Answer): boolean;
}

const startHalted: Case = {
  what: 'start of a Halted VM (dry run)',
  run: () => request('PUT', vmPath('halted', 'start'), { body: DRY_RUN }),
  ok: (a) => a.status === 202,
};
const pauseRunning: Case = {
  what: "pause of a Running VMI (reads the VMI, then its Node's handler endpoint)",
  // Not a dry run: that is answered before the node is asked. Nothing runs there to pause.
  run: () => request('PUT', vmiPath('running', 'pause'), { body: {} }),
  // The Node is this suite's, with no handler behind it.
  ok: (a) => a.status === 503 && a.text.includes(`the handler of node ${NODE} publishes no endpoint`),
};
const expandSpec = (vm: string): Case => ({
  what: `expand-spec of VM ${vm}`,
  run: () => request('GET', vmPath(vm, 'expand-spec')),
  ok: (a) => a.status === 200 && (JSON.parse(a.text) as Json).kind === 'VirtualMachine',
});
const kubeOvnAddress: Case = {
  what: 'admission of a VM with a fixed Kube-OVN address',
  run: () =>
    review(
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachine',
        metadata: { name: 'fixed', namespace: NS },
        spec: {
          runStrategy: 'Halted',
          template: {
            metadata: {
              annotations: {
                'ovn.kubernetes.io/logical_switch': SUBNET,
                'ovn.kubernetes.io/ip_address': FIXED_IP,
              },
            },
            spec: { domain: { memory: { guest: '64Mi' }, devices: {} } },
          },
        },
      },
      { group: 'kubevirt.io', version: 'v1', resource: 'virtualmachines' },
    ),
  ok: allowedReview,
};
const uploadTo = (claim: string): Case => ({
  what: `an upload to PVC ${claim} (the proxy reads the claim, then its upload pod)`,
  run: () =>
    request('POST', '/v1beta1/upload', {
      frontProxy: false,
      headers: { Authorization: `Bearer ${signUploadToken(uploadKey, { namespace: NS, name: claim })}` },
    }),
  ok: (a) => a.status === 503 && a.text.includes('already finished uploading'),
});

const CASES: Readonly<Record<string, Case>> = {
  'get virtualmachines.kubevirt.io': startHalted,
  'patch virtualmachines.kubevirt.io': startHalted,
  'get virtualmachineinstances.kubevirt.io': pauseRunning,
  'get nodes': pauseRunning,
  'patch virtualmachines/status.kubevirt.io': {
    what: 'start of a Manual VM (a Start request in status.stateChangeRequests; dry run)',
    run: () => request('PUT', vmPath('manual', 'start'), { body: DRY_RUN }),
    ok: (a) => a.status === 202,
  },
  'patch virtualmachineinstances.kubevirt.io': {
    what: "stop with a grace period (the VMI's terminationGracePeriodSeconds first; dry run)",
    run: () => request('PUT', vmPath('running', 'stop'), { body: { ...DRY_RUN, gracePeriod: 5 } }),
    ok: (a) => a.status === 202,
  },
  'get virtualmachineinstancetypes.instancetype.kubevirt.io': expandSpec('typed'),
  'get virtualmachinepreferences.instancetype.kubevirt.io': expandSpec('typed'),
  'get virtualmachineclusterinstancetypes.instancetype.kubevirt.io': expandSpec('cluster-typed'),
  'get virtualmachineclusterpreferences.instancetype.kubevirt.io': expandSpec('cluster-typed'),
  'create subjectaccessreviews.authorization.k8s.io': {
    what: 'admission of a DataVolume cloning from another namespace',
    run: () =>
      review(
        {
          apiVersion: 'cdi.kubevirt.io/v1beta1',
          kind: 'DataVolume',
          metadata: { name: 'cross', namespace: NS },
          spec: {
            source: { pvc: { namespace: 'default', name: 'golden' } },
            storage: { resources: { requests: { storage: '64Mi' } } },
          },
        },
        { group: 'cdi.kubevirt.io', version: 'v1beta1', resource: 'datavolumes' },
      ),
    ok: allowedReview,
  },
  'list subnets.kubeovn.io': kubeOvnAddress,
  'list ips.kubeovn.io': kubeOvnAddress,
  'list ippools.kubeovn.io': kubeOvnAddress,
  'list virtualmachinerestores.snapshot.kubevirt.io': {
    what: 'admission of a VirtualMachineRestore (one at a time per target)',
    run: () =>
      review(
        {
          apiVersion: 'snapshot.kubevirt.io/v1beta1',
          kind: 'VirtualMachineRestore',
          metadata: { name: 'restore', namespace: NS },
          spec: {
            target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'halted' },
            virtualMachineSnapshotName: 'snap',
          },
        },
        { group: 'snapshot.kubevirt.io', version: 'v1beta1', resource: 'virtualmachinerestores' },
      ),
    ok: allowedReview,
  },
  'list virtualmachineinstancemigrations.kubevirt.io': {
    what: 'admission of a VirtualMachineInstanceMigration (one at a time per VMI)',
    run: () =>
      review(
        {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { name: 'move', namespace: NS },
          spec: { vmiName: 'running' },
        },
        { group: 'kubevirt.io', version: 'v1', resource: 'virtualmachineinstancemigrations' },
      ),
    ok: allowedReview,
  },
  'create virtualmachineinstancemigrations.kubevirt.io': {
    what: 'migrate of a running VM (dry run)',
    run: () => request('PUT', vmPath('running', 'migrate'), { body: DRY_RUN }),
    ok: (a) => a.status === 202,
  },
  'patch virtualmachineinstances/status.kubevirt.io': {
    what: 'the eviction of a LiveMigrate launcher pod (the VMI marked for evacuation; dry run)',
    run: () =>
      review(
        {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: LAUNCHER_POD, namespace: NS },
          deleteOptions: { dryRun: ['All'] },
        },
        { group: '', version: 'v1', resource: 'pods' },
        { subResource: 'eviction', dryRun: true },
        '/pod-eviction',
      ),
    ok: (a) => a.text.includes('Eviction triggered evacuation'),
  },
  'get persistentvolumeclaims': uploadTo('uploaded'),
  'get pods': uploadTo('uploaded'),
  'get virtualmachineexports.export.kubevirt.io': {
    what: 'a download through the export proxy',
    run: () =>
      request(
        'GET',
        [
          EXPORT_PROXY_PREFIX,
          'namespaces',
          NS,
          'virtualmachineexports',
          'none',
          'volumes',
          'none',
          'disk.img',
        ].join('/'),
        { frontProxy: false },
      ),
    // No such export: the proxy says so, after reading it.
    ok: (a) => a.status === 404,
  },
};

/** The KubeVirt object's verbs, used when the api starts (the feature gates' informer). */
const STARTUP = ['list kubevirts.kubevirt.io', 'watch kubevirts.kubevirt.io'];

// ---------------------------------------------------------------------------------------------
// The suite's objects.

async function createObjects(): Promise<void> {
  const vm = (name: string, spec: Json): Json => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: { template: { spec: { domain: { memory: { guest: '64Mi' }, devices: {} } } }, ...spec },
  });
  await admin.create(VIRTUAL_MACHINES, NS, vm('halted', { runStrategy: 'Halted' }));
  await admin.create(VIRTUAL_MACHINES, NS, vm('manual', { runStrategy: 'Manual' }));
  await admin.create(VIRTUAL_MACHINES, NS, vm('running', { runStrategy: 'Always' }));
  const typed = (name: string, cluster: boolean): Json => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: {
      runStrategy: 'Halted',
      instancetype: {
        kind: cluster ? 'VirtualMachineClusterInstancetype' : 'VirtualMachineInstancetype',
        name: cluster ? CLUSTER_TYPE : 'small',
      },
      preference: {
        kind: cluster ? 'VirtualMachineClusterPreference' : 'VirtualMachinePreference',
        name: cluster ? CLUSTER_TYPE : 'pref',
      },
      template: { spec: { domain: { devices: {} } } },
    },
  });
  await admin.create(VIRTUAL_MACHINES, NS, typed('typed', false));
  await admin.create(VIRTUAL_MACHINES, NS, typed('cluster-typed', true));
  const instancetype = (kind: string, name: string, namespaced: boolean): Json => ({
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind,
    metadata: { name, ...(namespaced ? { namespace: NS } : {}) },
    spec: { cpu: { guest: 1 }, memory: { guest: '64Mi' } },
  });
  const preference = (kind: string, name: string, namespaced: boolean): Json => ({
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind,
    metadata: { name, ...(namespaced ? { namespace: NS } : {}) },
    spec: { devices: { preferredDiskBus: 'virtio' } },
  });
  await admin.create(
    VIRTUAL_MACHINE_INSTANCETYPES,
    NS,
    instancetype('VirtualMachineInstancetype', 'small', true),
  );
  await admin.create(
    VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES,
    undefined,
    instancetype('VirtualMachineClusterInstancetype', CLUSTER_TYPE, false),
  );
  await admin.create(VIRTUAL_MACHINE_PREFERENCES, NS, preference('VirtualMachinePreference', 'pref', true));
  await admin.create(
    VIRTUAL_MACHINE_CLUSTER_PREFERENCES,
    undefined,
    preference('VirtualMachineClusterPreference', CLUSTER_TYPE, false),
  );

  // A Node no kubelet runs (no handler endpoint) and the running VM's VMI on it, live-migratable.
  await admin.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE } });
  await admin.create(VIRTUAL_MACHINE_INSTANCES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'running', namespace: NS },
    spec: { evictionStrategy: 'LiveMigrate', domain: { memory: { guest: '64Mi' }, devices: {} } },
  });
  await admin.jsonPatch(
    VIRTUAL_MACHINE_INSTANCES,
    NS,
    'running',
    [
      {
        op: 'add',
        path: '/status',
        value: {
          phase: 'Running',
          nodeName: NODE,
          conditions: [{ type: 'LiveMigratable', status: 'True' }],
        },
      },
    ],
    { subresource: 'status' },
  );
  // (Pods wait for the namespace's default ServiceAccount.)
  await eventually('the default ServiceAccount', () => admin.getIfExists(SERVICE_ACCOUNTS, NS, 'default'));
  // Its launcher pod, bound to that Node (it never runs; it tolerates the Node's taints).
  await admin.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: LAUNCHER_POD,
      namespace: NS,
      labels: { 'kubevirt.io': 'virt-launcher' },
      annotations: { 'kubevirt.io/domain': 'running' },
    },
    spec: {
      nodeName: NODE,
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'compute', image: 'registry.invalid/none:1' }],
    },
  });
  // A claim whose upload finished (the proxy reads it and its pod, then refuses at once).
  await admin.create(PVCS, NS, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: 'uploaded',
      namespace: NS,
      annotations: { [UPLOAD_REQUEST_ANNOTATION]: '', [POD_PHASE_ANNOTATION]: 'Succeeded' },
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: `none-${suffix}`,
      resources: { requests: { storage: '1Mi' } },
    },
  });
  // A Subnet for this namespace only, so admission of a fixed address reads the IPs and pools.
  await admin.create(KUBE_OVN_SUBNETS, undefined, {
    apiVersion: 'kubeovn.io/v1',
    kind: 'Subnet',
    metadata: { name: SUBNET },
    spec: {
      protocol: 'IPv4',
      cidrBlock: CIDR,
      gateway: `10.251.${OCTET}.1`,
      namespaces: [NS],
      provider: 'ovn',
    },
  });
}

beforeAll(async () => {
  admin = await sharedClient();
  role = new RoleUnderTest(admin, { name: ROLE, namespace: NS, serviceAccount: SA, rules: API_RULES });
  fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
  fs.writeFileSync(keyFile, `${uploadKey.toString('hex')}\n`, { mode: 0o600 });
  await createNamespace(admin, NS);
  await admin.create(SERVICE_ACCOUNTS, NS, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: SA },
  });
  const subjects = [{ kind: 'ServiceAccount', name: SA, namespace: NS }];
  await admin.create(CLUSTER_ROLE_BINDINGS, undefined, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: ROLE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
    subjects,
  });
  // What the install binds besides the ClusterRole (NAMESPACED_ROLES): the front-proxy settings.
  await admin.create(ROLE_BINDINGS, 'kube-system', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: ROLE, namespace: 'kube-system' },
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'extension-apiserver-authentication-reader',
    },
    subjects,
  });
  kubeconfig = path.join(dir, 'api.kubeconfig');
  writeServiceAccountKubeconfig(kubeconfig, NS, SA);
  await createObjects();
  await grant();
  api = await startApi();
  await waitServing(api);
}, 180_000);

afterAll(async () => {
  await stopApi(api);
  for (const [rt, name] of [
    [CLUSTER_ROLE_BINDINGS, ROLE],
    [CLUSTER_ROLES, ROLE],
    [VIRTUAL_MACHINE_CLUSTER_INSTANCETYPES, CLUSTER_TYPE],
    [VIRTUAL_MACHINE_CLUSTER_PREFERENCES, CLUSTER_TYPE],
    [KUBE_OVN_SUBNETS, SUBNET],
    [NODES, NODE],
  ] as const)
    await admin.delete(rt, undefined, name).catch(() => undefined);
  await admin.delete(ROLE_BINDINGS, 'kube-system', ROLE).catch(() => undefined);
  await admin.delete(PODS, NS, LAUNCHER_POD, { gracePeriodSeconds: 0 }).catch(() => undefined);
  await deleteNamespace(admin, NS);
  fs.rmSync(dir, { recursive: true, force: true });
});

const shown = new Set<string>();

test('with its full role every request gets its normal answer, and the api is never refused', async () => {
  await grant();
  for (const [key, c] of Object.entries(CASES)) {
    const a = await c.run();
    expect({ key, what: c.what, ok: c.ok(a), answer: a }).toEqual({ key, what: c.what, ok: true, answer: a });
  }
  expect(api.output).not.toMatch(/cannot \w+ resource/);
});

describe('without one verb, the request that needs it answers with the refusal', () => {
  test.each(Object.entries(CASES).map(([key, c]) => [key, c.what, c] as const))(
    '%s: %s',
    async (key, _what, c) => {
      const g = grantOf(key);
      await grant(g);
      const a = await c.run();
      expect(c.ok(a)).toBe(false);
      expect(words(a.text)).toContain(refusalOf(g));
      // The api itself is fine: with the verb back, the same request is answered normally.
      await grant();
      const back = await c.run();
      expect({ ok: c.ok(back), answer: back }).toEqual({ ok: true, answer: back });
      shown.add(key);
    },
  );
});

describe('without a verb the api uses when it starts (the feature gates)', () => {
  beforeAll(() => stopApi(api));

  test('list kubevirts: the api exits 1 with a fatal line naming it', async () => {
    const g = grantOf('list kubevirts.kubevirt.io');
    await grant(g);
    const denied = await startApi();
    try {
      expect(await denied.exited).toBe(1);
      const fatal = denied.output.split('\n').find((line) => line.includes('"level":"fatal"'));
      expect(words(fatal ?? '')).toContain(refusalOf(g));
      expect(denied.output).not.toContain('serving admission');
    } finally {
      await stopApi(denied);
    }
    shown.add(keyOf(g));
  });

  test('watch kubevirts: the refused watch is logged (a change of the feature gates would never arrive)', async () => {
    const g = grantOf('watch kubevirts.kubevirt.io');
    await grant(g);
    const denied = await startApi();
    try {
      await eventually(
        'a refused watch of KubeVirt objects in the log',
        // A refused watch carries no words of the server's: virtkit's own name the verb.
        async () =>
          denied.output.includes('may not watch kubevirts.kubevirt.io in all namespaces') ? true : undefined,
        { timeoutMs: WAIT_MS, context: () => tail(denied) },
      );
    } finally {
      await stopApi(denied);
    }
    shown.add(keyOf(g));
  });
});

test('every granted verb was shown to be needed', () => {
  const covered = new Set([...Object.keys(CASES), ...STARTUP]);
  const granted = new Set(ALL.map(keyOf));
  // No case for a verb the role no longer grants.
  expect([...covered].filter((k) => !granted.has(k))).toEqual([]);
  // Every grant: its denial showed the failure.
  expect(ALL.map(keyOf).filter((k) => !shown.has(k))).toEqual([]);
});
