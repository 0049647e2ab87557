import { Chart, JsonPatch, Testing } from 'cdk8s';
import type { VirtualMachine as VirtualMachineManifest, VirtualMachineSpec } from '../../api/kubevirt/v1';
import { validateObject } from '../../api/validation/validate';
import {
  DataVolumeTemplate,
  Disk,
  DiskBus,
  DiskDevice,
  EvictionStrategy,
  Firmware,
  HostDiskType,
  InstancetypeRef,
  InterfaceBinding,
  NetworkSource,
  PreferenceRef,
  Probe,
  RunStrategy,
  VirtualMachine,
} from '.';
import { synthError, synthOne } from './test-support';

const ROOT = { name: 'root', source: Disk.containerDisk('quay.io/containerdisks/fedora:40'), bootOrder: 1 };

function vmIn(props: ConstructorParameters<typeof VirtualMachine>[2] = {}) {
  const chart = Testing.chart();
  const vm = new VirtualMachine(chart, 'vm', { name: 'web', memory: '1Gi', disks: [ROOT], ...props });
  return { chart, vm };
}

describe('VirtualMachine', () => {
  test('defaults: runStrategy Always, nothing the user did not set', () => {
    const { chart } = vmIn();
    const m = synthOne<VirtualMachineManifest>(chart);
    expect(m.metadata).toEqual({ name: 'web' });
    expect(m.spec.runStrategy).toBe('Always');
    expect(m.spec.template.spec).toEqual({
      domain: { memory: { guest: '1Gi' }, devices: { disks: [{ name: 'root', disk: {}, bootOrder: 1 }] } },
      volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } }],
    });
    expect(m.spec.template.metadata).toBeUndefined();
  });

  test('CPU topology, resources, machine type, firmware, features, placement and probes', () => {
    const { chart } = vmIn({
      runStrategy: RunStrategy.HALTED,
      cpu: { cores: 2, sockets: 1, threads: 2, model: 'host-passthrough' },
      resources: { memoryRequest: '1Gi', cpuLimit: '4' },
      machineType: 'q35',
      firmware: Firmware.efi({ secureBoot: true }),
      features: { smm: {} },
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'vms', operator: 'Exists', effect: 'NoSchedule' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
          },
        },
      },
      evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
      livenessProbe: Probe.guestAgentPing({ initialDelaySeconds: 120 }),
      readinessProbe: Probe.httpGet(8080, { path: '/healthz', periodSeconds: 5 }),
      terminationGracePeriodSeconds: 180,
      hostname: 'web-1',
      labels: { app: 'web' },
      annotations: { owner: 'team-a' },
      templateLabels: { tier: 'front' },
      templateAnnotations: { 'example.com/x': 'y' },
    });
    const m = synthOne<VirtualMachineManifest>(chart);
    const spec = m.spec.template.spec!;
    expect(m.spec.runStrategy).toBe('Halted');
    expect(m.metadata?.labels).toEqual({ app: 'web' });
    expect(m.metadata?.annotations).toEqual({ owner: 'team-a' });
    expect(m.spec.template.metadata).toEqual({
      labels: { tier: 'front' },
      annotations: { 'example.com/x': 'y' },
    });
    expect(spec.domain.cpu).toEqual({ cores: 2, sockets: 1, threads: 2, model: 'host-passthrough' });
    expect(spec.domain.resources).toEqual({ requests: { memory: '1Gi' }, limits: { cpu: '4' } });
    expect(spec.domain.machine).toEqual({ type: 'q35' });
    expect(spec.domain.firmware).toEqual({ bootloader: { efi: { secureBoot: true } } });
    expect(spec.domain.features).toEqual({ smm: {} });
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(spec.tolerations).toEqual([{ key: 'vms', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(spec.affinity?.nodeAffinity).toBeDefined();
    expect(spec.evictionStrategy).toBe('LiveMigrate');
    expect(spec.livenessProbe).toEqual({ guestAgentPing: {}, initialDelaySeconds: 120 });
    expect(spec.readinessProbe).toEqual({ httpGet: { port: 8080, path: '/healthz' }, periodSeconds: 5 });
    expect(spec.terminationGracePeriodSeconds).toBe(180);
    expect(spec.hostname).toBe('web-1');
  });

  test('instancetype and preference by name or construct, exposed as info', () => {
    const { chart, vm } = vmIn({
      memory: undefined,
      instancetype: InstancetypeRef.cluster('u1.medium'),
      preference: PreferenceRef.fromPreference({ name: 'fedora', kind: 'VirtualMachinePreference' }),
    });
    const m = synthOne<VirtualMachineManifest>(chart);
    expect(m.spec.instancetype).toEqual({ name: 'u1.medium', kind: 'VirtualMachineClusterInstancetype' });
    expect(m.spec.preference).toEqual({ name: 'fedora', kind: 'VirtualMachinePreference' });
    expect(vm.instancetypeName).toBe('u1.medium');
    expect(vm.preferenceName).toBe('fedora');
    expect(InstancetypeRef.namespaced('small')._render()).toEqual({
      name: 'small',
      kind: 'VirtualMachineInstancetype',
    });
    expect(
      InstancetypeRef.fromInstancetype({ name: 'big', kind: 'VirtualMachineClusterInstancetype' })._render(),
    ).toEqual({
      name: 'big',
      kind: 'VirtualMachineClusterInstancetype',
    });
  });

  test('every disk source, device type, bus, read-only and serial', () => {
    const { chart, vm } = vmIn();
    vm.addDisk({
      name: 'pvc',
      source: Disk.persistentVolumeClaim('data', { readOnly: true }),
      bus: DiskBus.SCSI,
      serial: 'D1',
    });
    vm.addDisk({ name: 'scratch', source: Disk.emptyDisk('2Gi') });
    vm.addDisk({ name: 'host', source: Disk.hostDisk('/var/img/x.img', HostDiskType.DISK_OR_CREATE, '1Gi') });
    vm.addDisk({
      name: 'iso',
      source: Disk.persistentVolumeClaim('installer'),
      device: DiskDevice.CDROM,
      bus: DiskBus.SATA,
    });
    vm.addDisk({ name: 'lun', source: Disk.persistentVolumeClaim('san'), device: DiskDevice.LUN });
    vm.addDisk({ name: 'cfg', source: Disk.configMap('app-config', { volumeLabel: 'cfg' }) });
    vm.addDisk({ name: 'tls', source: Disk.secret('app-tls', { optional: true }) });
    vm.addDisk({ name: 'sa', source: Disk.serviceAccount('agent') });
    vm.addDisk({ name: 'dv', source: Disk.existingDataVolume('golden') });
    vm.addDisk({ name: 'eph', source: Disk.ephemeral('base') });
    vm.addDisk({
      name: 'ci',
      source: Disk.cloudInitNoCloud({ userData: '#cloud-config\n', networkDataSecret: 'net' }),
    });
    vm.addDisk({ name: 'cd', source: Disk.cloudInitConfigDrive({ userDataBase64: 'I2Nsb3VkLWNvbmZpZwo=' }) });
    const spec = synthOne<VirtualMachineManifest>(chart).spec.template.spec!;
    const disks = spec.domain.devices.disks!;
    expect(disks.find((d) => d.name === 'pvc')).toEqual({ name: 'pvc', disk: { bus: 'scsi' }, serial: 'D1' });
    expect(disks.find((d) => d.name === 'iso')).toEqual({ name: 'iso', cdrom: { bus: 'sata' } });
    expect(disks.find((d) => d.name === 'lun')).toEqual({ name: 'lun', lun: {} });
    const vol = (n: string) => spec.volumes!.find((v) => v.name === n);
    expect(vol('pvc')).toEqual({ name: 'pvc', persistentVolumeClaim: { claimName: 'data', readOnly: true } });
    expect(vol('scratch')).toEqual({ name: 'scratch', emptyDisk: { capacity: '2Gi' } });
    expect(vol('host')).toEqual({
      name: 'host',
      hostDisk: { path: '/var/img/x.img', type: 'DiskOrCreate', capacity: '1Gi' },
    });
    expect(vol('cfg')).toEqual({ name: 'cfg', configMap: { name: 'app-config', volumeLabel: 'cfg' } });
    expect(vol('tls')).toEqual({ name: 'tls', secret: { secretName: 'app-tls', optional: true } });
    expect(vol('sa')).toEqual({ name: 'sa', serviceAccount: { serviceAccountName: 'agent' } });
    expect(vol('dv')).toEqual({ name: 'dv', dataVolume: { name: 'golden' } });
    expect(vol('eph')).toEqual({ name: 'eph', ephemeral: { persistentVolumeClaim: { claimName: 'base' } } });
    expect(vol('ci')).toEqual({
      name: 'ci',
      cloudInitNoCloud: { userData: '#cloud-config\n', networkDataSecretRef: { name: 'net' } },
    });
    expect(vol('cd')).toEqual({
      name: 'cd',
      cloudInitConfigDrive: { userDataBase64: 'I2Nsb3VkLWNvbmZpZwo=' },
    });
  });

  test('cloud-init user data from a Secret renders secretRef and synthesizes', () => {
    expect(Disk.cloudInitNoCloud({ userDataSecret: 'db-ci' })._render('ci', 'vm').volume).toEqual({
      name: 'ci',
      cloudInitNoCloud: { secretRef: { name: 'db-ci' } },
    });
    const { chart, vm } = vmIn();
    vm.addDisk({
      name: 'ci',
      source: Disk.cloudInitConfigDrive({ userDataSecret: 'db-ci', networkDataSecret: 'db-net' }),
    });
    expect(synthOne<VirtualMachineManifest>(chart).spec.template.spec!.volumes![1]).toEqual({
      name: 'ci',
      cloudInitConfigDrive: { secretRef: { name: 'db-ci' }, networkDataSecretRef: { name: 'db-net' } },
    });
  });

  test('cloud-init with only a user-data Secret synthesizes (KubeVirt accepts secretRef alone)', () => {
    const { chart, vm } = vmIn();
    vm.addDisk({ name: 'ci', source: Disk.cloudInitNoCloud({ userDataSecret: 'db-ci' }) });
    expect(synthOne<VirtualMachineManifest>(chart).spec.template.spec!.volumes![1]).toEqual({
      name: 'ci',
      cloudInitNoCloud: { secretRef: { name: 'db-ci' } },
    });
  });

  test('DataVolume templates from http, registry, PVC clone, blank and DataSource', () => {
    const { chart } = vmIn({
      disks: [
        {
          name: 'root',
          source: Disk.dataVolume(DataVolumeTemplate.http('https://example.com/d.qcow2', { size: '10Gi' })),
          bootOrder: 1,
        },
        {
          name: 'reg',
          source: Disk.dataVolume(
            DataVolumeTemplate.registry('quay.io/containerdisks/fedora:40', {
              size: '5Gi',
              storageClassName: 'fast',
            }),
          ),
        },
        {
          name: 'clone',
          source: Disk.dataVolume(
            DataVolumeTemplate.pvcClone('images', 'debian', { size: '20Gi', name: 'web-clone' }),
          ),
        },
        {
          name: 'data',
          source: Disk.dataVolume(
            DataVolumeTemplate.blank({ size: '50Gi', accessModes: ['ReadWriteMany'], volumeMode: 'Block' }),
          ),
        },
        {
          name: 'ds',
          source: Disk.dataVolume(
            DataVolumeTemplate.dataSource('fedora', { sourceNamespace: 'os-images', size: '30Gi' }),
          ),
        },
      ],
    });
    const m = synthOne<VirtualMachineManifest>(chart);
    expect(m.spec.dataVolumeTemplates).toEqual([
      {
        metadata: { name: 'web-root' },
        spec: {
          source: { http: { url: 'https://example.com/d.qcow2' } },
          storage: { resources: { requests: { storage: '10Gi' } } },
        },
      },
      {
        metadata: { name: 'web-reg' },
        spec: {
          source: { registry: { url: 'docker://quay.io/containerdisks/fedora:40' } },
          storage: { storageClassName: 'fast', resources: { requests: { storage: '5Gi' } } },
        },
      },
      {
        metadata: { name: 'web-clone' },
        spec: {
          source: { pvc: { namespace: 'images', name: 'debian' } },
          storage: { resources: { requests: { storage: '20Gi' } } },
        },
      },
      {
        metadata: { name: 'web-data' },
        spec: {
          source: { blank: {} },
          storage: {
            accessModes: ['ReadWriteMany'],
            volumeMode: 'Block',
            resources: { requests: { storage: '50Gi' } },
          },
        },
      },
      {
        metadata: { name: 'web-ds' },
        spec: {
          sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'os-images' },
          storage: { resources: { requests: { storage: '30Gi' } } },
        },
      },
    ]);
    expect(m.spec.template.spec!.volumes!.map((v) => v.dataVolume?.name)).toEqual([
      'web-root',
      'web-reg',
      'web-clone',
      'web-data',
      'web-ds',
    ]);
  });

  test('interfaces and networks: pod with masquerade, Multus by name with MAC, attachNetwork by construct', () => {
    const chart = Testing.chart();
    const vm = new VirtualMachine(chart, 'vm', {
      name: 'web',
      namespace: 'apps',
      memory: '1Gi',
      disks: [ROOT],
    });
    vm.addPodNetwork();
    vm.addInterface({
      name: 'storage',
      binding: InterfaceBinding.bridge(),
      macAddress: '02:00:00:00:00:01',
      model: 'e1000e',
    });
    vm.addNetwork('storage', NetworkSource.multus('storage/vlan100'));
    const nad = { multusNetworkName: 'ovn-vlan', namespace: 'net', node: chart.node };
    vm.attachNetwork('underlay', nad, { macAddress: '02:00:00:00:00:02' });
    vm.attachNetwork(
      'local',
      { multusNetworkName: 'br1', namespace: 'apps', node: chart.node },
      { binding: InterfaceBinding.sriov() },
    );
    vm.addInterface({ name: 'p', binding: InterfaceBinding.passt() });
    vm.addNetwork('p', NetworkSource.multus('x'));
    vm.addInterface({ name: 'q', binding: InterfaceBinding.plugin('managedtap') });
    vm.addNetwork('q', NetworkSource.multus('y'));
    const spec = synthOne<VirtualMachineManifest>(chart).spec.template.spec!;
    expect(spec.domain.devices.interfaces).toEqual([
      { name: 'default', masquerade: {} },
      { name: 'storage', bridge: {}, macAddress: '02:00:00:00:00:01', model: 'e1000e' },
      { name: 'underlay', bridge: {}, macAddress: '02:00:00:00:00:02' },
      { name: 'local', sriov: {} },
      { name: 'p', passtBinding: {} },
      { name: 'q', binding: { name: 'managedtap' } },
    ]);
    expect(spec.networks).toEqual([
      { name: 'default', pod: {} },
      { name: 'storage', multus: { networkName: 'storage/vlan100' } },
      { name: 'underlay', multus: { networkName: 'net/ovn-vlan' } },
      { name: 'local', multus: { networkName: 'br1' } },
      { name: 'p', multus: { networkName: 'x' } },
      { name: 'q', multus: { networkName: 'y' } },
    ]);
  });

  test('a Multus network as the default network', () => {
    expect(NetworkSource.multus('ovn', { isDefault: true })._render('main')).toEqual({
      name: 'main',
      multus: { networkName: 'ovn', default: true },
    });
  });

  test('methods after construction: tolerations, node selector, template metadata, labels', () => {
    const { chart, vm } = vmIn();
    vm.addToleration({ key: 'gpu', operator: 'Exists' });
    vm.addNodeSelector('disk', 'ssd');
    vm.addTemplateLabel('kubevirt.io/domain', 'web');
    vm.addTemplateAnnotation('ovn.kubernetes.io/ip_address', '10.0.0.5');
    vm.addLabel('team', 'a');
    vm.addAnnotation('note', 'x');
    const m = synthOne<VirtualMachineManifest>(chart);
    expect(m.metadata?.labels).toEqual({ team: 'a' });
    expect(m.metadata?.annotations).toEqual({ note: 'x' });
    expect(m.spec.template.metadata).toEqual({
      labels: { 'kubevirt.io/domain': 'web' },
      annotations: { 'ovn.kubernetes.io/ip_address': '10.0.0.5' },
    });
    expect(m.spec.template.spec!.tolerations).toEqual([{ key: 'gpu', operator: 'Exists' }]);
    expect(m.spec.template.spec!.nodeSelector).toEqual({ disk: 'ssd' });
  });

  test('addVolume adds a volume without a disk (for filesystems and ACPI tables)', () => {
    const { vm } = vmIn();
    vm.addVolume('slic', Disk.secret('slic-table'));
    const spec = vm.toManifest().spec as VirtualMachineSpec;
    expect(spec.template.spec!.volumes).toContainEqual({
      name: 'slic',
      secret: { secretName: 'slic-table' },
    });
    expect(spec.template.spec!.domain.devices.disks).toHaveLength(1);
  });

  test('name, namespace (own or the chart), registry and type guard', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'prod' });
    const a = new VirtualMachine(chart, 'a', { memory: '1Gi' });
    const b = new VirtualMachine(chart, 'b', { name: 'bee', namespace: 'lab', memory: '1Gi' });
    expect(a.namespace).toBe('prod');
    expect(b.name).toBe('bee');
    expect(b.namespace).toBe('lab');
    expect(a.name).toMatch(/^c-a-/);
    expect(VirtualMachine.all(app)).toEqual([a, b]);
    expect(VirtualMachine.isVirtualMachine(a)).toBe(true);
    expect(VirtualMachine.isVirtualMachine(chart)).toBe(false);
  });

  test('escape hatch: JSON patches on apiObject reach the output', () => {
    const { chart, vm } = vmIn();
    vm.apiObject.addJsonPatch(JsonPatch.add('/spec/template/spec/domain/ioThreadsPolicy', 'auto'));
    const m = synthOne<VirtualMachineManifest>(chart);
    expect(m.spec.template.spec!.domain.ioThreadsPolicy).toBe('auto');
    expect(m.spec.runStrategy).toBe('Always');
  });

  test('changes after a synth show in the next synth', () => {
    const { chart, vm } = vmIn();
    Testing.synth(chart);
    vm.addDisk({ name: 'more', source: Disk.emptyDisk('1Gi') });
    expect(synthOne<VirtualMachineManifest>(chart).spec.template.spec!.volumes).toHaveLength(2);
  });

  test('output passes api/ validation', () => {
    const { chart, vm } = vmIn();
    vm.addPodNetwork();
    expect(validateObject(synthOne(chart))).toEqual([]);
  });

  test('whole manifest snapshot', () => {
    const chart = Testing.chart();
    const vm = new VirtualMachine(chart, 'db', {
      name: 'db',
      namespace: 'prod',
      labels: { app: 'db' },
      cpu: { cores: 2 },
      memory: '4Gi',
      firmware: Firmware.efi({ secureBoot: false }),
      evictionStrategy: EvictionStrategy.LIVE_MIGRATE,
      disks: [
        {
          name: 'root',
          source: Disk.dataVolume(
            DataVolumeTemplate.registry('quay.io/containerdisks/debian:12', { size: '20Gi' }),
          ),
          bootOrder: 1,
        },
        { name: 'data', source: Disk.dataVolume(DataVolumeTemplate.blank({ size: '100Gi' })) },
        {
          name: 'cloudinit',
          source: Disk.cloudInitNoCloud({
            userData: '#cloud-config\nruncmd: [systemctl, enable, --now, postgresql]\n',
          }),
        },
      ],
      readinessProbe: Probe.tcpSocket(5432, { initialDelaySeconds: 60 }),
    });
    vm.addPodNetwork();
    expect(Testing.synth(chart)).toMatchSnapshot();
  });
});

