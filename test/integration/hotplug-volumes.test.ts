/**
 * addvolume / removevolume of the subresource API against the real kube-apiserver, under the api
 * component's own identity and RBAC, and the VM controller's application of
 * status.volumeRequests under the controller's: the JSON patches apply (spec lists guarded by
 * `test`s, a status added to a VM without one), dryRun stores nothing, refusals carry KubeVirt's
 * words. The handlers are called directly; attaching to a guest is the end-to-end suite's.
 */
import { silentLogger } from '../../common/log';
import { componentKubeconfig, layout } from '../../cli/local/layout';
import { installRbac } from '../../cli/local/rbac';
import { handleVolumeRequest } from '../../apiserver/subresources/volumes';
import type { SubresourceContext, SubresourceRequest } from '../../apiserver/subresources/types';
import { applyVolumeRequests } from '../../controller/vm/volume-requests';
import type { VirtualMachine, VirtualMachineInstance } from '../../api/kubevirt/v1';
import { KubeClient, VIRTUAL_MACHINE_INSTANCES, VIRTUAL_MACHINES } from '../../kube';
import { sharedClient } from './support/api';
import { readShared } from './support/shared-controlplane';

const NS = 'default';
let admin: KubeClient;
let api: KubeClient;
let controller: KubeClient;
let ctx: SubresourceContext;

beforeAll(async () => {
  admin = await sharedClient();
  await installRbac(admin);
  const l = layout(readShared().stateDir);
  api = KubeClient.connect({
    kubeconfig: componentKubeconfig(l, 'virtkit-api'),
    fieldManager: 'virtkit-api',
  });
  controller = KubeClient.connect({
    kubeconfig: componentKubeconfig(l, 'virtkit-controller'),
    fieldManager: 'virtkit-controller',
  });
  ctx = { client: api, log: silentLogger(), featureGates: () => new Set(['HotplugVolumes']) };
});

afterAll(() => {
  api?.close();
  controller?.close();
});

function request(
  resource: SubresourceRequest['resource'],
  verb: string,
  name: string,
  body?: unknown,
): SubresourceRequest {
  return {
    method: 'PUT',
    namespace: NS,
    resource,
    name,
    subresource: verb,
    rest: [],
    query: new URLSearchParams(),
    body,
    user: { name: 'alice', groups: ['system:authenticated'], extra: {} },
  };
}

const template = {
  domain: { devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] }, memory: { guest: '64Mi' } },
  volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } }],
};
const addBody = (name: string, dryRun = false) => ({
  name,
  disk: { name, disk: { bus: 'scsi' }, serial: name },
  volumeSource: { persistentVolumeClaim: { claimName: `${name}-pvc` } },
  ...(dryRun ? { dryRun: ['All'] } : {}),
});
const message = (a: { body?: unknown }) => (a.body as { message?: string }).message;

async function runningVmi(name: string): Promise<void> {
  await admin
    .getIfExists(VIRTUAL_MACHINE_INSTANCES, NS, name)
    .then((o) => o && admin.delete(VIRTUAL_MACHINE_INSTANCES, NS, name));
  const created = await admin.create<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: template,
  });
  await admin.updateStatus(VIRTUAL_MACHINE_INSTANCES, NS, name, { ...created, status: { phase: 'Running' } });
}

const vmiSpec = async (name: string) =>
  (await admin.get<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, name))
    .spec as unknown as typeof template;

test('VMI addvolume patches the running VMI spec; dryRun stores nothing; removevolume takes it out', async () => {
  await runningVmi('hp-vmi');
  const dry = await handleVolumeRequest(
    'addvolume',
    request('virtualmachineinstances', 'addvolume', 'hp-vmi', addBody('data', true)),
    ctx,
  );
  expect(dry).toEqual({ status: 202 });
  expect((await vmiSpec('hp-vmi')).volumes).toHaveLength(1);

  const ok = await handleVolumeRequest(
    'addvolume',
    request('virtualmachineinstances', 'addvolume', 'hp-vmi', addBody('data')),
    ctx,
  );
  expect(ok).toEqual({ status: 202 });
  const spec = await vmiSpec('hp-vmi');
  expect(spec.volumes[1]).toEqual({
    name: 'data',
    persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true },
  });
  expect(spec.domain.devices.disks[1]).toEqual({ name: 'data', disk: { bus: 'scsi' }, serial: 'data' });

  const twice = await handleVolumeRequest(
    'addvolume',
    request('virtualmachineinstances', 'addvolume', 'hp-vmi', addBody('data')),
    ctx,
  );
  expect(twice.status).toBe(409);
  expect(message(twice)).toBe(
    'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "hp-vmi": Unable to add volume [data] because volume with that name already exists',
  );
  const notHot = await handleVolumeRequest(
    'removevolume',
    request('virtualmachineinstances', 'removevolume', 'hp-vmi', { name: 'root' }),
    ctx,
  );
  expect(message(notHot)).toContain('Unable to remove volume [root] because it is not hotpluggable');

  expect(
    await handleVolumeRequest(
      'removevolume',
      request('virtualmachineinstances', 'removevolume', 'hp-vmi', { name: 'data' }),
      ctx,
    ),
  ).toEqual({ status: 202 });
  expect((await vmiSpec('hp-vmi')).volumes.map((v) => v.name)).toEqual(['root']);
  expect((await vmiSpec('hp-vmi')).domain.devices.disks.map((d) => d.name)).toEqual(['root']);
});

