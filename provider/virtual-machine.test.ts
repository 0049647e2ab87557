/**
 * `virtkit:index:VirtualMachine` under Pulumi's mocks: what it sends (the object, its
 * annotations), how it waits (the request it hands to core/vm-settle's settleVm, the I/O
 * loop, replaced here by a stand-in answering with what a controller would have written), and
 * the outputs it takes from that last read.
 */
import * as pulumi from '@pulumi/pulumi';
import { Disk, DiskBus, RunStrategy, type kubevirtV1 } from '../api';
import { inPreview, recordRegistrations, valueOf } from './testing/mocks';
import { useVmSettler, type SettleRequest, type VmObservation } from './core/vm-settle';
import { instanceAddresses, VirtualMachine } from './virtual-machine';

const settle = jest.fn<Promise<VmObservation>, [SettleRequest]>();

/** A running guest's instance: two interfaces, one address on both, one without a list. */
const RUNNING_INSTANCE = {
  status: {
    phase: 'Running',
    nodeName: 'node-2',
    interfaces: [
      { name: 'default', ipAddress: '10.244.0.7', ipAddresses: ['10.244.0.7', 'fd10:244::7'] },
      { name: 'storage', ipAddress: '192.168.50.9' },
      { name: 'vip', ipAddresses: ['10.244.0.7'] },
      { name: 'no-address-yet' },
    ],
  },
} as VmObservation['vmi'];

