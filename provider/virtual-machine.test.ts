import * as pulumi from '@pulumi/pulumi';
import { Disk, DiskBus, RunStrategy, type kubevirtV1 } from '../api';
import { recordRegistrations, valueOf } from './testing/mocks';
import { VirtualMachine } from './virtual-machine';

const registered = recordRegistrations();

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

  it.each([
    ['Always', 'condition=Ready'],
    ['RerunOnFailure', 'condition=Ready'],
    ['Once', 'condition=Ready'],
    ['Halted', 'jsonpath={.status.printableStatus}=Stopped'],
  ] as const)('under %s waits for %s within the default timeout', async (rs, waitFor) => {
    const vm = new VirtualMachine(`vm-${rs.toLowerCase()}`, { spec: vmSpec(rs) });
    expect(await annotationsOf(vm)).toEqual({
      'pulumi.com/waitFor': waitFor,
      'pulumi.com/timeoutSeconds': '600',
    });
  });

  it('under Manual does not wait', async () => {
    const vm = new VirtualMachine('manual', { spec: vmSpec('Manual') });
    expect(await annotationsOf(vm)).toEqual({ 'pulumi.com/skipAwait': 'true' });
  });

  it('honours a timeout and the opt-out, and keeps the user annotations', async () => {
    const slow = new VirtualMachine('slow', {
      annotations: { owner: 'team-a' },
      await: { timeoutSeconds: 1200 },
      spec: vmSpec('Always'),
    });
    expect(await annotationsOf(slow)).toEqual({
      owner: 'team-a',
      'pulumi.com/waitFor': 'condition=Ready',
      'pulumi.com/timeoutSeconds': '1200',
    });
    const fire = new VirtualMachine('fire-and-forget', {
      await: { skipAwait: true },
      spec: vmSpec('Always'),
    });
    expect(await annotationsOf(fire)).toEqual({ 'pulumi.com/skipAwait': 'true' });
  });

  it('follows a run strategy that is only known later', async () => {
    const spec = { ...vmSpec('Always'), runStrategy: pulumi.output<kubevirtV1.RunStrategy>('Halted') };
    const vm = new VirtualMachine('later', { spec });
    expect((await annotationsOf(vm))?.['pulumi.com/waitFor']).toBe(
      'jsonpath={.status.printableStatus}=Stopped',
    );
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

  it('exposes printableStatus, ready and restartRequired from the status', async () => {
    const vm = new VirtualMachine('status', { spec: vmSpec('Always') });
    // The mocks echo inputs, and status is never an input: nothing is known yet.
    expect(await valueOf(vm.printableStatus)).toBeUndefined();
    expect(await valueOf(vm.ready)).toBe(false);
    expect(await valueOf(vm.restartRequired)).toBe(false);
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
      expect(manifest.metadata.annotations?.['pulumi.com/waitFor']).toBe(
        'jsonpath={.status.printableStatus}=Stopped',
      );
    });

    it('writes runStrategy Always when it is left out, as the construct does', async () => {
      const vm = new VirtualMachine('typed-default', { memory: '128Mi', disks: [root] });
      expect((await valueOf(vm.manifest)).spec).toMatchObject({ runStrategy: 'Always' });
      expect((await annotationsOf(vm))?.['pulumi.com/waitFor']).toBe('condition=Ready');
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
