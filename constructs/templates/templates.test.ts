import { Testing } from 'cdk8s';
import { OS_PREFERENCES, validateObject } from '../../api';
import { InstancetypeRef, PreferenceRef, VirtualMachine } from '../vm';
import {
  InstancetypeLibrary,
  IoThreadsPolicy,
  PreferenceLibrary,
  PreferencePreset,
  PreferredCpuTopology,
  PreferredFirmware,
  VirtualMachineClusterInstancetype,
  VirtualMachineClusterPreference,
  VirtualMachineInstancetype,
  VirtualMachinePreference,
  VmTemplate,
} from '.';
import { manifestOf, quietChart, report, synth } from './test-kit';

describe('VirtualMachineInstancetype', () => {
  test('renders the settings into spec', () => {
    const chart = quietChart();
    new VirtualMachineInstancetype(chart, 'db', {
      name: 'db',
      namespace: 'prod',
      cpus: 4,
      memory: '16Gi',
      dedicatedCpuPlacement: true,
      isolateEmulatorThread: true,
      hugepagesPageSize: '1Gi',
      ioThreadsPolicy: IoThreadsPolicy.SHARED,
      vmiAnnotations: { team: 'db' },
    });
    const m = manifestOf(chart, 'VirtualMachineInstancetype');
    expect(m.apiVersion).toBe('instancetype.kubevirt.io/v1beta1');
    expect(m.metadata).toEqual({ name: 'db', namespace: 'prod' });
    expect(m.spec).toEqual({
      cpu: { guest: 4, dedicatedCPUPlacement: true, isolateEmulatorThread: true },
      memory: { guest: '16Gi', hugepages: { pageSize: '1Gi' } },
      ioThreadsPolicy: 'shared',
      annotations: { team: 'db' },
    });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('a VM references it through the VM construct', () => {
    const chart = quietChart();
    const it = new VirtualMachineClusterInstancetype(chart, 'small', {
      name: 'small',
      cpus: 1,
      memory: '2Gi',
    });
    new VirtualMachine(chart, 'vm', { name: 'vm', instancetype: InstancetypeRef.fromInstancetype(it) });
    const vm = manifestOf(chart, 'VirtualMachine') as { spec: { instancetype: unknown } };
    expect(vm.spec.instancetype).toEqual({ name: 'small', kind: 'VirtualMachineClusterInstancetype' });
  });

  test('fromLibrary copies a library size with its labels', () => {
    const chart = quietChart();
    VirtualMachineClusterInstancetype.fromLibrary(chart, 'm', 'cx1.medium');
    const m = manifestOf(chart, 'VirtualMachineClusterInstancetype') as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { cpu: { guest: number } };
    };
    expect(m.metadata.name).toBe('cx1.medium');
    expect(m.metadata.labels['instancetype.kubevirt.io/class']).toBe('compute.exclusive');
    expect(m.spec.cpu.guest).toBe(1);
    expect(() => VirtualMachineClusterInstancetype.fromLibrary(chart, 'x', 'u1.giant')).toThrow(
      /no size "giant"/,
    );
  });

  test('api/ rules reach the construct: isolateEmulatorThread without dedicated CPUs fails synth', () => {
    const chart = quietChart();
    new VirtualMachineClusterInstancetype(chart, 'bad', {
      cpus: 2,
      memory: '4Gi',
      isolateEmulatorThread: true,
    });
    expect(report(chart).errors.join('\n')).toMatch(
      /test\/bad: spec.cpu.isolateEmulatorThread: isolateEmulatorThread only works with dedicated CPUs/,
    );
    expect(() => synth(chart)).toThrow(/dedicatedCPUPlacement/);
  });

  test('a malformed memory quantity is reported with the field', () => {
    const chart = quietChart();
    new VirtualMachineInstancetype(chart, 'bad', { cpus: 1, memory: '4 gigs' });
    expect(report(chart).errors.join('\n')).toMatch(/spec.memory.guest: invalid quantity "4 gigs"/);
  });
});

describe('VirtualMachinePreference', () => {
  test('typed settings on top of a library preset', () => {
    const chart = quietChart();
    new VirtualMachinePreference(chart, 'legacy', {
      name: 'legacy',
      preset: PreferencePreset.os('ubuntu'),
      diskBus: 'sata',
      firmware: PreferredFirmware.BIOS,
      cpuTopology: PreferredCpuTopology.CORES,
      machineType: 'q35',
      storageClassName: 'fast',
      terminationGracePeriodSeconds: 120,
      minCpus: 2,
      minMemory: '4Gi',
    });
    const m = manifestOf(chart, 'VirtualMachinePreference');
    expect(m.spec).toEqual({
      devices: { preferredDiskBus: 'sata', preferredInterfaceModel: 'virtio', preferredRng: {} },
      firmware: { preferredUseBios: true },
      cpu: { preferredCPUTopology: 'cores' },
      machine: { preferredMachineType: 'q35' },
      volumes: { preferredStorageClassName: 'fast' },
      preferredTerminationGracePeriodSeconds: 120,
      requirements: { cpu: { guest: 2 }, memory: { guest: '4Gi' } },
    });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('windows.11 has Secure Boot with SMM, a persistent TPM and Windows devices', () => {
    const chart = quietChart();
    const pref = new VirtualMachineClusterPreference(chart, 'w', {
      name: 'windows.11',
      preset: PreferencePreset.os('windows.11'),
    });
    new VirtualMachine(chart, 'vm', {
      name: 'vm',
      memory: '4Gi',
      preference: PreferenceRef.fromPreference(pref),
    });
    const m = manifestOf(chart, 'VirtualMachineClusterPreference') as {
      spec: Record<string, Record<string, unknown>>;
    };
    expect(m.spec.firmware).toEqual({ preferredEfi: { secureBoot: true } });
    expect(m.spec.features.preferredSmm).toEqual({});
    expect(m.spec.devices).toMatchObject({
      preferredTPM: { persistent: true },
      preferredDiskBus: 'sata',
      preferredInterfaceModel: 'e1000e',
    });
    expect(m.spec.requirements).toEqual({ cpu: { guest: 2 }, memory: { guest: '4Gi' } });
    expect(
      (manifestOf(chart, 'VirtualMachine') as { spec: { preference: unknown } }).spec.preference,
    ).toEqual({
      name: 'windows.11',
      kind: 'VirtualMachineClusterPreference',
    });
  });

  test('api/ rules reach the construct: BIOS together with EFI fails', () => {
    const chart = quietChart();
    new VirtualMachinePreference(chart, 'bad', {
      preset: PreferencePreset.fromSpec({ firmware: { preferredUseBios: true, preferredEfi: {} } }),
    });
    expect(report(chart).errors.join('\n')).toMatch(
      /test\/bad: spec.firmware.preferredUseBios: the preference asks for both BIOS and EFI/,
    );
  });

  test('an unknown library OS names the known ones', () => {
    expect(() => PreferencePreset.os('beos')).toThrow(
      /use one of: cirros, fedora, ubuntu, debian, centos.stream9, rhel.9, windows.11/,
    );
  });
});

describe('template library', () => {
  test('generates every series and size as valid cluster instancetypes', () => {
    const chart = quietChart();
    const lib = new InstancetypeLibrary(chart, 'instancetypes');
    const manifests = synth(chart);
    expect(manifests).toHaveLength(36);
    expect(lib.names).toContain('m1.nano');
    for (const m of manifests) {
      expect(m.kind).toBe('VirtualMachineClusterInstancetype');
      expect(validateObject(m).filter((i) => i.severity === 'error')).toEqual([]);
    }
    expect(lib.get('u1.medium').name).toBe('u1.medium');
    expect(() => lib.get('u1.huge')).toThrow(/was not generated/);
  });

  test('upstreamSizesOnly keeps the sizes upstream publishes', () => {
    const chart = quietChart();
    const lib = new InstancetypeLibrary(chart, 'it', { series: ['cx1', 'm1'], upstreamSizesOnly: true });
    expect(lib.names).toEqual([
      'cx1.medium',
      'cx1.large',
      'cx1.xlarge',
      'cx1.2xlarge',
      'cx1.4xlarge',
      'cx1.8xlarge',
      'm1.large',
      'm1.xlarge',
      'm1.2xlarge',
      'm1.4xlarge',
      'm1.8xlarge',
    ]);
  });

  test('namespaced generation and unknown series', () => {
    const chart = quietChart();
    new InstancetypeLibrary(chart, 'it', { series: ['u1'], sizes: ['small'], namespace: 'team-a' });
    expect(manifestOf(chart, 'VirtualMachineInstancetype').metadata).toMatchObject({
      name: 'u1.small',
      namespace: 'team-a',
    });
    expect(() => new InstancetypeLibrary(quietChart(), 'x', { series: ['z1'] })).toThrow(
      /series "z1" is not in the library/,
    );
  });

  test('OS preferences are generated and valid', () => {
    const chart = quietChart();
    const lib = new PreferenceLibrary(chart, 'prefs');
    const manifests = synth(chart);
    expect(manifests.map((m) => (m.metadata as { name: string }).name)).toEqual(
      OS_PREFERENCES.map((p) => p.name),
    );
    for (const m of manifests) expect(validateObject(m).filter((i) => i.severity === 'error')).toEqual([]);
    expect(lib.get('fedora').kind).toBe('VirtualMachineClusterPreference');
    expect(manifests).toMatchSnapshot();
  });
});

describe('VmTemplate', () => {
  class WebServerTemplate extends VmTemplate {
    constructor(
      scope: ConstructorParameters<typeof VmTemplate>[0],
      id: string,
      props: { image: string; replicas?: number; size?: string },
    ) {
      super(scope, id, { os: 'fedora', size: 'u1.medium', ...props, labels: { tier: 'web' } });
      this.workload.addTemplateAnnotation('example.com/owner', 'web-team');
    }
  }

  test('without replicas it produces one valid VirtualMachine', () => {
    const chart = quietChart();
    const t = new WebServerTemplate(chart, 'web', { image: 'quay.io/containerdisks/fedora:40' });
    expect(t.virtualMachine).toBeDefined();
    expect(t.pool).toBeUndefined();
    const vm = manifestOf(chart, 'VirtualMachine') as {
      spec: {
        instancetype: unknown;
        preference: unknown;
        template: {
          metadata: { labels: Record<string, string>; annotations: Record<string, string> };
          spec: { volumes: unknown[] };
        };
      };
    };
    expect(vm.spec.instancetype).toEqual({ name: 'u1.medium', kind: 'VirtualMachineClusterInstancetype' });
    expect(vm.spec.preference).toEqual({ name: 'fedora', kind: 'VirtualMachineClusterPreference' });
    expect(vm.spec.template.metadata.labels.tier).toBe('web');
    expect(vm.spec.template.metadata.annotations['example.com/owner']).toBe('web-team');
    expect(report(chart).errors).toEqual([]);
    expect(validateObject(vm).filter((i) => i.severity === 'error')).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('with replicas it produces a valid VirtualMachinePool', () => {
    const chart = quietChart();
    const t = new WebServerTemplate(chart, 'web', {
      image: 'quay.io/containerdisks/fedora:40',
      replicas: 3,
      size: 'cx1.large',
    });
    expect(t.pool).toBeDefined();
    const pool = manifestOf(chart, 'VirtualMachinePool') as { spec: { replicas: number } };
    expect(pool.spec.replicas).toBe(3);
    expect(report(chart).errors).toEqual([]);
    expect(validateObject(pool).filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('cloud-init user-data adds a NoCloud disk', () => {
    const chart = quietChart();
    new VmTemplate(chart, 'x', { image: 'img', userData: '#cloud-config\npackages: [nginx]', os: 'debian' });
    const vm = manifestOf(chart, 'VirtualMachine') as {
      spec: { template: { spec: { volumes: { name: string }[] } } };
    };
    expect(vm.spec.template.spec.volumes.map((v) => v.name)).toEqual(['rootdisk', 'cloudinitdisk']);
  });

  test('a bad size or OS names the construct and the allowed values', () => {
    expect(() => new VmTemplate(quietChart(), 'web', { image: 'img', size: 'u1.huge' })).toThrow(
      /test\/web: instancetype "u1.huge" has no size "huge"/,
    );
    expect(() => new VmTemplate(quietChart(), 'web', { image: 'img', os: 'beos' })).toThrow(
      /test\/web: preference "beos" is not in the library/,
    );
  });
});