test('refusals: the gate off (400), a VMI that does not run (409), a body without a disk (400)', async () => {
  const off = await handleVolumeRequest(
    'addvolume',
    request('virtualmachineinstances', 'addvolume', 'hp-vmi', addBody('x')),
    {
      ...ctx,
      featureGates: () => new Set(),
    },
  );
  expect(off.status).toBe(400);
  expect(message(off)).toBe('Unable to Add Volume because HotplugVolumes feature gate is not enabled.');
  const noDisk = await handleVolumeRequest(
    'addvolume',
    request('virtualmachineinstances', 'addvolume', 'hp-vmi', { name: 'x', volumeSource: {} }),
    ctx,
  );
  expect(message(noDisk)).toBe('AddVolumeOptions requires disk to not be nil');
  await admin
    .getIfExists(VIRTUAL_MACHINE_INSTANCES, NS, 'hp-pending')
    .then((o) => o && admin.delete(VIRTUAL_MACHINE_INSTANCES, NS, 'hp-pending'));
  await admin.create(VIRTUAL_MACHINE_INSTANCES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'hp-pending' },
    spec: template,
  });
  const pending = await handleVolumeRequest(
    'addvolume',
    request('virtualmachineinstances', 'addvolume', 'hp-pending', addBody('x')),
    ctx,
  );
  expect(pending.status).toBe(409);
  expect(message(pending)).toContain('VMI is not running');
});

test('VM addvolume (--persist) records status.volumeRequests; the controller applies them to the template and the VMI', async () => {
  await admin
    .getIfExists(VIRTUAL_MACHINES, NS, 'hp-vm')
    .then((o) => o && admin.delete(VIRTUAL_MACHINES, NS, 'hp-vm'));
  await admin.create(VIRTUAL_MACHINES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'hp-vm' },
    spec: { runStrategy: 'Halted', template: { spec: template } },
  });
  const dry = await handleVolumeRequest(
    'addvolume',
    request('virtualmachines', 'addvolume', 'hp-vm', addBody('data', true)),
    ctx,
  );
  expect(dry).toEqual({ status: 202 });
  expect(
    (await admin.get<VirtualMachine>(VIRTUAL_MACHINES, NS, 'hp-vm')).status?.volumeRequests,
  ).toBeUndefined();

  expect(
    await handleVolumeRequest(
      'addvolume',
      request('virtualmachines', 'addvolume', 'hp-vm', addBody('data')),
      ctx,
    ),
  ).toEqual({ status: 202 });
  const again = await handleVolumeRequest(
    'addvolume',
    request('virtualmachines', 'addvolume', 'hp-vm', addBody('data')),
    ctx,
  );
  expect(message(again)).toContain('add volume request for volume [data] already exists');
  let vm = await admin.get<VirtualMachine>(VIRTUAL_MACHINES, NS, 'hp-vm');
  expect(vm.status?.volumeRequests?.[0]?.addVolumeOptions?.name).toBe('data');

  await runningVmi('hp-vm');
  const vmi = await admin.get<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, NS, 'hp-vm');
  expect(await applyVolumeRequests(controller, vm, vmi)).toBe(true);
  vm = await admin.get<VirtualMachine>(VIRTUAL_MACHINES, NS, 'hp-vm');
  expect(vm.status?.volumeRequests).toBeUndefined();
  expect(vm.spec.template.spec?.volumes?.map((v) => v.name)).toEqual(['root', 'data']);
  expect((await vmiSpec('hp-vm')).volumes.map((v) => v.name)).toEqual(['root', 'data']);
});
