import { silentLogger } from '../../common/log';
import { KubeApiError, VIRTUAL_MACHINES, type KubeClient, type ResourceType } from '../../kube';
import type { SubresourceContext, SubresourceRequest } from './types';
import { expandSpec, expandVmSpec, parseVmBody } from './expand-spec';
import { SUBRESOURCE_HANDLERS } from './handlers';

type Objects = Record<string, unknown>;

/** An API server holding `objects` by `plural/namespace/name` (namespace '' for cluster-wide). */
function fakeClient(objects: Objects, failure?: KubeApiError) {
  const gets: string[] = [];
  const client = {
    get: (rt: ResourceType, ns: string | undefined, name: string) => {
      const key = `${rt.plural}/${ns ?? ''}/${name}`;
      gets.push(`${rt.apiVersion} ${key}`);
      if (failure && rt !== VIRTUAL_MACHINES) return Promise.reject(failure);
      const obj = objects[key];
      if (obj) return Promise.resolve(structuredClone(obj));
      const group = rt.apiVersion.includes('/') ? `.${rt.apiVersion.split('/')[0]}` : '';
      return Promise.reject(
        new KubeApiError('GET', `/x/${key}`, 404, 'NotFound', `${rt.plural}${group} "${name}" not found`),
      );
    },
  };
  const ctx: SubresourceContext = { client: client as unknown as KubeClient, log: silentLogger() };
  return { ctx, gets };
}

const vm = (extra: Record<string, unknown> = {}, template: Record<string, unknown> = {}) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'web', namespace: 'ns' },
  spec: {
    runStrategy: 'Halted',
    instancetype: { name: 'u1.small' },
    preference: { name: 'linux', kind: 'VirtualMachinePreference' },
    template: { spec: { domain: { devices: { autoattachPodInterface: false } }, ...template } },
    ...extra,
  },
});

const STORE: Objects = {
  'virtualmachines/ns/web': vm(),
  'virtualmachineclusterinstancetypes//u1.small': {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClusterInstancetype',
    metadata: { name: 'u1.small' },
    spec: { cpu: { guest: 2 }, memory: { guest: '2Gi' } },
  },
  'virtualmachinepreferences/ns/linux': {
    apiVersion: 'instancetype.kubevirt.io/v1beta1',
    kind: 'VirtualMachinePreference',
    metadata: { name: 'linux', namespace: 'ns' },
    spec: { cpu: { preferredCPUTopology: 'cores' }, preferredTerminationGracePeriodSeconds: 60 },
  },
};

function request(subresource: string, body?: unknown, name = 'web'): SubresourceRequest {
  return {
    method: subresource === 'expand-spec' ? 'GET' : 'PUT',
    namespace: 'ns',
    resource: 'virtualmachines',
    name: subresource === 'expand-spec' ? name : '',
    subresource,
    rest: [],
    query: new URLSearchParams(),
    body,
    user: { name: 'alice', groups: [], extra: {} },
  };
}

const EXPANDED_SPEC = {
  domain: {
    devices: { autoattachPodInterface: false },
    cpu: { sockets: 1, cores: 2, threads: 1 },
    memory: { guest: '2Gi' },
  },
  terminationGracePeriodSeconds: 60,
};

test('both are registered under KubeVirt’s resource names', () => {
  expect(SUBRESOURCE_HANDLERS['virtualmachines/expand-spec']).toBe(expandSpec);
  expect(SUBRESOURCE_HANDLERS['expand-vm-spec']).toBe(expandVmSpec);
});

