/**
 * Admission on the real kube-apiserver: `virtkit api` serves the validating webhook, registered
 * with failurePolicy Fail. Invalid objects are refused with every problem and its field, valid
 * ones are stored unchanged, a refused update leaves the stored object as it was, and with the
 * webhook down nothing is stored unchecked. Scoped to one labelled namespace so the other
 * suites sharing this control plane are not affected.
 */
import { randomBytes } from 'crypto';
import { webhookConfiguration } from '../../apiserver/admission/webhook-configuration';
import {
  DATA_VOLUMES,
  KubeApiError,
  KUBEVIRTS,
  NAMESPACES,
  VALIDATING_WEBHOOK_CONFIGURATIONS,
  VIRTUAL_MACHINES,
  type KubeClient,
} from '../../kube';
import { deleteNamespace, sharedClient, type Json } from './support/api';
import { kubectl } from './support/kubectl';
import { startVirtkitApi, type RunningVirtkitApi } from './support/virtkit-api';

const suffix = randomBytes(3).toString('hex');
const NS = `admission-${suffix}`;
const WEBHOOK = `virtkit-validator-it-${suffix}`;
/** Where the clone tests' golden claims live (outside the webhook's scope: nothing is created there but RBAC). */
const SRC = `admission-src-${suffix}`;
const USER = `clone-user-${suffix}`;
let client: KubeClient;
let api: RunningVirtkitApi;

function vm(name: string, patch: { runStrategy?: string; disk?: string } = {}): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: {
      runStrategy: patch.runStrategy ?? 'Halted',
      template: {
        spec: {
          domain: {
            memory: { guest: '128Mi' },
            devices: { disks: [{ name: patch.disk ?? 'root', disk: { bus: 'virtio' } }] },
          },
          volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } }],
        },
      },
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('the API server stored an object admission should have refused');
}

beforeAll(async () => {
  client = await sharedClient();
  api = await startVirtkitApi({ logLevel: 'debug' });
  await client.create(NAMESPACES, undefined, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: NS, labels: { 'virtkit.io/admission-test': suffix } },
  });
  await client.create(
    VALIDATING_WEBHOOK_CONFIGURATIONS,
    undefined,
    webhookConfiguration({
      name: WEBHOOK,
      caBundlePem: api.caPem,
      url: api.url,
      namespaceSelector: { matchLabels: { 'virtkit.io/admission-test': suffix } },
    }),
  );
  // The API server picks new webhook configurations up within a moment: wait until one refuses.
  const ready = Date.now() + 30_000;
  for (;;) {
    try {
      await client.create(VIRTUAL_MACHINES, NS, vm('probe', { disk: 'data' }), { dryRun: true });
    } catch (err) {
      if (err instanceof KubeApiError && /denied the request/.test(err.message)) break;
    }
    if (Date.now() > ready) throw new Error('the webhook never started refusing');
    await new Promise((r) => setTimeout(r, 250));
  }
});

afterAll(async () => {
  await client.delete(VALIDATING_WEBHOOK_CONFIGURATIONS, undefined, WEBHOOK).catch(() => undefined);
  if (api.process.exitCode === null) api.process.kill('SIGTERM');
  await deleteNamespace(client, NS);
  await deleteNamespace(client, SRC);
});

test('an invalid VirtualMachine is refused with every problem and its field', async () => {
  // A disk without its volume and a volume without its disk: KubeVirt's rules, not the schema's.
  const err = await refusal(client.create(VIRTUAL_MACHINES, NS, vm('bad', { disk: 'data' })));
  expect(err.message).toContain('denied the request');
  expect(err.message).toContain(`VirtualMachine ${NS}/bad is invalid`);
  expect(err.message).toContain(
    "spec.template.spec.domain.devices.disks[0].name: spec.template.spec.domain.devices.disks[0].Name 'data' not found",
  );
  expect(err.message).toContain(
    "spec.template.spec.volumes[0].name: spec.template.spec.volumes[0].name 'root' not found",
  );
  expect(await client.getIfExists(VIRTUAL_MACHINES, NS, 'bad')).toBeUndefined();
});

test('a valid one is stored unchanged (admission never mutates)', async () => {
  const sent = vm('good');
  const stored = await client.create<Json>(VIRTUAL_MACHINES, NS, sent);
  expect(stored.spec).toEqual(sent.spec);
});

test('a refused update leaves the stored object as it was', async () => {
  const before = await client.get<Json>(VIRTUAL_MACHINES, NS, 'good');
  const err = await refusal(
    client.mergePatch(VIRTUAL_MACHINES, NS, 'good', { spec: { runStrategy: 'Sometimes' } }),
  );
  expect(err.message).toContain('spec.runStrategy');
  const after = await client.get<Json>(VIRTUAL_MACHINES, NS, 'good');
  expect(after.spec).toEqual(before.spec);
  expect((after.metadata as Json).resourceVersion).toBe((before.metadata as Json).resourceVersion);
});