/** What the controller would have written once the VM got where its target says. */
function settled(req: SettleRequest): VmObservation {
  if (req.target === 'stopped')
    return { vm: { metadata: { generation: 1 }, status: { printableStatus: 'Stopped' } } };
  return {
    vm: {
      metadata: { generation: 1 },
      status: {
        printableStatus: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    } as VmObservation['vm'],
    vmi: RUNNING_INSTANCE,
  };
}

beforeEach(() => {
  settle.mockReset();
  settle.mockImplementation((req) => Promise.resolve(settled(req)));
});

const registered = recordRegistrations();
useVmSettler(settle);

/** The wait the component asked for, for the VM named `name`. */
function requestFor(name: string): SettleRequest | undefined {
  return settle.mock.calls.map(([r]) => r).find((r) => r.name === name);
}

function vmSpec(runStrategy: kubevirtV1.RunStrategy, bus = 'virtio'): kubevirtV1.VirtualMachineSpec {
  return {
    runStrategy,
    template: {
      spec: {
        domain: {
          memory: { guest: '128Mi' },
          devices: { disks: [{ name: 'root', disk: { bus } }] },
        },
        volumes: [{ name: 'root', containerDisk: { image: 'registry.local/guest:1' } }],
      },
    },
  } as kubevirtV1.VirtualMachineSpec;
}

async function annotationsOf(vm: VirtualMachine): Promise<Record<string, string> | undefined> {
  return (await valueOf(vm.manifest)).metadata.annotations;
}

describe('virtkit:index:VirtualMachine', () => {
  it('creates the VM as a kubevirt.io/v1 custom resource named after the component', async () => {
    const vm = new VirtualMachine('web', {
      namespace: 'apps',
      labels: { tier: 'web' },
      spec: vmSpec('Always'),
    });
    expect(await valueOf(vm.objectName)).toBe('web');
    expect(await valueOf(vm.namespace)).toBe('apps');
    await valueOf(vm.manifest);
    const cr = registered.find(
      (r) => r.type === 'kubernetes:kubevirt.io/v1:VirtualMachine' && r.name === 'web',
    );
    expect(cr?.inputs).toMatchObject({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: 'web', namespace: 'apps', labels: { tier: 'web' } },
      spec: { runStrategy: 'Always' },
    });
    expect(cr?.inputs).not.toHaveProperty('status');
  });

  it('tells the provider not to wait (the component waits), keeping the user annotations', async () => {
    for (const rs of ['Always', 'Halted', 'Manual'] as const) {
      const vm = new VirtualMachine(`skip-${rs.toLowerCase()}`, {
        annotations: { owner: 'team-a' },
        spec: vmSpec(rs),
      });
      expect(await annotationsOf(vm)).toEqual({ owner: 'team-a', 'pulumi.com/skipAwait': 'true' });
    }
  });

  it.each([
    ['Always', 'ready'],
    ['RerunOnFailure', 'ready'],
    ['Once', 'ready'],
    ['Halted', 'stopped'],
    ['Manual', 'none'],
  ] as const)('under %s waits until %s within the default timeout', async (rs, target) => {
    const name = `vm-${rs.toLowerCase()}`;
    const vm = new VirtualMachine(name, { namespace: 'apps', spec: vmSpec(rs) });
    await valueOf(vm.status);
    expect(requestFor(name)).toMatchObject({ namespace: 'apps', name, target, timeoutSeconds: 600 });
  });

  it('honours a timeout, and with the opt-out only reads once', async () => {
    const slow = new VirtualMachine('slow', { await: { timeoutSeconds: 1200 }, spec: vmSpec('Always') });
    const fire = new VirtualMachine('fire-and-forget', {
      await: { skipAwait: true },
      spec: vmSpec('Always'),
    });
    await Promise.all([valueOf(slow.status), valueOf(fire.status)]);
    expect(requestFor('slow')).toMatchObject({ target: 'ready', timeoutSeconds: 1200 });
    expect(requestFor('fire-and-forget')).toMatchObject({ target: 'none' });
  });

  it('follows a run strategy that is only known later', async () => {
    const spec = { ...vmSpec('Always'), runStrategy: pulumi.output<kubevirtV1.RunStrategy>('Halted') };
    const vm = new VirtualMachine('later', { spec });
    await valueOf(vm.status);
    expect(requestFor('later')?.target).toBe('stopped');
  });

  it('takes its outputs from the last read: the status, and the guest addresses and node from the instance', async () => {
    settle.mockImplementation((req) =>
      Promise.resolve({
        vm: {
          metadata: { generation: 2 },
          status: {
            printableStatus: 'Running',
            desiredGeneration: 2,
            observedGeneration: 1,
            conditions: [
              { type: 'Ready', status: 'True' },
              { type: 'RestartRequired', status: 'True' },
            ],
          },
        } as VmObservation['vm'],
        vmi: req.target === 'ready' ? RUNNING_INSTANCE : undefined,
      }),
    );
    const vm = new VirtualMachine('outputs', { namespace: 'apps', spec: vmSpec('Always') });
    expect(await valueOf(vm.printableStatus)).toBe('Running');
    expect(await valueOf(vm.ready)).toBe(true);
    expect(await valueOf(vm.restartRequired)).toBe(true);
    expect(await valueOf(vm.ipAddresses)).toEqual(['10.244.0.7', 'fd10:244::7', '192.168.50.9']);
    expect(await valueOf(vm.nodeName)).toBe('node-2');
    expect((await valueOf(vm.status))?.desiredGeneration).toBe(2);
  });

  it('a stopped VM has no addresses and no node', async () => {
    const vm = new VirtualMachine('stopped', { spec: vmSpec('Halted') });
    expect(await valueOf(vm.printableStatus)).toBe('Stopped');
    expect(await valueOf(vm.ready)).toBe(false);
    expect(await valueOf(vm.ipAddresses)).toEqual([]);
    expect(await valueOf(vm.nodeName)).toBeUndefined();
  });

  it("in a preview reads nothing: the status is the state's, no instance is known", async () => {
    const vm = await inPreview(async () => {
      const v = new VirtualMachine('previewed', { namespace: 'apps', spec: vmSpec('Always') });
      await valueOf(v.ready);
      return v;
    });
    expect(requestFor('previewed')).toBeUndefined();
    // Known once `up` has applied the VM, not before.
    expect(await (vm.ipAddresses as unknown as { isKnown: Promise<boolean> }).isKnown).toBe(false);
  });

  it('rejects an invalid disk bus at construction, naming the component and the field', () => {
    let thrown: unknown;
    try {
      new VirtualMachine('bad-bus', { spec: vmSpec('Always', 'floppy') });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(pulumi.ResourceError);
    expect((thrown as Error).message).toMatch(/virtkit:index:VirtualMachine "bad-bus"/);
    expect((thrown as Error).message).toMatch(/spec\.template\.spec\.domain\.devices\.disks\[0\]\.disk\.bus/);
    expect((thrown as Error).message).toMatch(/floppy/);
  });

  it('refuses a timeout that is not a positive whole number', () => {
    expect(
      () => new VirtualMachine('bad-timeout', { await: { timeoutSeconds: -5 }, spec: vmSpec('Always') }),
    ).toThrow(/virtkit:index:VirtualMachine "bad-timeout"[\s\S]*await\.timeoutSeconds/);
  });

  it('takes every address of every interface in order, ipAddress when the list is missing, each once', () => {
    expect(instanceAddresses(undefined)).toEqual([]);
    expect(instanceAddresses({ interfaces: [] } as never)).toEqual([]);
    expect(
      instanceAddresses({
        interfaces: [
          { ipAddress: '10.0.0.2' },
          { ipAddress: '10.0.0.3', ipAddresses: ['10.0.0.3', '10.0.0.2', 'fd00::3'] },
        ],
      } as never),
    ).toEqual(['10.0.0.2', '10.0.0.3', 'fd00::3']);
  });

  describe('with the typed props of the construct', () => {
    const root = { name: 'root', source: Disk.containerDisk('registry.local/guest:1') };

    it('renders the spec through api/render and waits as its run strategy says', async () => {
      const vm = new VirtualMachine('typed', {
        memory: '128Mi',
        disks: [root],
        runStrategy: RunStrategy.HALTED,
      });
      const manifest = await valueOf(vm.manifest);
      expect(manifest.spec).toEqual({
        runStrategy: 'Halted',
        template: {
          spec: {
            domain: { devices: { disks: [{ disk: {}, name: 'root' }] }, memory: { guest: '128Mi' } },
            volumes: [{ containerDisk: { image: 'registry.local/guest:1' }, name: 'root' }],
          },
        },
      });
      await valueOf(vm.status);
      expect(requestFor('typed')?.target).toBe('stopped');
    });

    it('writes runStrategy Always when it is left out, as the construct does', async () => {
      const vm = new VirtualMachine('typed-default', { memory: '128Mi', disks: [root] });
      expect((await valueOf(vm.manifest)).spec).toMatchObject({ runStrategy: 'Always' });
      await valueOf(vm.status);
      expect(requestFor('typed-default')?.target).toBe('ready');
    });

    it('refuses spec and typed props together, naming the component and both sides', () => {
      let thrown: unknown;
      try {
        new VirtualMachine('both', { memory: '128Mi', disks: [root], spec: vmSpec('Always') });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(pulumi.ResourceError);
      expect((thrown as Error).message).toMatch(/virtkit:index:VirtualMachine "both" is invalid/);
      expect((thrown as Error).message).toMatch(
        /spec: cannot be combined with the typed props \(memory, disks\)/,
      );
    });

    it('reports a bad typed value at its field path in the rendered spec', () => {
      expect(
        () =>
          new VirtualMachine('typed-bad-bus', {
            memory: '128Mi',
            disks: [{ ...root, bus: 'floppy' as DiskBus }],
          }),
      ).toThrow(
        /virtkit:index:VirtualMachine "typed-bad-bus"[\s\S]*spec\.template\.spec\.domain\.devices\.disks\[0\]\.disk\.bus[\s\S]*floppy/,
      );
    });

    it('refuses a plain object where a value class belongs, with the fix', () => {
      const notADisk = { containerDisk: { image: 'x' } } as unknown as Disk;
      expect(
        () => new VirtualMachine('untyped', { memory: '128Mi', disks: [{ name: 'root', source: notADisk }] }),
      ).toThrow(
        /virtkit:index:VirtualMachine "untyped"[\s\S]*cannot render the typed props[\s\S]*Disk\.containerDisk/,
      );
    });
  });
});