describe('GET .../virtualmachines/{name}/expand-spec', () => {
  test('answers the stored VM expanded, having read the cluster instancetype and the namespaced preference', async () => {
    const { ctx, gets } = fakeClient(STORE);
    const answer = await expandSpec(request('expand-spec'), ctx);
    expect(answer.status).toBe(200);
    const body = answer.body as ReturnType<typeof vm>;
    expect(body.spec.template.spec).toEqual(EXPANDED_SPEC);
    expect(body.spec).not.toHaveProperty('instancetype');
    expect(body.spec).not.toHaveProperty('preference');
    expect(gets).toEqual([
      'kubevirt.io/v1 virtualmachines/ns/web',
      'instancetype.kubevirt.io/v1beta1 virtualmachineclusterinstancetypes//u1.small',
      'instancetype.kubevirt.io/v1beta1 virtualmachinepreferences/ns/linux',
    ]);
  });

  test('a VM without references comes back as stored', async () => {
    const plain = vm({ instancetype: undefined, preference: undefined });
    const { ctx, gets } = fakeClient({ 'virtualmachines/ns/web': plain });
    const answer = await expandSpec(request('expand-spec'), ctx);
    expect(answer).toEqual({ status: 200, body: JSON.parse(JSON.stringify(plain)) });
    expect(gets).toHaveLength(1);
  });

  test('a missing VM is virt-api’s 404', async () => {
    const answer = await expandSpec(request('expand-spec', undefined, 'nope'), fakeClient(STORE).ctx);
    expect(answer).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'virtualmachine.kubevirt.io "nope" not found' },
    });
  });

  test('a missing instancetype is virt-api’s 500 with the API server’s words, and the fix in the causes', async () => {
    const { 'virtualmachineclusterinstancetypes//u1.small': _gone, ...rest } = STORE;
    const answer = await expandSpec(request('expand-spec'), fakeClient(rest).ctx);
    expect(answer).toMatchObject({
      status: 500,
      body: {
        reason: 'InternalError',
        message:
          'Internal error occurred: virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.small" not found',
        details: {
          causes: [
            {
              type: 'FieldValueNotFound',
              field: 'spec.instancetype',
              message: expect.stringContaining(
                'spec.instancetype of the VirtualMachine names the VirtualMachineClusterInstancetype "u1.small": create it, or set spec.instancetype.name (and .kind) to one that exists',
              ),
            },
          ],
        },
      },
    });
  });

  test('a conflict is virt-api’s 500 with KubeVirt’s sentence, each field a cause', async () => {
    const store = {
      ...STORE,
      'virtualmachines/ns/web': vm({}, { domain: { devices: {}, cpu: { sockets: 4 } } }),
    };
    const answer = await expandSpec(request('expand-spec'), fakeClient(store).ctx);
    expect(answer).toMatchObject({
      status: 500,
      body: {
        message:
          'Internal error occurred: VM field(s) spec.template.spec.domain.cpu.sockets conflicts with selected instance type',
        details: {
          causes: [
            {
              type: 'FieldValueInvalid',
              field: 'spec.template.spec.domain.cpu.sockets',
              message: expect.stringContaining('(the VM sets 4)'),
            },
          ],
        },
      },
    });
  });

  test('an unknown matcher kind is KubeVirt’s message; nothing is fetched for it', async () => {
    const store = { ...STORE, 'virtualmachines/ns/web': vm({ instancetype: { name: 'x', kind: 'Flavor' } }) };
    const { ctx, gets } = fakeClient(store);
    const answer = await expandSpec(request('expand-spec'), ctx);
    expect((answer.body as { message: string }).message).toMatch(
      /^Internal error occurred: got unexpected kind in InstancetypeMatcher: Flavor;/,
    );
    expect(gets).toHaveLength(1);
  });

  test('an instancetype that is not valid is refused, naming it and the field', async () => {
    const store = {
      ...STORE,
      'virtualmachineclusterinstancetypes//u1.small': {
        apiVersion: 'instancetype.kubevirt.io/v1beta1',
        kind: 'VirtualMachineClusterInstancetype',
        metadata: { name: 'u1.small' },
        spec: { cpu: { guest: 'two' }, memory: { guest: '2Gi' } },
      },
    };
    const answer = await expandSpec(request('expand-spec'), fakeClient(store).ctx);
    expect(answer).toMatchObject({
      status: 500,
      body: {
        message: expect.stringMatching(
          /^Internal error occurred: the VirtualMachineClusterInstancetype "u1.small" is not valid: spec\.cpu\.guest: /,
        ),
      },
    });
  });

  test('a refusal to read (RBAC) passes the API server’s words on', async () => {
    const forbidden = new KubeApiError(
      'GET',
      '/x',
      403,
      'Forbidden',
      'virtualmachineclusterinstancetypes.instancetype.kubevirt.io "u1.small" is forbidden: User "virtkit-api" cannot get resource',
    );
    const answer = await expandSpec(request('expand-spec'), fakeClient(STORE, forbidden).ctx);
    expect(answer).toMatchObject({
      status: 500,
      body: {
        message: expect.stringMatching(/^Internal error occurred: .* is forbidden: User "virtkit-api"/),
      },
    });
  });
});

