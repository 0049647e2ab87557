import { silentLogger } from '../../common/log';
import {
  KubeApiError,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
  type KubeClient,
  type ResourceType,
} from '../../kube';
import type { SubresourceContext, SubresourceRequest } from './types';
import { handleVmState, VM_STATE_HANDLERS } from './vm-state-handlers';
import { PATCH_NOT_APPLIED } from './vm-state';

interface Call {
  readonly verb: 'get' | 'patch';
  readonly kind: string;
  readonly name: string;
  readonly ops?: unknown[];
  readonly opts?: { dryRun?: boolean; subresource?: string };
}

/** An in-memory API server: the objects it holds, the calls it got, and failures to inject. */
function fakeClient(
  objects: { vm?: unknown; vmi?: unknown },
  fail: { vm?: KubeApiError; vmi?: KubeApiError } = {},
) {
  const calls: Call[] = [];
  const notFound = (rt: ResourceType, name: string) =>
    new KubeApiError('GET', `/x/${rt.plural}/${name}`, 404, 'NotFound', `${rt.plural} "${name}" not found`);
  const client = {
    get: (rt: ResourceType, _ns: string, name: string) => {
      calls.push({ verb: 'get', kind: rt.kind, name });
      const obj = rt === VIRTUAL_MACHINES ? objects.vm : objects.vmi;
      return obj ? Promise.resolve(structuredClone(obj)) : Promise.reject(notFound(rt, name));
    },
    getIfExists: (rt: ResourceType, _ns: string, name: string) => {
      calls.push({ verb: 'get', kind: rt.kind, name });
      return Promise.resolve(structuredClone(rt === VIRTUAL_MACHINES ? objects.vm : objects.vmi));
    },
    jsonPatch: (rt: ResourceType, _ns: string, name: string, ops: unknown[], opts?: Call['opts']) => {
      calls.push({ verb: 'patch', kind: rt.kind, name, ops, opts });
      const err = rt === VIRTUAL_MACHINES ? fail.vm : rt === VIRTUAL_MACHINE_INSTANCES ? fail.vmi : undefined;
      // A rollback (no options) of the VMI succeeds.
      if (err && (rt === VIRTUAL_MACHINES || opts)) return Promise.reject(err);
      return Promise.resolve({});
    },
  };
  const ctx: SubresourceContext = { client: client as unknown as KubeClient, log: silentLogger() };
  return { ctx, calls };
}

function request(subresource: string, body?: unknown, method = 'PUT'): SubresourceRequest {
  return {
    method,
    namespace: 'ns',
    resource: 'virtualmachines',
    name: 'web',
    subresource,
    rest: [],
    query: new URLSearchParams(),
    body,
    user: { name: 'alice', groups: [], extra: {} },
  };
}

const vm = (runStrategy: string, status?: unknown) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name: 'web', namespace: 'ns', uid: 'vm-uid' },
  spec: { runStrategy, template: { spec: { domain: { devices: {} } } } },
  ...(status ? { status } : {}),
});
const vmi = (phase: string, grace?: number) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'web', namespace: 'ns', uid: 'vmi-uid' },
  spec: { domain: { devices: {} }, ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) },
  status: { phase },
});

test('the registry has start, stop and restart of virtualmachines', () => {
  expect(Object.keys(VM_STATE_HANDLERS).sort()).toEqual([
    'virtualmachines/restart',
    'virtualmachines/start',
    'virtualmachines/stop',
  ]);
});

test('start of a Halted VM: reads the VM and the VMI, patches the spec, answers 202 with no body', async () => {
  const { ctx, calls } = fakeClient({ vm: vm('Halted') });
  const answer = await VM_STATE_HANDLERS['virtualmachines/start'](request('start'), ctx);
  expect(answer).toEqual({ status: 202 });
  expect(calls).toEqual([
    { verb: 'get', kind: 'VirtualMachine', name: 'web' },
    { verb: 'get', kind: 'VirtualMachineInstance', name: 'web' },
    {
      verb: 'patch',
      kind: 'VirtualMachine',
      name: 'web',
      ops: [
        { op: 'test', path: '/spec/runStrategy', value: 'Halted' },
        { op: 'replace', path: '/spec/runStrategy', value: 'Always' },
      ],
      opts: { dryRun: false, subresource: undefined },
    },
  ]);
});

