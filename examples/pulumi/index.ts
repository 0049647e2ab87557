/**
 * A small fleet from virtkit's template library, as a Pulumi program: the library's OS
 * preference and instancetype sizes (cluster-wide, as KubeVirt's common-instancetypes ships
 * them), a namespace, a web tier of identical VMs sized by memory, and one batch VM sized by an
 * instancetype. `pulumi up` returns when every VM is as its run strategy promises (Ready for
 * Always: the guest agent answers), and the stack's outputs say where each VM runs.
 *
 * Run it from the repository root (Pulumi.yaml there names this program):
 *
 *   npm run pulumi -- stack init dev
 *   npm run pulumi -- up --yes
 *
 * Configuration (`npm run pulumi -- config set KEY VALUE`), every key optional:
 *   namespace    the fleet's namespace                       (default fleet)
 *   image        the VMs' container disk                     (default quay.io/containerdisks/fedora:40)
 *   os           the library OS preference of every VM       (default fedora)
 *   webReplicas  how many web VMs                            (default 2)
 *   webMemory    guest memory of each web VM                 (default 2Gi)
 *   batchSize    the batch VM's library instancetype         (default u1.small)
 *   runStrategy  Always, Halted, Manual, RerunOnFailure, Once (default Always)
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import {
  Disk,
  InstancetypeRef,
  PreferenceRef,
  Probe,
  RunStrategy,
  parseInstancetypeName,
  type VirtualMachineSpecProps,
} from 'virtkit/api';
import { InstancetypeLibrary, PreferenceLibrary, VirtualMachine } from 'virtkit/provider';

const config = new pulumi.Config();
const namespaceName = config.get('namespace') ?? 'fleet';
const image = config.get('image') ?? 'quay.io/containerdisks/fedora:40';
const os = config.get('os') ?? 'fedora';
const webReplicas = config.getNumber('webReplicas') ?? 2;
const webMemory = config.get('webMemory') ?? '2Gi';
const batchSize = config.get('batchSize') ?? 'u1.small';
const runStrategy = (config.get('runStrategy') ?? RunStrategy.ALWAYS) as RunStrategy;

const { series, size } = parseInstancetypeName(batchSize);
const sizes = new InstancetypeLibrary('sizes', { series: [series.name], sizes: [size] });
const preferences = new PreferenceLibrary('preferences', { os: [os] });
const namespace = new k8s.core.v1.Namespace('fleet', { metadata: { name: namespaceName } });

/** What every VM of the fleet shares: its disk, its OS preference, and Ready meaning "the agent answers". */
function common(hostname: string): VirtualMachineSpecProps {
  return {
    runStrategy,
    preference: PreferenceRef.cluster(os),
    disks: [
      { name: 'root', source: Disk.containerDisk(image) },
      {
        name: 'cloudinit',
        source: Disk.cloudInitNoCloud({ userData: `#cloud-config\nhostname: ${hostname}\n` }),
      },
    ],
    readinessProbe: Probe.guestAgentPing({ periodSeconds: 5 }),
  };
}

// The library objects must exist before a VM that references them is admitted.
const after = { dependsOn: [sizes, preferences] };

const web = Array.from(
  { length: webReplicas },
  (_, i) =>
    new VirtualMachine(
      `web-${i}`,
      {
        namespace: namespace.metadata.name,
        labels: { tier: 'web' },
        memory: webMemory,
        ...common(`web-${i}`),
      },
      after,
    ),
);
const batch = new VirtualMachine(
  'batch',
  {
    namespace: namespace.metadata.name,
    labels: { tier: 'batch' },
    instancetype: InstancetypeRef.cluster(batchSize),
    ...common('batch'),
  },
  after,
);

/** Per VM: its state, whether a change waits for a restart, the guest's addresses and its node. */
export const vms = Object.fromEntries(
  [...web, batch].map((vm) => [
    vm.componentName,
    {
      printableStatus: vm.printableStatus,
      ready: vm.ready,
      restartRequired: vm.restartRequired,
      ipAddresses: vm.ipAddresses,
      nodeName: vm.nodeName,
    },
  ]),
);
export const namespaceOut = namespace.metadata.name;