describe('PUT .../namespaces/{ns}/expand-vm-spec', () => {
  test('answers the VM of the body expanded, in the path’s namespace', async () => {
    const body = vm();
    delete (body.metadata as { namespace?: string }).namespace;
    const answer = await expandVmSpec(request('expand-vm-spec', body), fakeClient(STORE).ctx);
    expect(answer.status).toBe(200);
    const out = answer.body as ReturnType<typeof vm>;
    expect(out.metadata).toEqual({ name: 'web', namespace: 'ns' });
    expect(out.spec.template.spec).toEqual(EXPANDED_SPEC);
  });

  test('failures are virt-api’s 400 with the message as it is', async () => {
    const body = vm({}, { domain: { devices: {}, memory: { guest: '1Gi' } } });
    const answer = await expandVmSpec(request('expand-vm-spec', body), fakeClient(STORE).ctx);
    expect(answer).toMatchObject({
      status: 400,
      body: {
        reason: 'BadRequest',
        message: 'VM field(s) spec.template.spec.domain.memory.guest conflicts with selected instance type',
        details: { causes: [{ field: 'spec.template.spec.domain.memory.guest' }] },
      },
    });
    const { 'virtualmachinepreferences/ns/linux': _gone, ...rest } = STORE;
    expect((await expandVmSpec(request('expand-vm-spec', vm()), fakeClient(rest).ctx)).body).toMatchObject({
      code: 400,
      message: 'virtualmachinepreferences.instancetype.kubevirt.io "linux" not found',
    });
  });
});

describe('the body of expand-vm-spec', () => {
  const refusal = (body: unknown, ns = 'ns') => {
    const parsed = parseVmBody(body, ns);
    if (!('refusal' in parsed)) throw new Error('expected a refusal');
    expect(parsed.refusal.status).toBe(400);
    return parsed.refusal.body as {
      message: string;
      details?: { causes: { field?: string; message: string }[] };
    };
  };

  test('none at all', () => {
    expect(refusal(undefined).message).toMatch(/^empty request body: PUT the VirtualMachine/);
  });

  test('not an object', () => {
    expect(refusal([vm()]).message).toBe(
      'Object is not a valid VirtualMachine: the body is a list, not a VirtualMachine object',
    );
    expect(refusal('vm').message).toMatch(/the body is a string/);
  });

  test('another kind or version', () => {
    expect(refusal({ ...vm(), kind: 'VirtualMachineInstance' }).message).toBe(
      'Object is not a valid VirtualMachine: apiVersion "kubevirt.io/v1" and kind "VirtualMachineInstance" are not a VirtualMachine; set apiVersion: kubevirt.io/v1 and kind: VirtualMachine',
    );
    expect(refusal({ ...vm(), apiVersion: 'kubevirt.io/v1alpha3' }).message).toMatch(
      /apiVersion "kubevirt.io\/v1alpha3"/,
    );
  });

  test('against the VM schema, every problem with its field', () => {
    const bad = vm({
      runStrategy: 'Sometimes',
      template: { spec: { domain: { devices: {}, cpu: { sockets: 'two' } } } },
    });
    const body = refusal(bad);
    expect(body.message).toMatch(/^Object is not a valid VirtualMachine: /);
    expect(body.details?.causes.map((c) => c.field)).toEqual(
      expect.arrayContaining(['spec.runStrategy', 'spec.template.spec.domain.cpu.sockets']),
    );
  });

  test('the namespace must be empty or the path’s (KubeVirt’s words first)', () => {
    expect(refusal(vm(), 'other').message).toMatch(
      /^VM namespace must be empty or other; the body's metadata.namespace is "ns": leave it out, or send the request to namespaces\/ns\/expand-vm-spec$/,
    );
  });

  test('the body is not modified', () => {
    const body = vm();
    const saved = structuredClone(body);
    parseVmBody(body, 'ns');
    expect(body).toEqual(saved);
  });
});
