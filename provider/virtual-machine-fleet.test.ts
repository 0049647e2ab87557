/**
 * `virtkit:index:VirtualMachineFleet` under Pulumi's mocks: one component, each member a
 * VirtualMachine object as the VirtualMachine component would send it (typed props rendered,
 * the fleet's defaults applied where the member sets none), every member waited for, and bad
 * input reported with the member's path.
 */
import * as pulumi from '@pulumi/pulumi';
import { Disk, DiskBus, InterfaceBinding, NetworkSource, RunStrategy } from '../api';
import { byType, clusterWithNetworks, recordRegistrations, valueOf } from './testing/mocks';
import { useNetworkReader } from './core/network-check';
import { useVmSettler, type SettleRequest } from './core/vm-settle';
import { settledAsPromised } from './testing/mocks';
import { fleetArgumentIssues, VirtualMachineFleet } from './virtual-machine-fleet';
import { VirtualMachine, type VirtualMachineArgs } from './virtual-machine';

const registered = recordRegistrations();
const waits: SettleRequest[] = [];
beforeEach(() => {
  waits.length = 0;
  useVmSettler((req) => {
    waits.push(req);
    return settledAsPromised(req);
  });
  useNetworkReader(() => clusterWithNetworks('*'));
});

const VM_TYPE = 'kubernetes:kubevirt.io/v1:VirtualMachine';
const FLEET_TYPE = 'virtkit:index:VirtualMachineFleet';

/** A member in typed props: a container disk on the pod network. */
function member(
  runStrategy: RunStrategy = RunStrategy.ALWAYS,
  bus: DiskBus = DiskBus.VIRTIO,
): VirtualMachineArgs {
  return {
    runStrategy,
    memory: '128Mi',
    disks: [{ name: 'root', source: Disk.containerDisk('registry.local/guest:1'), bus }],
    interfaces: [{ name: 'default', binding: InterfaceBinding.masquerade() }],
    networks: [{ name: 'default', source: NetworkSource.pod() }],
  };
}

function thrownBy(body: () => unknown): Error {
  try {
    body();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the constructor to throw');
}

describe('virtkit:index:VirtualMachineFleet', () => {
  it('registers one component and, per member, the object a VirtualMachine component sends', async () => {
    const fleet = new VirtualMachineFleet('web', {
      namespace: 'apps',
      vms: { 'web-1': member(), 'web-2': member(RunStrategy.HALTED) },
    });
    const single = new VirtualMachine('web-1', { namespace: 'apps', ...member() });
    await valueOf(fleet.vms);
    await valueOf(single.manifest);
    expect(byType(registered, FLEET_TYPE).map((r) => r.name)).toContain('web');
    const objects = byType(registered, VM_TYPE);
    const fromFleet = objects.find((r) => r.name === 'web-web-1');
    const fromComponent = objects.find((r) => r.name === 'web-1');
    expect(fromFleet?.inputs).toEqual(fromComponent?.inputs);
    expect(objects.find((r) => r.name === 'web-web-2')?.inputs).toMatchObject({
      metadata: { name: 'web-2', namespace: 'apps' },
      spec: { runStrategy: 'Halted' },
    });
  });

  it("applies the fleet's namespace, labels and await where a member sets none, and the member's own where it does", async () => {
    const fleet = new VirtualMachineFleet('db', {
      namespace: 'data',
      labels: { team: 'storage', tier: 'db' },
      await: { timeoutSeconds: 900 },
      vms: {
        primary: member(),
        replica: {
          ...member(),
          name: 'replica-0',
          namespace: 'data-dr',
          labels: { tier: 'replica' },
          await: { skipAwait: true },
        },
      },
    });
    const [primary, replica] = await Promise.all([
      valueOf(fleet.members.primary.manifest),
      valueOf(fleet.members.replica.manifest),
    ]);
    expect(primary.metadata).toMatchObject({
      name: 'primary',
      namespace: 'data',
      labels: { team: 'storage', tier: 'db' },
    });
    expect(replica.metadata).toMatchObject({
      name: 'replica-0',
      namespace: 'data-dr',
      labels: { team: 'storage', tier: 'replica' },
    });
    await valueOf(fleet.vms);
    expect(waits.find((w) => w.name === 'primary')).toMatchObject({ target: 'ready', timeoutSeconds: 900 });
    expect(waits.find((w) => w.name === 'replica-0')).toMatchObject({ target: 'none' });
  });

  it("waits for every member and reports each one's state, and ready only when all are", async () => {
    const fleet = new VirtualMachineFleet('mixed', {
      vms: { up: member(), down: member(RunStrategy.HALTED) },
    });
    const vms = await valueOf(fleet.vms);
    expect(waits.map((w) => [w.name, w.target]).sort()).toEqual([
      ['down', 'stopped'],
      ['up', 'ready'],
    ]);
    expect(vms.up).toMatchObject({ objectName: 'up', printableStatus: 'Running', ready: true });
    expect(vms.down).toMatchObject({ objectName: 'down', printableStatus: 'Stopped', ready: false });
    expect(await valueOf(fleet.ready)).toBe(false);
    const allUp = new VirtualMachineFleet('all-up', { vms: { a: member(), b: member() } });
    expect(await valueOf(allUp.ready)).toBe(true);
  });

  it("reports a member's bad prop at construction, naming the fleet, the member and the field", () => {
    const e = thrownBy(
      () =>
        new VirtualMachineFleet('bad', {
          vms: { good: member(), broken: member(RunStrategy.ALWAYS, 'floppy' as DiskBus) },
        }),
    );
    expect(e).toBeInstanceOf(pulumi.ResourceError);
    expect(e.message).toMatch(/virtkit:index:VirtualMachineFleet "bad"/);
    expect(e.message).toMatch(/vms\.broken\.spec\.template\.spec\.domain\.devices\.disks\[0\]\.disk\.bus/);
    expect(e.message).toMatch(/floppy/);
  });

  it('refuses keys that cannot be VM names and a timeout that is not a positive whole number', () => {
    const e = thrownBy(
      () =>
        new VirtualMachineFleet('keys', {
          await: { timeoutSeconds: 0 },
          vms: { Web_1: member(), ok: member() },
        }),
    );
    expect(e.message).toMatch(/vms\.Web_1: "Web_1" is not a valid VM name/);
    expect(e.message).toMatch(/await\.timeoutSeconds/);
    expect(fleetArgumentIssues({ vms: [] as never })[0]).toMatchObject({ path: 'vms' });
    expect(fleetArgumentIssues({ vms: {} })).toEqual([]);
  });
});
