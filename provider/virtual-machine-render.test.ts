/**
 * One set of typed props, two front ends: the cdk8s VirtualMachine construct (synthesized
 * with cdk8s's Testing) and the Pulumi VirtualMachine component (under setMocks) must send
 * the very same spec, because both render through api/render. A change to either side's
 * rendering (a default added, a field dropped, a different key order) fails here.
 */
import { Chart, Testing } from 'cdk8s';
import * as api from '../api';
import {
  DataVolumeTemplate,
  Disk,
  DiskBus,
  EvictionStrategy,
  Firmware,
  ImagePullPolicy,
  InstancetypeRef,
  InterfaceBinding,
  NetworkSource,
  PreferenceRef,
  Probe,
  RunStrategy,
  type VirtualMachineSpecProps,
} from '../api';
import * as constructs from '../constructs';
import { byType, recordRegistrations, valueOf } from './testing/mocks';
import { VirtualMachine } from './virtual-machine';

const registered = recordRegistrations();

/** Every kind of typed prop the brief of this test names, and a few more. */
const RICH: VirtualMachineSpecProps = {
  runStrategy: RunStrategy.RERUN_ON_FAILURE,
  instancetype: InstancetypeRef.cluster('u1.medium'),
  preference: PreferenceRef.cluster('fedora'),
  firmware: Firmware.efi({ secureBoot: false }),
  disks: [
    {
      name: 'root',
      source: Disk.containerDisk('quay.io/containerdisks/fedora:40', {
        imagePullPolicy: ImagePullPolicy.IF_NOT_PRESENT,
      }),
      bootOrder: 1,
    },
    {
      name: 'data',
      source: Disk.dataVolume(
        DataVolumeTemplate.http('https://images.example.com/data.qcow2', {
          size: '20Gi',
          storageClassName: 'fast-ssd',
          accessModes: ['ReadWriteOnce'],
        }),
      ),
      bus: DiskBus.SCSI,
      serial: 'DATA-01',
    },
    {
      name: 'seed',
      source: seedDisk(),
    },
    {
      name: 'cloudinit',
      source: Disk.cloudInitNoCloud({
        userData: '#cloud-config\npassword: fedora\nchpasswd: { expire: False }\n',
        networkData: 'version: 2\nethernets:\n  eth1: { dhcp4: true }\n',
      }),
    },
  ],
  interfaces: [
    { name: 'default', binding: InterfaceBinding.masquerade() },
    { name: 'storage', binding: InterfaceBinding.bridge(), macAddress: '02:00:00:00:00:01', model: 'virtio' },
  ],
  networks: [
    { name: 'default', source: NetworkSource.pod() },
    { name: 'storage', source: NetworkSource.multus('infra/vlan100') },
  ],
  livenessProbe: Probe.guestAgentPing({ initialDelaySeconds: 120, periodSeconds: 20 }),
  readinessProbe: Probe.httpGet(80, { path: '/healthz', failureThreshold: 5 }),
  nodeSelector: { 'kubernetes.io/arch': 'amd64' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'vms', effect: 'NoSchedule' }],
  evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
  terminationGracePeriodSeconds: 180,
  hostname: 'web',
  templateLabels: { tier: 'web' },
  templateAnnotations: { 'example.com/owner': 'team-a' },
};

/** A DataVolume template populated from a DataSource and named explicitly. */
function seedDisk(): api.Disk {
  return Disk.dataVolume(
    DataVolumeTemplate.dataSource('fedora', {
      sourceNamespace: 'kubevirt-os-images',
      size: '30Gi',
      name: 'web-seed-disk',
    }),
  );
}

/** Sized by hand, halted, BIOS on the serial console, TCP and exec probes. */
const SIZED: VirtualMachineSpecProps = {
  runStrategy: RunStrategy.HALTED,
  cpu: { cores: 2, threads: 1, model: 'host-passthrough' },
  memory: '2Gi',
  resources: { cpuRequest: '500m', memoryLimit: '3Gi' },
  machineType: 'q35',
  firmware: Firmware.bios({ useSerial: true }),
  features: { acpi: {}, smm: { enabled: true } },
  disks: [
    { name: 'root', source: Disk.persistentVolumeClaim('golden', { readOnly: false }), bootOrder: 1 },
    { name: 'scratch', source: Disk.emptyDisk('2Gi') },
    { name: 'blank', source: Disk.dataVolume(DataVolumeTemplate.blank({ size: '5Gi' })) },
  ],
  livenessProbe: Probe.tcpSocket(22),
  readinessProbe: Probe.exec(['cat', '/tmp/ready'], { timeoutSeconds: 3 }),
};

