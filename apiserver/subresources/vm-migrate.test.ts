import { silentLogger } from '../../common/log';
import { KubeApiError, VIRTUAL_MACHINES, type KubeClient, type ResourceType } from '../../kube';
import { SUBRESOURCE_HANDLERS } from './handlers';
import { SubresourceError } from './subresource-error';
import type { SubresourceContext, SubresourceRequest } from './types';
import { migrateVm, migrationFor, parseMigrateOptions } from './vm-migrate';

interface Created {
  readonly kind: string;
  readonly namespace: string;
  readonly object: unknown;
  readonly dryRun?: boolean;
}

/** An in-memory API server: the VM and VMI it holds, what was created, a create failure to inject. */
function fakeClient(objects: { vm?: unknown; vmi?: unknown }, refuseCreate?: KubeApiError) {
  const created: Created[] = [];
  const notFound = (rt: ResourceType, name: string) =>
    new KubeApiError('GET', `/x/${rt.plural}/${name}`, 404, 'NotFound', `${rt.plural} "${name}" not found`);
  const client = {
    get: (rt: ResourceType, _ns: string, name: string) => {
      const obj = rt === VIRTUAL_MACHINES ? objects.vm : objects.vmi;
      return obj ? Promise.resolve(structuredClone(obj)) : Promise.reject(notFound(rt, name));
    },
    create: (rt: ResourceType, namespace: string, object: unknown, opts?: { dryRun?: boolean }) => {
      if (refuseCreate) return Promise.reject(refuseCreate);
      created.push({ kind: rt.kind, namespace, object, dryRun: opts?.dryRun });
      return Promise.resolve({ ...(object as object), metadata: { name: 'kubevirt-migrate-vm-x7k2p' } });
    },
  };
  const ctx: SubresourceContext = { client: client as unknown as KubeClient, log: silentLogger() };
  return { ctx, created };
}

function request(body?: unknown, method = 'PUT'): SubresourceRequest {
  return {
    method,
    namespace: 'prod',
    resource: 'virtualmachines',
    name: 'web',
    subresource: 'migrate',
    rest: [],
    query: new URLSearchParams(),
    body,
    user: { name: 'alice', groups: [], extra: {} },
  };
}

const VM = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'web', namespace: 'prod', uid: 'vm-uid' },
  spec: { runStrategy: 'Always', template: { spec: { domain: { devices: {} } } } },
};
const vmi = (phase: string) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'web', namespace: 'prod', uid: 'vmi-uid' },
  spec: { domain: { devices: {} } },
  status: { phase, nodeName: 'node-a' },
});

describe('PUT virtualmachines/NAME/migrate', () => {
  it('is registered for the router (no longer 501)', () => {
    expect(SUBRESOURCE_HANDLERS['virtualmachines/migrate']).toBe(migrateVm);
  });

  it("creates KubeVirt's migration of the VM's VMI and answers 202 with no body", async () => {
    const { ctx, created } = fakeClient({ vm: VM, vmi: vmi('Running') });
    expect(await migrateVm(request({ addedNodeSelector: { zone: 'b' } }), ctx)).toEqual({ status: 202 });
    expect(created).toEqual([
      {
        kind: 'VirtualMachineInstanceMigration',
        namespace: 'prod',
        dryRun: false,
        object: {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: 'kubevirt-migrate-vm-', labels: { 'kubevirt.io/vmi-name': 'web' } },
          spec: { vmiName: 'web', addedNodeSelector: { zone: 'b' } },
        },
      },
    ]);
  });

  it('an empty body is no option; dryRun ["All"] creates it as a dry run', async () => {
    const plain = fakeClient({ vm: VM, vmi: vmi('Running') });
    expect(await migrateVm(request(), plain.ctx)).toEqual({ status: 202 });
    expect(plain.created[0]).toMatchObject({ dryRun: false, object: { spec: { vmiName: 'web' } } });
    expect((plain.created[0].object as { spec: object }).spec).toEqual({ vmiName: 'web' });
    const dry = fakeClient({ vm: VM, vmi: vmi('Running') });
    expect(await migrateVm(request({ dryRun: ['All'] }), dry.ctx)).toEqual({ status: 202 });
    expect(dry.created[0].dryRun).toBe(true);
  });

  it("refuses a VM whose VMI is not Running: 409 in KubeVirt's words, nothing created", async () => {
    const { ctx, created } = fakeClient({ vm: VM, vmi: vmi('Scheduling') });
    expect(await migrateVm(request(), ctx)).toMatchObject({
      status: 409,
      body: {
        kind: 'Status',
        reason: 'Conflict',
        message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is not running',
      },
    });
    expect(created).toEqual([]);
  });

  it('a missing VM is a 404 of the VM, a stopped one (no VMI) a 404 of the VMI (answers the router passes on)', async () => {
    const answerOf = async (ctx: SubresourceContext): Promise<unknown> => {
      const err = await migrateVm(request(), ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SubresourceError);
      return (err as SubresourceError).answer;
    };
    expect(await answerOf(fakeClient({}).ctx)).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'virtualmachine.kubevirt.io "web" not found' },
    });
    expect(await answerOf(fakeClient({ vm: VM }).ctx)).toMatchObject({
      status: 404,
      body: { reason: 'NotFound', message: 'virtualmachineinstance.kubevirt.io "web" not found' },
    });
  });

  it("passes admission's refusal on as virt-api does: a 500 with the webhook's words", async () => {
    const words =
      'admission webhook "core.validate.virtkit.io" denied the request: VirtualMachineInstanceMigration prod/kubevirt-migrate-vm-abcde is invalid: spec.vmiName: in-flight migration detected.';
    const refused = new KubeApiError('POST', '/x', 422, 'Invalid', words);
    const { ctx } = fakeClient({ vm: VM, vmi: vmi('Running') }, refused);
    expect(await migrateVm(request(), ctx)).toMatchObject({
      status: 500,
      body: { reason: 'InternalError', message: `Internal error occurred: ${words}` },
    });
  });

  it('refuses a body it cannot read with 400, before reading anything', async () => {
    const { ctx, created } = fakeClient({});
    for (const [body, message] of [
      [{ dryRun: ['Some'] }, /MigrateOptions: dryRun must be \["All"\] or left out/],
      [[1], /MigrateOptions: the request body must be a JSON object/],
      [{ addedNodeSelector: 'zone=b' }, /addedNodeSelector must be a map of node label keys to values/],
      [{ addedNodeSelector: { 'bad key': 'b' } }, /addedNodeSelector key "bad key" is not a label key/],
    ] as const) {
      const a = await migrateVm(request(body), ctx);
      expect(a.status).toBe(400);
      expect((a.body as { message: string }).message).toMatch(message);
    }
    expect(created).toEqual([]);
    expect((await migrateVm(request(undefined, 'GET'), ctx)).status).toBe(405);
  });
});

describe('the pure parts', () => {
  it('parseMigrateOptions ignores unknown fields and an empty selector, as virt-api does', () => {
    expect(parseMigrateOptions({ addedNodeSelector: {}, extra: 1 })).toEqual({ options: { dryRun: false } });
    expect(parseMigrateOptions('')).toEqual({ options: { dryRun: false } });
    expect(parseMigrateOptions({ dryRun: [] })).toEqual({ options: { dryRun: false } });
  });

  it('migrationFor copies the selector (the options are not shared with the object)', () => {
    const sel = { zone: 'b' };
    const m = migrationFor('web', { dryRun: false, addedNodeSelector: sel });
    expect(m.spec.addedNodeSelector).toEqual(sel);
    expect(m.spec.addedNodeSelector).not.toBe(sel);
  });
});
