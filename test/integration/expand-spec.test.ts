/**
 * `expand-spec` and `expand-vm-spec` of subresources.kubevirt.io/v1 through the real
 * kube-apiserver: `virtkit api` runs as its own least-privilege user behind the APIService
 * (support/subresource-api.ts), reads the instancetype and preference a VM names with that
 * identity, and answers the expanded VM to `kubectl get --raw` and `kubectl replace --raw`, or
 * KubeVirt's refusal (a conflict, a missing instancetype, a VM in the wrong namespace).
 */
import { randomBytes } from 'crypto';
import {
  groupVersionSubPath,
  ROLE_BINDINGS,
  SERVICE_ACCOUNTS,
  SUBRESOURCES_API_VERSION,
  VIRTUAL_MACHINES,
  type KubeClient,
} from '../../kube';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import { applyStrict, createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { kubectl, type CommandResult } from './support/kubectl';
import { startSubresourceApi, type SubresourceApi } from './support/subresource-api';

const suffix = randomBytes(3).toString('hex');
const NS = `expand-spec-${suffix}`;
const INSTANCETYPE = `it-${suffix}`;
const PREFERENCE = `pref-${suffix}`;
let client: KubeClient;
let subresourceApi: SubresourceApi | undefined;

const IT_GROUP = 'instancetype.kubevirt.io/v1beta1';

function vm(name: string, template: Json = {}, refs: Json = {}): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NS },
    spec: {
      runStrategy: 'Halted',
      instancetype: { name: INSTANCETYPE },
      preference: { name: PREFERENCE, kind: 'VirtualMachineClusterPreference' },
      ...refs,
      template: {
        spec: {
          domain: { devices: { disks: [{ name: 'root' }] } },
          volumes: [{ name: 'root', containerDisk: { image: 'registry.example/guest:1' } }],
          ...template,
        },
      },
    },
  };
}

const expandSpecPath = (name: string, ns = NS) =>
  groupVersionSubPath(SUBRESOURCES_API_VERSION, `namespaces/${ns}/virtualmachines/${name}/expand-spec`);
const expandVmSpecPath = (ns = NS) =>
  groupVersionSubPath(SUBRESOURCES_API_VERSION, `namespaces/${ns}/expand-vm-spec`);

function getRaw(path: string, as?: string): CommandResult {
  return kubectl([...(as ? [`--as=${as}`] : []), 'get', '--raw', path]);
}
function putRaw(path: string, body: unknown): CommandResult {
  return kubectl(['replace', '--raw', path, '-f', '-'], undefined, JSON.stringify(body));
}
function expanded(r: CommandResult): VirtualMachine {
  if (r.status !== 0)
    throw new Error(`kubectl failed (${r.status}): ${r.stderr}\n${subresourceApi?.api.log() ?? ''}`);
  return JSON.parse(r.stdout) as VirtualMachine;
}

beforeAll(async () => {
  client = await sharedClient();
  await createNamespace(client, NS);
  await applyStrict(client, {
    apiVersion: IT_GROUP,
    kind: 'VirtualMachineClusterInstancetype',
    metadata: { name: INSTANCETYPE },
    spec: { cpu: { guest: 2 }, memory: { guest: '256Mi' }, annotations: { 'example.com/size': 'small' } },
  });
  await applyStrict(client, {
    apiVersion: IT_GROUP,
    kind: 'VirtualMachineClusterPreference',
    metadata: { name: PREFERENCE },
    spec: {
      cpu: { preferredCPUTopology: 'cores' },
      devices: { preferredDiskBus: 'virtio', preferredInterfaceModel: 'virtio' },
      preferredTerminationGracePeriodSeconds: 45,
    },
  });
  await applyStrict(client, {
    apiVersion: IT_GROUP,
    kind: 'VirtualMachinePreference',
    metadata: { name: 'local', namespace: NS },
    spec: { cpu: { preferredCPUTopology: 'threads' } },
  });
  await applyStrict(client, vm('web'));
  await applyStrict(client, vm('conflicting', { domain: { devices: {}, cpu: { sockets: 4 } } }));
  await applyStrict(client, vm('missing', {}, { instancetype: { name: `absent-${suffix}` } }));
  await applyStrict(
    client,
    vm('local', {}, { preference: { name: 'local', kind: 'VirtualMachinePreference' } }),
  );
  await applyStrict(client, vm('plain', {}, { instancetype: undefined, preference: undefined }));
  // The lock of the APIService may make this wait for another suite that owns it.
  subresourceApi = await startSubresourceApi(client, 'expand-spec.test.ts');
}, 20 * 60_000);

afterAll(async () => {
  await subresourceApi?.stop();
  await deleteNamespace(client, NS);
});

