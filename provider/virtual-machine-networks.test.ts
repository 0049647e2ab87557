/**
 * `virtkit:index:VirtualMachine` refuses a Multus network that does not exist, before the VM is
 * registered, at preview as at up: the cluster's networks are a stand-in here
 * (core/network-check.ts's useNetworkReader), the program's own MultusNetwork components count,
 * and a cluster that cannot say is a warning, not a failure.
 *
 * The refusals are observed on a component without children that runs the VirtualMachine's own
 * check (vmNetworkCheck) on its rendered spec: a VirtualMachine that fails after construction
 * leaves its child's registration failing with promises nothing awaits, which Pulumi's language
 * host reports once per error but jest would report as failures of the test.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { Disk, InterfaceBinding, kubevirtV1, NetworkSource } from '../api';
import {
  byType,
  clusterWithNetworks,
  failureOf,
  inPreview,
  recordRegistrations,
  valueOf,
} from './testing/mocks';
import { VirtkitComponent } from './core/component';
import type { DeepInput } from './core/inputs';
import { useNetworkReader, vmNetworkCheck } from './core/network-check';
import { MultusNetwork } from './multus-network';
import { VirtualMachine } from './virtual-machine';

const registered = recordRegistrations();

let reads: string[];
beforeEach(() => {
  reads = [];
  useNetworkReader(() => clusterWithNetworks(['apps/storage', 'infra/vlan100'], reads));
});

/** A VM in KubeVirt's shape with the pod network and a Multus network named `networkName`. */
function vmSpec(networkName: pulumi.Input<string>): kubevirtV1.VirtualMachineSpec {
  return {
    runStrategy: 'Manual',
    template: {
      spec: {
        domain: {
          memory: { guest: '128Mi' },
          devices: {
            disks: [{ name: 'root', disk: { bus: 'virtio' } }],
            interfaces: [
              { name: 'default', masquerade: {} },
              { name: 'second', bridge: {} },
            ],
          },
        },
        networks: [
          { name: 'default', pod: {} },
          { name: 'second', multus: { networkName } },
        ],
        volumes: [{ name: 'root', containerDisk: { image: 'registry.local/guest:1' } }],
      },
    },
  } as kubevirtV1.VirtualMachineSpec;
}

/** The VirtualMachine's rendering, validation and network check, without the VM object. */
class CheckedVm extends VirtkitComponent {
  readonly manifest: pulumi.Output<{ metadata: { name: string; namespace?: string }; spec: unknown }>;
  constructor(name: string, namespace: string, spec: DeepInput<kubevirtV1.VirtualMachineSpec>) {
    super('VirtualMachine', name);
    const rendered = this.renderChecked<
      { spec: kubevirtV1.VirtualMachineSpec },
      { metadata: { name: string; namespace?: string }; spec: unknown }
    >(kubevirtV1.VirtualMachineKind, { spec }, ({ spec: s }) => ({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name, namespace },
      spec: s,
    }));
    this.manifest = this.checkedBy(rendered, vmNetworkCheck(spec));
    this.done({});
  }
}

const registeredVm = (name: string) =>
  byType(registered, 'kubernetes:kubevirt.io/v1:VirtualMachine').find((r) => r.name === name);

const PATH = 'spec.template.spec.networks[1].multus.networkName';

describe('a VirtualMachine naming a Multus network that does not exist', () => {
  it('is refused, naming the component, the field, the value and the fix', async () => {
    const failure = await failureOf(new CheckedVm('web', 'apps', vmSpec('nope')).manifest);
    expect(failure).toBeInstanceOf(pulumi.ResourceError);
    expect((failure as Error).message).toBe(
      'virtkit:index:VirtualMachine "web" is invalid (1 error):\n' +
        `  - ${PATH}: networkName "nope" names NetworkAttachmentDefinition apps/nope, which does not exist; ` +
        'create it first (kubectl get network-attachment-definitions -n apps lists those that do), or declare it in ' +
        'this program: a virtkit MultusNetwork component with name nope and namespace apps, or a ' +
        'NetworkAttachmentDefinition resource whose name this field takes from its output',
    );
    expect(reads).toEqual(['apps/nope']);
  });

  it('is refused at preview too, and when the spec holds outputs', async () => {
    const failure = await inPreview(() =>
      failureOf(new CheckedVm('previewed', 'apps', vmSpec(pulumi.output('infra/nope'))).manifest),
    );
    expect((failure as Error).message).toMatch(
      /virtkit:index:VirtualMachine "previewed" is invalid[\s\S]*networks\[1\]\.multus\.networkName: networkName "infra\/nope" names NetworkAttachmentDefinition infra\/nope/,
    );
  });
});