describe('VirtualMachine synth-time validation', () => {
  test('an interface naming a network that does not exist names the construct, the field and the fix', () => {
    const { chart, vm } = vmIn();
    vm.addInterface({ name: 'storage', binding: InterfaceBinding.bridge() });
    expect(synthError(chart)).toContain(
      'test/vm: spec.template.spec.domain.devices.interfaces[0].name \'storage\' not found. Add a network named "storage" to spec.template.spec.networks.',
    );
  });

  test('a network without an interface', () => {
    const { chart, vm } = vmIn();
    vm.addNetwork('storage', NetworkSource.multus('vlan'));
    expect(synthError(chart)).toMatch(
      /test\/vm: spec\.template\.spec\.networks\[0\]\.name 'storage' not found\. Add an interface/,
    );
  });

  test('instancetype together with explicit CPU or memory', () => {
    const { chart } = vmIn({ instancetype: InstancetypeRef.cluster('u1.small'), cpu: { cores: 2 } });
    const err = synthError(chart);
    expect(err).toContain(
      'test/vm: spec.template.spec.domain.cpu.cores: VM field(s) spec.template.spec.domain.cpu.cores conflicts with selected instance type',
    );
    expect(err).toContain('spec.template.spec.domain.memory.guest conflicts with selected instance type');
  });

  test('no memory and no instancetype', () => {
    const { chart } = vmIn({ memory: undefined });
    expect(synthError(chart)).toContain('test/vm: spec.template.spec.domain.memory: no memory requested');
  });

  test('Secure Boot without SMM says how to fix it', () => {
    const { chart } = vmIn({ firmware: Firmware.efi({ secureBoot: true }) });
    expect(synthError(chart)).toContain('SecureBoot requires SMM');
  });

  test('boot order used twice', () => {
    const { chart, vm } = vmIn();
    vm.addDisk({ name: 'b', source: Disk.emptyDisk('1Gi'), bootOrder: 1 });
    expect(synthError(chart)).toContain(
      'Boot order for spec.template.spec.domain.devices.disks[1].bootOrder already set',
    );
  });

  test('schema errors (bad quantity) carry the construct path and field', () => {
    const { chart } = vmIn({ memory: 'lots' });
    expect(synthError(chart)).toContain(
      'test/vm: spec.template.spec.domain.memory.guest: invalid quantity "lots"',
    );
  });

  test('an empty cloud-init source', () => {
    const { chart, vm } = vmIn();
    vm.addDisk({ name: 'ci', source: Disk.cloudInitNoCloud({}) });
    expect(synthError(chart)).toContain('must have at least one userdatasource or one networkdatasource set');
  });

  test('two pod networks', () => {
    const { chart, vm } = vmIn();
    vm.addPodNetwork('a');
    vm.addPodNetwork('b');
    expect(synthError(chart)).toContain('more than one interface is connected to a pod network');
  });

  test('every error is reported at once', () => {
    const { chart, vm } = vmIn({ memory: undefined });
    vm.addInterface({ name: 'x', binding: InterfaceBinding.bridge() });
    const err = synthError(chart);
    expect(err).toContain('no memory requested');
    expect(err).toContain("interfaces[0].name 'x' not found");
  });
});
