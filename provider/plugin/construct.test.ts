import * as pulumi from '@pulumi/pulumi';
import type { VirtkitComponent } from '../core/component';
import { byType, recordRegistrations, valueOf } from '../testing/mocks';
import {
  ConstructInputError,
  constructComponent,
  renderFailure,
  SERVED_COMPONENTS,
  UnknownComponentError,
  VirtkitProvider,
} from './construct';
import { packageSchema } from './package-schema';

const registered = recordRegistrations();
const schema = packageSchema();

/** A VM spec in KubeVirt's shape, as a YAML program writes it. */
function vmSpec(memory = '128Mi', bus = 'virtio'): Record<string, unknown> {
  return {
    runStrategy: 'Manual',
    template: {
      spec: {
        domain: { memory: { guest: memory }, devices: { disks: [{ name: 'root', disk: { bus } }] } },
        volumes: [{ name: 'root', containerDisk: { image: 'registry.local/guest:1' } }],
      },
    },
  };
}

const construct = (name: string, token: string, inputs: pulumi.Inputs, options = {}) =>
  constructComponent(schema, name, token, inputs, options);

/** The inputs of the child object a component registered under `type` named `name`. */
function child(type: string, name: string): Record<string, unknown> | undefined {
  return byType(registered, type).find((r) => r.name === name)?.inputs;
}

/** Plain inputs that make a valid component of each kind, for the table-wide checks. */
const VALID_INPUTS: Record<string, pulumi.Inputs> = {
  VirtualMachine: { spec: vmSpec() },
  Instancetype: { spec: { cpu: { guest: 1 }, memory: { guest: '1Gi' } } },
  Preference: { spec: { devices: { preferredDiskBus: 'virtio' } } },
  InstancetypeLibrary: { series: ['u1'], sizes: ['small'] },
  PreferenceLibrary: { os: ['fedora'] },
  MultusNetwork: { config: { cniVersion: '0.3.1', type: 'bridge', bridge: 'br1' } },
  KubeOvnSubnet: { spec: { cidrBlock: '10.66.0.0/24', protocol: 'IPv4' } },
  VirtualMachineSnapshot: {
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' } },
  },
  VirtualMachineRestore: {
    spec: {
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' },
      virtualMachineSnapshotName: 'snap',
    },
  },
  DataVolume: { spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } } },
  Install: {},
  VirtualMachineFleet: {
    vms: { one: { spec: vmSpec() }, two: { spec: { ...vmSpec(), runStrategy: 'Halted' } } },
  },
};