describe('a VirtualMachine naming a Multus network', () => {
  it('is checked when built from the typed props, in its namespace', async () => {
    const vm = new VirtualMachine('typed', {
      namespace: 'apps',
      memory: '128Mi',
      disks: [{ name: 'root', source: Disk.containerDisk('registry.local/guest:1') }],
      interfaces: [
        { name: 'default', binding: InterfaceBinding.masquerade() },
        { name: 'second', binding: InterfaceBinding.bridge() },
      ],
      networks: [
        { name: 'default', source: NetworkSource.pod() },
        { name: 'second', source: NetworkSource.multus('storage') },
      ],
    });
    await valueOf(vm.manifest);
    expect(reads).toEqual(['apps/storage']);
  });

  it('passes when the cluster has the network, in its own namespace or the VM’s', async () => {
    const here = new VirtualMachine('here', { namespace: 'apps', spec: vmSpec('storage') });
    const there = new VirtualMachine('there', { namespace: 'apps', spec: vmSpec('infra/vlan100') });
    await Promise.all([valueOf(here.manifest), valueOf(there.manifest)]);
    expect(reads.sort()).toEqual(['apps/storage', 'infra/vlan100']);
  });

  it('passes without reading the cluster when this program declares the network with MultusNetwork', async () => {
    new MultusNetwork('bridge-net', { namespace: 'apps', config: { cniVersion: '0.3.1', type: 'bridge' } });
    const vm = new VirtualMachine('declared', { namespace: 'apps', spec: vmSpec('bridge-net') });
    expect(await valueOf(vm.objectName)).toBe('declared');
    expect(reads).toEqual([]);
    expect(registeredVm('declared')).toBeDefined();
  });

  it('leaves a network named by another resource output to that resource', async () => {
    const nad = new k8s.apiextensions.CustomResource('raw-nad', {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'raw-nad', namespace: 'apps' },
    });
    const vm = new VirtualMachine('wired', { namespace: 'apps', spec: vmSpec(nad.metadata.name) });
    await valueOf(vm.manifest);
    expect(reads).toEqual([]);
  });

  it('checks nothing while the name is unknown at preview', async () => {
    await inPreview(async () => {
      const vm = new VirtualMachine('unknown', {
        namespace: 'apps',
        spec: vmSpec(pulumi.output(pulumi.unknown as unknown as string)),
      });
      expect(await (vm.manifest as unknown as { isKnown: Promise<boolean> }).isKnown).toBe(false);
    });
    expect(reads).toEqual([]);
  });

  it('warns, and goes on, when the cluster cannot say', async () => {
    const warn = jest.spyOn(pulumi.log, 'warn').mockResolvedValue();
    useNetworkReader(() => ({
      defaultNamespace: 'default',
      lookup: () =>
        Promise.resolve({ kind: 'unchecked', why: 'cannot read it from the cluster: ECONNREFUSED' }),
      close: () => undefined,
    }));
    try {
      const vm = new VirtualMachine('offline', { namespace: 'apps', spec: vmSpec('nope') });
      await valueOf(vm.manifest);
      expect(warn).toHaveBeenCalledWith(
        `virtkit:index:VirtualMachine "offline": ${PATH}: did not check that NetworkAttachmentDefinition apps/nope ` +
          '(networkName "nope") exists: cannot read it from the cluster: ECONNREFUSED',
        vm,
      );
    } finally {
      warn.mockRestore();
    }
  });
});