const EXPANDED_TEMPLATE = {
  domain: {
    cpu: { sockets: 1, cores: 2, threads: 1 },
    memory: { guest: '256Mi' },
    devices: {
      disks: [{ name: 'root', disk: { bus: 'virtio' } }],
      interfaces: [{ name: 'default', masquerade: {}, model: 'virtio' }],
    },
  },
  networks: [{ name: 'default', pod: {} }],
  volumes: [{ name: 'root', containerDisk: { image: 'registry.example/guest:1' } }],
  terminationGracePeriodSeconds: 45,
};

test('GET expand-spec answers the stored VM with its cluster instancetype and preference applied', () => {
  const out = expanded(getRaw(expandSpecPath('web')));
  expect(out).toMatchObject({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: NS },
  });
  expect(out.spec.instancetype).toBeUndefined();
  expect(out.spec.preference).toBeUndefined();
  expect(out.spec.runStrategy).toBe('Halted');
  expect(out.spec.template.spec).toEqual(EXPANDED_TEMPLATE);
  expect(out.spec.template.metadata).toEqual({ annotations: { 'example.com/size': 'small' } });
});

test('a namespaced preference is read from the VM’s namespace', () => {
  expect(expanded(getRaw(expandSpecPath('local'))).spec.template.spec?.domain.cpu).toEqual({
    sockets: 1,
    cores: 1,
    threads: 2,
  });
});

test('a VM without instancetype or preference comes back as stored', async () => {
  const stored = await client.get<VirtualMachine>(VIRTUAL_MACHINES, NS, 'plain');
  expect(expanded(getRaw(expandSpecPath('plain'))).spec).toEqual(stored.spec);
});

test('PUT expand-vm-spec expands the VM of the body, in the path’s namespace', async () => {
  const body = vm('unsaved');
  delete (body.metadata as Json).namespace;
  const out = expanded(putRaw(expandVmSpecPath(), body));
  expect(out.metadata).toEqual({ name: 'unsaved', namespace: NS });
  expect(out.spec.template.spec).toEqual(EXPANDED_TEMPLATE); // A VM as the API server answers it (uid, managedFields, status...) is a valid body too.
  const stored = await client.get<VirtualMachine>(VIRTUAL_MACHINES, NS, 'web');
  expect(expanded(putRaw(expandVmSpecPath(), stored)).spec.template.spec).toEqual(EXPANDED_TEMPLATE);
});

test('a conflicting VM gets KubeVirt’s message: 500 for the stored VM, 400 for a body', () => {
  const stored = getRaw(expandSpecPath('conflicting'));
  expect(stored.status).not.toBe(0);
  expect(stored.stderr).toContain(
    'Error from server (InternalError): Internal error occurred: VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type',
  );
  const body = putRaw(
    expandVmSpecPath(),
    vm('conflicting', { domain: { devices: {}, cpu: { sockets: 4 } } }),
  );
  expect(body.status).not.toBe(0);
  expect(body.stderr).toContain(
    'Error from server (BadRequest): VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type',
  );
});

test('a missing instancetype is the API server’s not-found, named', () => {
  const r = getRaw(expandSpecPath('missing'));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain(
    `Internal error occurred: virtualmachineclusterinstancetypes.instancetype.kubevirt.io "absent-${suffix}" not found`,
  );
});

test('a missing VM is a 404; a body of another namespace or kind is a 400', () => {
  expect(getRaw(expandSpecPath('nope')).stderr).toContain(
    'Error from server (NotFound): virtualmachine.kubevirt.io "nope" not found',
  );
  expect(putRaw(expandVmSpecPath(), vm('web')).status).toBe(0);
  const elsewhere = putRaw(expandVmSpecPath('default'), vm('web'));
  expect(elsewhere.stderr).toContain('VM namespace must be empty or default');
  const notVm = putRaw(expandVmSpecPath(), { ...vm('web'), kind: 'VirtualMachineInstance' });
  expect(notVm.stderr).toContain('Object is not a valid VirtualMachine');
});

test('kubevirt.io:view may expand a VM (KubeVirt’s roles); the api reads the instancetype as itself', async () => {
  const viewer = 'viewer';
  await client.create(SERVICE_ACCOUNTS, NS, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: viewer },
  });
  await client.create(ROLE_BINDINGS, NS, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: viewer, namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubevirt.io:view' },
    subjects: [{ kind: 'ServiceAccount', name: viewer, namespace: NS }],
  });
  const as = `system:serviceaccount:${NS}:${viewer}`;
  // RoleBindings take effect at once on a single API server, but give the authorizer's cache a moment.
  let r = getRaw(expandSpecPath('web'), as);
  for (let i = 0; i < 20 && r.stderr.includes('Forbidden'); i++) {
    await new Promise((done) => setTimeout(done, 250));
    r = getRaw(expandSpecPath('web'), as);
  }
  expect(expanded(r).spec.template.spec).toEqual(EXPANDED_TEMPLATE);
});