/** Nothing but memory and a disk: every default of the renderer. */
const MINIMAL: VirtualMachineSpecProps = {
  memory: '1Gi',
  disks: [{ name: 'root', source: Disk.emptyDisk('1Gi') }],
};

/** The spec of the construct, as `cdk8s synth` writes it. */
function constructSpec(props: VirtualMachineSpecProps, name: string): unknown {
  const chart = new Chart(Testing.app(), 'test');
  new constructs.VirtualMachine(chart, 'vm', { ...props, name });
  const [manifest] = Testing.synth(chart) as { kind: string; spec: unknown }[];
  expect(manifest.kind).toBe('VirtualMachine');
  return manifest.spec;
}

let components = 0;

/** The spec of the component (a fresh one each call): its validated manifest, and what it registered. */
async function componentSpec(props: VirtualMachineSpecProps, name: string): Promise<unknown> {
  const componentName = `vm-${++components}`;
  const vm = new VirtualMachine(componentName, { ...props, name });
  const spec = (await valueOf(vm.manifest)).spec;
  await valueOf(vm.objectName); // resolved once the object is registered
  const cr = byType(registered, 'kubernetes:kubevirt.io/v1:VirtualMachine').find(
    (r) => r.name === componentName,
  );
  expect(cr?.inputs.spec).toEqual(spec);
  return spec;
}

describe('the same typed props through the construct and the Pulumi component', () => {
  it.each([
    ['instancetype, preference, container disk, DataVolumes, cloud-init, pod + Multus, EFI, probes', RICH],
    ['explicit sizing, Halted, BIOS, claim, empty disk, blank DataVolume, TCP and exec probes', SIZED],
    ['nothing but memory and a disk (every default)', MINIMAL],
  ] as const)('render identical specs: %s', async (_what, props) => {
    const fromConstruct = constructSpec(props, 'web');
    const fromComponent = await componentSpec(props, 'web');
    expect(fromComponent).toEqual(fromConstruct);
    expect(JSON.stringify(fromComponent)).toBe(JSON.stringify(fromConstruct));
  });

  it('covers what it claims: the rich spec carries every part', async () => {
    const spec = (await componentSpec(RICH, 'rich')) as api.kubevirtV1.VirtualMachineSpec;
    expect(spec.runStrategy).toBe('RerunOnFailure');
    expect(spec.instancetype).toEqual({ name: 'u1.medium', kind: 'VirtualMachineClusterInstancetype' });
    expect(spec.preference).toEqual({ name: 'fedora', kind: 'VirtualMachineClusterPreference' });
    expect(spec.dataVolumeTemplates?.map((t) => t.metadata?.name)).toEqual(['rich-data', 'web-seed-disk']);
    const vmi = spec.template.spec!;
    expect(vmi.volumes?.map((v) => Object.keys(v).find((k) => k !== 'name'))).toEqual([
      'containerDisk',
      'dataVolume',
      'dataVolume',
      'cloudInitNoCloud',
    ]);
    expect(vmi.networks).toEqual([
      { name: 'default', pod: {} },
      { multus: { networkName: 'infra/vlan100' }, name: 'storage' },
    ]);
    expect(vmi.domain.firmware).toEqual({ bootloader: { efi: { secureBoot: false } } });
    expect(vmi.livenessProbe).toMatchObject({ guestAgentPing: {} });
    expect(vmi.readinessProbe).toMatchObject({ httpGet: { port: 80, path: '/healthz' } });
  });

  it('names owned DataVolumes after the object name, also when it is an output', async () => {
    const vm = new VirtualMachine('late-name', { ...RICH, name: Promise.resolve('shop-web') });
    const spec = (await valueOf(vm.manifest)).spec as api.kubevirtV1.VirtualMachineSpec;
    expect(spec).toEqual(constructSpec(RICH, 'shop-web'));
  });

  it('shares the value classes: virtkit/constructs re-exports those of virtkit/api', () => {
    expect(constructs.Disk).toBe(api.Disk);
    expect(constructs.Probe).toBe(api.Probe);
    expect(constructs.NetworkSource).toBe(api.NetworkSource);
    expect(constructs.RunStrategy).toBe(api.RunStrategy);
    expect(constructs.DataVolumeTemplate).toBe(api.DataVolumeTemplate);
  });
});
