/**
 * The VM verbs of the subresource API (start, stop, restart) against the real kube-apiserver,
 * under the api component's own identity and RBAC: the handlers' JSON patches apply as KubeVirt's
 * do (a whole status added to a VM without one, a `test` of a missing list, the status
 * subresource), dryRun stores nothing, a lost race is a 409, and the identity may do what the
 * handlers need and nothing more. The handlers are called directly; the path through the API
 * server's aggregation layer is the end-to-end suite's.
 */
import { silentLogger } from '../../common/log';
import { componentKubeconfig, layout } from '../../cli/local/layout';
import { installRbac } from '../../cli/local/rbac';
import { handleVmState, applyVmStateWrites } from '../../apiserver/subresources/vm-state-handlers';
import { decideVmState } from '../../apiserver/subresources/vm-state';
import type { SubresourceContext, SubresourceRequest } from '../../apiserver/subresources/types';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { KubeApiError, KubeClient, VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube';
import { sharedClient } from './support/api';
import { readShared } from './support/shared-controlplane';

const NS = 'default';
let admin: KubeClient;
let api: KubeClient;
let ctx: SubresourceContext;

beforeAll(async () => {
  admin = await sharedClient();
  await installRbac(admin);
  api = KubeClient.connect({
    kubeconfig: componentKubeconfig(layout(readShared().stateDir), 'virtkit-api'),
    fieldManager: 'virtkit-api',
  });
  ctx = { client: api, log: silentLogger() };
});

afterAll(() => api?.close());

function request(verb: string, name: string, body?: unknown): SubresourceRequest {
  return {
    method: 'PUT',
    namespace: NS,
    resource: 'virtualmachines',
    name,
    subresource: verb,
    rest: [],
    query: new URLSearchParams(),
    body,
    user: { name: 'alice', groups: ['system:authenticated'], extra: {} },
  };
}

async function createVm(name: string, runStrategy: string): Promise<void> {
  await admin
    .getIfExists(VIRTUAL_MACHINES, NS, name)
    .then((old) => (old ? admin.delete(VIRTUAL_MACHINES, NS, name) : undefined));
  await admin.create(VIRTUAL_MACHINES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name },
    spec: { runStrategy, template: { spec: { domain: { devices: {}, memory: { guest: '64Mi' } } } } },
  });
}

/** A VMI of the VM's name in phase Running (no handler runs here: the status is written by hand). */
async function createRunningVmi(name: string, grace?: number): Promise<VirtualMachineInstance> {
  const created = await admin.create<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      domain: { devices: {}, memory: { guest: '64Mi' } },
      ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
    },
  });
  return admin.updateStatus<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, name, {
    ...created,
    status: { phase: 'Running' },
  });
}

const getVm = (name: string): Promise<VirtualMachine> =>
  admin.get<VirtualMachine>(VIRTUAL_MACHINES, NS, name);

test('start of a Halted VM switches it to Always; a second start is refused', async () => {
  await createVm('vs-halted', 'Halted');
  expect(await handleVmState('start', request('start', 'vs-halted'), ctx)).toEqual({ status: 202 });
  expect((await getVm('vs-halted')).spec.runStrategy).toBe('Always');
  const again = await handleVmState('start', request('start', 'vs-halted'), ctx);
  expect(again.status).toBe(409);
  expect((again.body as { message: string }).message).toBe(
    'Operation cannot be fulfilled on virtualmachine.kubevirt.io "vs-halted": Always does not support manual start requests',
  );
});

test('start of a Manual VM without status writes the whole status through the status subresource', async () => {
  await createVm('vs-manual', 'Manual');
  expect(await handleVmState('start', request('start', 'vs-manual', { paused: true }), ctx)).toEqual({
    status: 202,
  });
  expect((await getVm('vs-manual')).status?.stateChangeRequests).toEqual([
    { action: 'Start', data: { paused: 'true' } },
  ]);
  // A second start while the first is pending: KubeVirt's 500.
  const pending = await handleVmState('start', request('start', 'vs-manual'), ctx);
  expect(pending.body).toMatchObject({
    code: 500,
    message: 'Internal error occurred: unable to complete request: stop/start already underway',
  });
});