describe('constructComponent', () => {
  it('builds a VirtualMachine from plain inputs and returns its URN and declared outputs', async () => {
    const result = construct('web', 'virtkit:index:VirtualMachine', {
      namespace: 'apps',
      labels: { tier: 'web' },
      await: { skipAwait: true },
      spec: vmSpec(),
    });
    expect(await valueOf(pulumi.output(result.urn))).toContain('virtkit:index:VirtualMachine::web');
    expect(Object.keys(result.state).sort()).toEqual(
      Object.keys(schema.resources['virtkit:index:VirtualMachine'].properties).sort(),
    );
    expect(await valueOf(result.state.objectName as pulumi.Output<string>)).toBe('web');
    expect(await valueOf(result.state.namespace as pulumi.Output<string>)).toBe('apps');
    const vm = child('kubernetes:kubevirt.io/v1:VirtualMachine', 'web');
    expect(vm).toMatchObject({
      metadata: {
        name: 'web',
        namespace: 'apps',
        labels: { tier: 'web' },
        annotations: { 'pulumi.com/skipAwait': 'true' },
      },
      spec: { runStrategy: 'Manual', template: { spec: { domain: { memory: { guest: '128Mi' } } } } },
    });
  });

  it('passes the VirtualMachine typed props that are plain data through to the component', async () => {
    const result = construct('typed', 'virtkit:index:VirtualMachine', {
      runStrategy: 'Halted',
      memory: '256Mi',
      cpu: { cores: 2 },
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
    });
    await valueOf(result.state.objectName as pulumi.Output<string>);
    expect(child('kubernetes:kubevirt.io/v1:VirtualMachine', 'typed')).toMatchObject({
      // The component waits for Stopped itself; the provider is told not to.
      metadata: { annotations: { 'pulumi.com/skipAwait': 'true' } },
      spec: {
        runStrategy: 'Halted',
        template: {
          spec: {
            domain: { cpu: { cores: 2 }, memory: { guest: '256Mi' } },
            nodeSelector: { 'kubernetes.io/arch': 'amd64' },
          },
        },
      },
    });
  });

  it('takes outputs anywhere in spec, as the engine sends values that depend on other resources', async () => {
    const result = construct('late', 'virtkit:index:VirtualMachine', {
      name: pulumi.output('late-vm'),
      spec: pulumi.output(vmSpec('512Mi')),
    });
    expect(await valueOf(result.state.objectName as pulumi.Output<string>)).toBe('late-vm');
    expect(child('kubernetes:kubevirt.io/v1:VirtualMachine', 'late')).toMatchObject({
      metadata: { name: 'late-vm' },
      spec: { template: { spec: { domain: { memory: { guest: '512Mi' } } } } },
    });
  });

  it('passes the resource options through: the component is the parent of nothing but its own', async () => {
    const parent = new pulumi.ComponentResource('test:index:Stack', 'outer');
    const result = construct('nested', 'virtkit:index:Instancetype', VALID_INPUTS.Instancetype, { parent });
    expect(await valueOf(pulumi.output(result.urn))).toContain(
      'test:index:Stack$virtkit:index:Instancetype::nested',
    );
  });

  it.each(Object.keys(VALID_INPUTS))('serves %s with every output the schema declares', async (typeName) => {
    const token = `virtkit:index:${typeName}`;
    const result = construct(`all-${typeName.toLowerCase()}`, token, VALID_INPUTS[typeName]);
    for (const key of Object.keys(schema.resources[token].properties))
      expect([key, result.state[key] !== undefined]).toEqual([key, true]);
  });

  it('covers every served component in the table above', () => {
    expect(Object.keys(VALID_INPUTS).sort()).toEqual([...SERVED_COMPONENTS].sort());
  });

  it('refuses a token it does not serve, naming it and the ones it does', () => {
    let error: unknown;
    try {
      construct('x', 'virtkit:index:VirtualMachinePool', {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownComponentError);
    expect((error as Error).message).toMatch(/"virtkit:index:VirtualMachinePool"/);
    expect((error as Error).message).toContain('virtkit:index:VirtualMachine, ');
    expect(() => construct('x', 'kubernetes:core/v1:Pod', {})).toThrow(
      /no component "kubernetes:core\/v1:Pod"/,
    );
  });

  it('refuses an undeclared input and a missing required one, in one report', () => {
    expect(() => construct('odd', 'virtkit:index:Instancetype', { sepc: {} })).toThrow(ConstructInputError);
    expect(() => construct('odd', 'virtkit:index:Instancetype', { sepc: {} })).toThrow(
      /virtkit:index:Instancetype "odd" is invalid \(2 errors\):\n {2}- sepc: is not an input[\s\S]*- spec: is required/,
    );
  });

  it('refuses an output where the component needs a plain value, naming the component and field', () => {
    expect(() =>
      construct('computed', 'virtkit:index:VirtualMachine', {
        runStrategy: 'Manual',
        memory: pulumi.output('1Gi'),
      }),
    ).toThrow(/virtkit:index:VirtualMachine "computed"[\s\S]*- memory: must be a plain value[\s\S]*`spec`/);
    expect(() =>
      construct('waiting', 'virtkit:index:DataVolume', {
        ...VALID_INPUTS.DataVolume,
        await: { timeoutSeconds: pulumi.output(60) },
      }),
    ).toThrow(/virtkit:index:DataVolume "waiting"[\s\S]*- await: must be a plain value/);
  });

  it("refuses an output in a fleet member's typed prop, naming the member and the field", () => {
    expect(() =>
      construct('fleet', 'virtkit:index:VirtualMachineFleet', {
        vms: { ok: { spec: vmSpec() }, computed: { runStrategy: 'Manual', memory: pulumi.output('1Gi') } },
      }),
    ).toThrow(
      /virtkit:index:VirtualMachineFleet "fleet"[\s\S]*- vms\.computed\.memory: must be a plain value[\s\S]*`spec`/,
    );
    expect(() =>
      construct('fleet-out', 'virtkit:index:VirtualMachineFleet', { vms: pulumi.output({}) }),
    ).toThrow(/- vms: must be a plain value/);
  });

  it("builds a fleet whose members' spec holds outputs, and reports a member's bad input with its path", async () => {
    const result = construct('fleet-ok', 'virtkit:index:VirtualMachineFleet', {
      namespace: 'apps',
      vms: { web: { spec: { ...vmSpec(), runStrategy: pulumi.output('Manual') } } },
    });
    expect(await valueOf(pulumi.output(result.urn))).toContain('virtkit:index:VirtualMachineFleet::fleet-ok');
    expect(await valueOf(result.state.ready as pulumi.Output<boolean>)).toBe(false);
    expect(child('kubernetes:kubevirt.io/v1:VirtualMachine', 'fleet-ok-web')).toMatchObject({
      metadata: { name: 'web', namespace: 'apps' },
    });
    expect(() =>
      construct('fleet-bad', 'virtkit:index:VirtualMachineFleet', {
        vms: { broken: { spec: vmSpec('128Mi', 'floppy') } },
      }),
    ).toThrow(
      /virtkit:index:VirtualMachineFleet "fleet-bad"[\s\S]*vms\.broken\.spec\.template\.spec\.domain\.devices\.disks\[0\]\.disk\.bus/,
    );
  });

  it("surfaces the component's own ResourceError for bad input, naming the component and field", () => {
    expect(() =>
      construct('bad-bus', 'virtkit:index:VirtualMachine', { spec: vmSpec('128Mi', 'floppy') }),
    ).toThrow(
      /virtkit:index:VirtualMachine "bad-bus"[\s\S]*spec\.template\.spec\.domain\.devices\.disks\[0\]\.disk\.bus/,
    );
    expect(() =>
      construct('bad-memory', 'virtkit:index:VirtualMachine', { runStrategy: 'Manual', memory: 'lots' }),
    ).toThrow(/virtkit:index:VirtualMachine "bad-memory"[\s\S]*memory/);
  });
});

describe('VirtkitProvider', () => {
  const provider = new VirtkitProvider();

  it('constructs through the promise the provider server awaits', async () => {
    const result = await provider.construct('served', 'virtkit:index:Install', {}, {});
    expect(await valueOf(pulumi.output(result.state.crdNames as string[]))).toContain(
      'virtualmachines.kubevirt.io',
    );
  });

  it('rejects, never throws, on bad input', async () => {
    const pending = provider.construct('nope', 'virtkit:index:Nope', {}, {});
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).rejects.toThrow(UnknownComponentError);
  });
});

describe('renderFailure', () => {
  // A real component with late bad input also has a child whose registration fails, which the
  // provider server (not jest) reports; the check itself is observed on stand-ins.
  const withManifest = (manifest: unknown) => ({ manifest }) as unknown as VirtkitComponent;

  it("is the error of a component's failed manifest", async () => {
    const bad = new Error('virtkit:index:VirtualMachine "x" is invalid');
    expect(await renderFailure(withManifest(pulumi.output(Promise.reject(bad))))).toBe(bad);
  });

  it('is undefined for a rendered manifest, an unknown one and a component without one', async () => {
    expect(await renderFailure(withManifest(pulumi.output({ kind: 'VirtualMachine' })))).toBeUndefined();
    expect(await renderFailure(withManifest(pulumi.unknown))).toBeUndefined();
    expect(await renderFailure(withManifest(undefined))).toBeUndefined();
  });
});