test('every line virtkit api logs is JSON, and refusals are logged with the object', () => {
  const lines = api
    .log()
    .split('\n')
    .filter((l) => l.trim());
  const parsed = lines.map((l) => JSON.parse(l) as Json);
  expect(parsed.every((p) => p.component === 'virtkit-api' && typeof p.msg === 'string')).toBe(true);
  expect(
    parsed.some((p) => p.name === 'bad' && p.namespace === NS && String(p.msg).startsWith('denied')),
  ).toBe(true);
});

test('without the webhook the CRD schema itself still refuses an unknown enum value', async () => {
  // The default namespace is outside this test's webhook: only the published schema judges.
  const err = await refusal(
    client.create(
      VIRTUAL_MACHINES,
      'default',
      {
        ...vm(`enum-${suffix}`, { runStrategy: 'Sometimes' }),
        metadata: { name: `enum-${suffix}`, namespace: 'default' },
      },
      { dryRun: true },
    ),
  );
  expect(err.status).toBe(422);
  expect(err.message).toMatch(/spec\.runStrategy: Unsupported value: "Sometimes"/);
});

test('a VM with a feature virtkit cannot run yet (an SR-IOV binding) is refused at apply, naming it', async () => {
  const o = vm('secondary') as { spec: { template: { spec: Json & { domain: { devices: Json } } } } };
  o.spec.template.spec.domain.devices.interfaces = [{ name: 'blue', sriov: {} }];
  o.spec.template.spec.networks = [{ name: 'blue', multus: { networkName: 'blue-net' } }];
  const err = await refusal(client.create(VIRTUAL_MACHINES, NS, o as unknown as Json));
  expect(err.message).toContain(
    'spec.template.spec.domain.devices.interfaces[0].sriov: the sriov binding is not supported by virtkit yet',
  );
  expect(await client.getIfExists(VIRTUAL_MACHINES, NS, 'secondary')).toBeUndefined();
});

test('a gated feature is refused naming its gate until the KubeVirt object turns the gate on', async () => {
  const withHostDisk = (name: string): Json => {
    const o = vm(name) as { spec: { template: { spec: { volumes: Json[] } } } };
    o.spec.template.spec.volumes = [
      { name: 'root', hostDisk: { path: '/var/lib/images/root.img', type: 'Disk' } },
    ];
    return o as unknown as Json;
  };
  const err = await refusal(client.create(VIRTUAL_MACHINES, NS, withHostDisk('gated')));
  expect(err.message).toContain(
    'spec.template.spec.volumes[0].hostDisk: HostDisk feature gate is not enabled; add HostDisk to spec.configuration.developerConfiguration.featureGates',
  );
  await client.create(KUBEVIRTS, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'config', namespace: NS },
    spec: {
      configuration: { developerConfiguration: { featureGates: ['HostDisk'] } },
      imagePullPolicy: 'IfNotPresent',
    },
  });
  // The api component watches the KubeVirt object: the gate takes effect within moments.
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await client.create(VIRTUAL_MACHINES, NS, withHostDisk('gated'));
      break;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // Other KubeVirt settings are kept whole, as KubeVirt users write them.
  const kv = await client.get<Json>(KUBEVIRTS, NS, 'config');
  expect((kv.spec as Json).imagePullPolicy).toBe('IfNotPresent');
  await client.delete(KUBEVIRTS, NS, 'config');
});