test('stop of a Manual VM with a grace period: the VMI first, then the status subresource', async () => {
  const { ctx, calls } = fakeClient({
    vm: vm('Manual', { printableStatus: 'Running' }),
    vmi: vmi('Running', 180),
  });
  expect(await handleVmState('stop', request('stop', { gracePeriod: 10 }), ctx)).toEqual({ status: 202 });
  const patches = calls.filter((c) => c.verb === 'patch');
  expect(patches.map((p) => [p.kind, p.opts?.subresource])).toEqual([
    ['VirtualMachineInstance', undefined],
    ['VirtualMachine', 'status'],
  ]);
  expect(patches[1].ops).toEqual([
    { op: 'test', path: '/status/stateChangeRequests', value: null },
    { op: 'add', path: '/status/stateChangeRequests', value: [{ action: 'Stop', uid: 'vmi-uid' }] },
  ]);
});

test('dryRun sends every write with dryRun and answers the same 202', async () => {
  const { ctx, calls } = fakeClient({ vm: vm('Manual'), vmi: vmi('Running') });
  expect(
    await handleVmState('restart', request('restart', { gracePeriodSeconds: 0, dryRun: ['All'] }), ctx),
  ).toEqual({
    status: 202,
  });
  const patches = calls.filter((c) => c.verb === 'patch');
  expect(patches).toHaveLength(2);
  expect(patches.every((p) => p.opts?.dryRun === true)).toBe(true);
});

test('a refusal writes nothing and answers the Status', async () => {
  const { ctx, calls } = fakeClient({ vm: vm('Always'), vmi: vmi('Running') });
  const answer = await handleVmState('start', request('start'), ctx);
  expect(answer.status).toBe(409);
  expect(answer.body).toMatchObject({
    kind: 'Status',
    reason: 'Conflict',
    message: 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is already running',
  });
  expect(calls.some((c) => c.verb === 'patch')).toBe(false);
});

test('an unknown VM is a 404 naming it; a bad body is a 400 before anything is read', async () => {
  const missing = fakeClient({});
  expect((await handleVmState('stop', request('stop'), missing.ctx)).body).toMatchObject({
    code: 404,
    reason: 'NotFound',
    message: 'virtualmachine.kubevirt.io "web" not found',
  });
  const bad = fakeClient({ vm: vm('Always') });
  expect(
    (await handleVmState('restart', request('restart', { gracePeriodSeconds: 5 }), bad.ctx)).status,
  ).toBe(400);
  expect(bad.calls).toEqual([]);
});

test('only PUT is served', async () => {
  const { ctx, calls } = fakeClient({ vm: vm('Halted') });
  const answer = await handleVmState('start', request('start', undefined, 'POST'), ctx);
  expect(answer.status).toBe(405);
  expect(calls).toEqual([]);
});

test('a VM changed meanwhile (a failed test) is a 409, and the VMI grace period is put back', async () => {
  const { ctx, calls } = fakeClient(
    { vm: vm('Manual', { printableStatus: 'Running' }), vmi: vmi('Running', 180) },
    { vm: new KubeApiError('PATCH', '/x', 422, 'Invalid', PATCH_NOT_APPLIED) },
  );
  const answer = await handleVmState('stop', request('stop', { gracePeriod: 3 }), ctx);
  expect(answer.status).toBe(409);
  expect((answer.body as { message: string }).message).toMatch(/jsonpatch test operation does not apply/);
  const patches = calls.filter((c) => c.verb === 'patch');
  expect(patches.map((p) => p.kind)).toEqual([
    'VirtualMachineInstance',
    'VirtualMachine',
    'VirtualMachineInstance',
  ]);
  expect(patches[2].ops).toEqual([
    { op: 'test', path: '/spec/terminationGracePeriodSeconds', value: 3 },
    { op: 'replace', path: '/spec/terminationGracePeriodSeconds', value: 180 },
  ]);
});

test('a failed VMI write stops there: 500, the VM is not touched', async () => {
  const { ctx, calls } = fakeClient(
    { vm: vm('Always'), vmi: vmi('Running') },
    { vmi: new KubeApiError('PATCH', '/x', 403, 'Forbidden', 'no patch for you') },
  );
  const answer = await handleVmState('stop', request('stop', { gracePeriod: 0 }), ctx);
  expect(answer.body).toMatchObject({ code: 500, message: 'Internal error occurred: no patch for you' });
  expect(calls.filter((c) => c.verb === 'patch').map((p) => p.kind)).toEqual(['VirtualMachineInstance']);
});