test('stop with a grace period sets the VMI first, then replaces the pending requests with a Stop', async () => {
  await admin
    .getIfExists(VIRTUAL_MACHINE_INSTANCES, NS, 'vs-manual')
    .then((old) => (old ? admin.delete(VIRTUAL_MACHINE_INSTANCES, NS, 'vs-manual') : undefined));
  const vmi = await createRunningVmi('vs-manual', 180);
  expect(await handleVmState('stop', request('stop', 'vs-manual', { gracePeriod: 7 }), ctx)).toEqual({
    status: 202,
  });
  const after = await admin.get<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, 'vs-manual');
  expect(after.spec.terminationGracePeriodSeconds).toBe(7);
  expect((await getVm('vs-manual')).status?.stateChangeRequests).toEqual([
    { action: 'Stop', uid: vmi.metadata?.uid },
  ]);
});

test('a VMI without terminationGracePeriodSeconds gets it added; restart --force gives it 1 s', async () => {
  await createVm('vs-always', 'Always');
  await createRunningVmi('vs-always');
  expect(
    await handleVmState('restart', request('restart', 'vs-always', { gracePeriodSeconds: 0 }), ctx),
  ).toEqual({
    status: 202,
  });
  const vmi = await admin.get<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, 'vs-always');
  expect(vmi.spec.terminationGracePeriodSeconds).toBe(1);
  expect((await getVm('vs-always')).status?.stateChangeRequests).toEqual([
    { action: 'Stop', uid: vmi.metadata?.uid },
    { action: 'Start' },
  ]);
});

test('dryRun answers as the real request would and stores nothing', async () => {
  await createVm('vs-dry', 'Always');
  const before = await getVm('vs-dry');
  expect(await handleVmState('stop', request('stop', 'vs-dry', { dryRun: ['All'] }), ctx)).toEqual({
    status: 202,
  });
  const after = await getVm('vs-dry');
  expect(after.spec.runStrategy).toBe('Always');
  expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
});

test('a decision made on a stale read loses: 409 from the failed test, nothing written', async () => {
  await createVm('vs-race', 'Always');
  const stale = await getVm('vs-race');
  await admin.mergePatch(VIRTUAL_MACHINES, NS, 'vs-race', { spec: { runStrategy: 'Manual' } });
  const d = decideVmState({
    name: 'vs-race',
    options: { verb: 'stop', dryRun: false },
    vm: stale,
    vmi: undefined,
  });
  const answer = await applyVmStateWrites(ctx, NS, 'vs-race', d.writes!);
  expect(answer.status).toBe(409);
  expect((answer.body as { message: string }).message).toMatch(/jsonpatch test operation does not apply/);
  expect((await getVm('vs-race')).spec.runStrategy).toBe('Manual');
});

test("the api component's identity may read and patch VMs and VMIs, not create or delete them", async () => {
  const forbidden = async (p: Promise<unknown>): Promise<void> => {
    await expect(p).rejects.toBeInstanceOf(KubeApiError);
    await p.catch((err: KubeApiError) => expect(err.status).toBe(403));
  };
  await forbidden(api.delete(VIRTUAL_MACHINES, NS, 'vs-dry'));
  await forbidden(api.delete(VIRTUAL_MACHINE_INSTANCES, NS, 'vs-always'));
  await forbidden(
    api.create(VIRTUAL_MACHINES, NS, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'vs-not-allowed' },
      spec: { runStrategy: 'Halted', template: { spec: { domain: { devices: {} } } } },
    }),
  );
  await forbidden(api.list(VIRTUAL_MACHINES, NS));
});