describe('cloning from another namespace (CDI and KubeVirt authorization)', () => {
  const cloneDv = (name: string, source: Json): Json => ({
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: { name, namespace: NS },
    spec: { source, storage: { resources: { requests: { storage: '64Mi' } } } },
  });
  const grant = (namespace: string, name: string, rules: Json[], subject: Json): string =>
    [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [subject],
      },
    ]
      .map((o) => JSON.stringify(o))
      .join('\n');
  /** `kubectl create` as USER; answers its exit code and stderr. */
  const createAsUser = (o: Json): { status: number | null; stderr: string } => {
    const r = kubectl([`--as=${USER}`, 'create', '-f', '-'], undefined, JSON.stringify(o));
    return { status: r.status, stderr: r.stderr };
  };
  const apply = (manifests: string): void => {
    const r = kubectl(['apply', '-f', '-'], undefined, manifests);
    expect(r.stderr).toBe('');
  };
  const cloneRule = { apiGroups: ['cdi.kubevirt.io'], resources: ['datavolumes/source'], verbs: ['create'] };

  beforeAll(async () => {
    await client.create(NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: SRC },
    });
    // The user may make DataVolumes and VMs in NS, and nothing in SRC yet.
    apply(
      grant(
        NS,
        'clone-user',
        [
          {
            apiGroups: ['cdi.kubevirt.io'],
            resources: ['datavolumes'],
            verbs: ['create', 'get', 'update', 'patch'],
          },
          { apiGroups: ['kubevirt.io'], resources: ['virtualmachines'], verbs: ['create', 'get'] },
        ],
        { kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' },
      ),
    );
  });

  test('a DataVolume cloning from another namespace is refused until its creator may clone from there', async () => {
    const dv = cloneDv('cross', { pvc: { namespace: SRC, name: 'golden' } });
    const refused = createAsUser(dv);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(
      `spec.source.pvc.namespace: User ${USER} has insufficient permissions in clone source namespace ${SRC}`,
    );
    expect(await client.getIfExists(DATA_VOLUMES, NS, 'cross')).toBeUndefined();
    // A DataSource in SRC is the same question (whether or not it exists yet).
    const ref = {
      ...cloneDv('cross-ref', {}),
      spec: {
        sourceRef: { kind: 'DataSource', namespace: SRC, name: 'fedora' },
        storage: { resources: { requests: { storage: '64Mi' } } },
      },
    };
    const refRefused = createAsUser(ref);
    expect(refRefused.stderr).toContain(
      `spec.sourceRef.namespace: User ${USER} has insufficient permissions in clone source namespace ${SRC}`,
    );
    // Cloning within one's own namespace needs nothing more.
    expect(createAsUser(cloneDv('local', { pvc: { namespace: NS, name: 'golden' } }))).toEqual({
      status: 0,
      stderr: '',
    });

    // CDI's documented way: create on datavolumes/source in the source namespace.
    apply(
      grant(SRC, 'cloner', [cloneRule], { kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }),
    );
    await eventually(() => createAsUser(dv));
    expect(createAsUser(ref).status).toBe(0);
    expect(await client.get(DATA_VOLUMES, NS, 'cross')).toBeDefined();
  });

  test("a DataVolume's spec cannot change after creation; its labels can", async () => {
    const err = await refusal(
      client.mergePatch(DATA_VOLUMES, NS, 'local', {
        spec: { source: { pvc: { namespace: SRC, name: 'golden' } } },
      }),
    );
    expect(err.message).toContain('spec: Cannot update DataVolume Spec');
    const stored = await client.get<Json>(DATA_VOLUMES, NS, 'local');
    expect(((stored.spec as Json).source as Json).pvc).toEqual({ namespace: NS, name: 'golden' });
    await client.mergePatch(DATA_VOLUMES, NS, 'local', { metadata: { labels: { tier: 'gold' } } });
  });

  test("a VM's dataVolumeTemplates are authorized for the VM's ServiceAccount, not its creator", async () => {
    const withTemplate = (name: string, account?: string): Json => {
      const o = vm(name) as Json & { spec: Json & { template: { spec: Json & { volumes: Json[] } } } };
      o.spec.dataVolumeTemplates = [
        {
          metadata: { name: `${name}-root` },
          spec: {
            source: { pvc: { namespace: SRC, name: 'golden' } },
            storage: { resources: { requests: { storage: '64Mi' } } },
          },
        },
      ];
      o.spec.template.spec.volumes = [{ name: 'root', dataVolume: { name: `${name}-root` } }];
      if (account) {
        o.spec.template.spec.volumes.push({ name: 'sa', serviceAccount: { serviceAccountName: account } });
        ((o.spec.template.spec as Json).domain as { devices: { disks: Json[] } }).devices.disks.push({
          name: 'sa',
          disk: {},
        });
      }
      return o;
    };
    // The user may clone from SRC (the test above), the VM's default ServiceAccount may not.
    const err = await refusal(client.create(VIRTUAL_MACHINES, NS, withTemplate('tmpl')));
    expect(err.message).toContain(
      `spec.dataVolumeTemplates[0]: Authorization failed, message is: User system:serviceaccount:${NS}:default has insufficient permissions in clone source namespace ${SRC}`,
    );
    apply(grant(SRC, 'vm-cloner', [cloneRule], { kind: 'ServiceAccount', name: 'cloner', namespace: NS }));
    // Who creates the VM does not matter: the same VM without the account is still refused.
    await eventually(() =>
      kubectl(['create', '-f', '-'], undefined, JSON.stringify(withTemplate('tmpl-sa', 'cloner'))),
    );
    expect(await client.getIfExists(VIRTUAL_MACHINES, NS, 'tmpl')).toBeUndefined();
    // An update that adds such a template is asked the same question.
    const err2 = await refusal(
      client.mergePatch(VIRTUAL_MACHINES, NS, 'good', {
        spec: {
          dataVolumeTemplates: (withTemplate('good').spec as Json).dataVolumeTemplates,
          template: { spec: { volumes: [{ name: 'root', dataVolume: { name: 'good-root' } }] } },
        },
      }),
    );
    expect(err2.message).toContain(`User system:serviceaccount:${NS}:default has insufficient permissions`);
  });
});

/** RBAC changes reach the authorizer within moments: retry `attempt` until it exits 0. */
async function eventually(attempt: () => { status: number | null; stderr: string }): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const r = attempt();
    if (r.status === 0) return;
    if (Date.now() > until) throw new Error(`still refused after 30 s: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

test('with the webhook down nothing is stored unchecked (failurePolicy Fail)', async () => {
  api.process.kill('SIGTERM');
  await new Promise((r) => api.process.once('close', r));
  const err = await refusal(client.create(VIRTUAL_MACHINES, NS, vm('unchecked')));
  expect(err.message).toMatch(/failed calling webhook/);
  expect(await client.getIfExists(VIRTUAL_MACHINES, NS, 'unchecked')).toBeUndefined();
});
