import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import {
  kinds,
  VirtualMachineClusterInstancetypeKind,
  VirtualMachineClusterPreferenceKind,
  VirtualMachineInstancetypeKind,
  VirtualMachinePreferenceKind,
  type VirtualMachineClusterInstancetype,
  type VirtualMachineInstancetype,
  type VirtualMachinePreference,
} from './index';

const instancetype: VirtualMachineInstancetype = {
  apiVersion: 'instancetype.kubevirt.io/v1beta1',
  kind: 'VirtualMachineInstancetype',
  metadata: {
    name: 'cx1.large',
    namespace: 'team-a',
    labels: { 'instancetype.kubevirt.io/class': 'compute-exclusive' },
  },
  spec: {
    cpu: {
      guest: 2,
      model: 'host-passthrough',
      dedicatedCPUPlacement: true,
      isolateEmulatorThread: true,
      numa: { guestMappingPassthrough: {} },
      realtime: { mask: '0-1' },
      maxSockets: 4,
    },
    memory: { guest: '4Gi', hugepages: { pageSize: '1Gi' }, maxGuest: '16Gi' },
    gpus: [
      {
        name: 'gpu1',
        deviceName: 'nvidia.com/GV100GL_Tesla_V100',
        virtualGPUOptions: { display: { enabled: false } },
      },
    ],
    hostDevices: [{ name: 'nic', deviceName: 'intel.com/xl710' }],
    ioThreadsPolicy: 'supplementalPool',
    ioThreads: { supplementalPoolThreadCount: 4 },
    nodeSelector: { 'node-role.kubernetes.io/worker': '' },
    schedulerName: 'default-scheduler',
    annotations: { 'example.com/billing': 'compute' },
  },
};

const clusterInstancetype: VirtualMachineClusterInstancetype = {
  apiVersion: 'instancetype.kubevirt.io/v1beta1',
  kind: 'VirtualMachineClusterInstancetype',
  metadata: { name: 'u1.medium' },
  spec: {
    cpu: { guest: 1 },
    memory: { guest: '4Gi', overcommitPercent: 10 },
    launchSecurity: { sev: { policy: { encryptedState: true } } },
  },
};

const preference: VirtualMachinePreference = {
  apiVersion: 'instancetype.kubevirt.io/v1beta1',
  kind: 'VirtualMachinePreference',
  metadata: { name: 'windows.2k22', namespace: 'team-a' },
  spec: {
    clock: {
      preferredClockOffset: { utc: {} },
      preferredTimer: {
        hpet: { present: false },
        hyperv: {},
        pit: { tickPolicy: 'delay' },
        rtc: { tickPolicy: 'catchup' },
      },
    },
    cpu: {
      preferredCPUTopology: 'spread',
      spreadOptions: { across: 'SocketsCores', ratio: 2 },
      preferredCPUFeatures: [{ name: 'invtsc', policy: 'require' }],
    },
    devices: {
      preferredDiskBus: 'sata',
      preferredCdromBus: 'sata',
      preferredInterfaceModel: 'e1000e',
      preferredInputBus: 'usb',
      preferredInputType: 'tablet',
      preferredTPM: { persistent: true },
      preferredAutoattachInputDevice: true,
      preferredDiskDedicatedIoThread: true,
      preferredDiskCache: 'none',
      preferredDiskIO: 'native',
      preferredDiskBlockSize: { matchVolume: { enabled: true } },
      preferredRng: {},
      preferredInterfaceMasquerade: {},
      preferredPanicDeviceModel: 'hyperv',
      preferredVideoType: 'virtio',
      preferredSoundModel: 'ich9',
      preferredNetworkInterfaceMultiQueue: true,
    },
    features: {
      preferredAcpi: {},
      preferredApic: {},
      preferredHyperv: {
        relaxed: {},
        vapic: {},
        spinlocks: { spinlocks: 8191 },
        synic: {},
        synictimer: { direct: {} },
        tlbflush: {},
        frequencies: {},
        reenlightenment: {},
        ipi: {},
        vpindex: {},
        runtime: {},
        reset: {},
      },
      preferredSmm: {},
      preferredKvm: { hidden: false },
    },
    firmware: { preferredEfi: { secureBoot: true, persistent: true } },
    machine: { preferredMachineType: 'pc-q35-rhel9.2.0' },
    volumes: { preferredStorageClassName: 'ceph-rbd' },
    requirements: { cpu: { guest: 2 }, memory: { guest: '4Gi' }, architecture: 'amd64' },
    preferredTerminationGracePeriodSeconds: 3600,
    preferredArchitecture: 'amd64',
    preferredSubdomain: 'win',
    annotations: { 'example.com/os': 'windows' },
  },
};

describe('VirtualMachineInstancetype', () => {
  it('accepts realistic namespaced and cluster instancetypes', () => {
    expect(errorLines(validateAs(VirtualMachineInstancetypeKind, instancetype))).toEqual([]);
    expect(errorLines(validateAs(VirtualMachineClusterInstancetypeKind, clusterInstancetype))).toEqual([]);
  });

  it('requires cpu.guest and memory.guest and catches unknown fields', () => {
    const it1 = clone(instancetype) as unknown as {
      spec: { cpu: Record<string, unknown>; memory: Record<string, unknown> };
    };
    delete it1.spec.cpu.guest;
    it1.spec.memory.guestt = '1Gi';
    const found = validateAs(VirtualMachineInstancetypeKind, it1).map((i) => `${i.path} ${i.rule}`);
    expect(found).toEqual(
      expect.arrayContaining(['spec.cpu.guest schema.required', 'spec.memory.guestt schema.unknown-field']),
    );
  });

  it('refuses isolateEmulatorThread without dedicated CPUs', () => {
    const t = clone(instancetype);
    t.spec.cpu.dedicatedCPUPlacement = false;
    expect(errorLines(validateAs(VirtualMachineInstancetypeKind, t))).toEqual([
      'spec.cpu.isolateEmulatorThread: isolateEmulatorThread only works with dedicated CPUs; set spec.cpu.dedicatedCPUPlacement: true or remove isolateEmulatorThread',
    ]);
  });

  it('refuses maxGuest below guest and memory that is not whole huge pages', () => {
    const t = clone(instancetype);
    t.spec.memory = { guest: '3584Mi', maxGuest: '2Gi', hugepages: { pageSize: '1Gi' } };
    expect(errorLines(validateAs(VirtualMachineInstancetypeKind, t))).toEqual([
      'spec.memory.maxGuest: maxGuest "2Gi" is below guest "3584Mi"; raise maxGuest to at least the guest memory',
      'spec.memory.guest: guest memory "3584Mi" is not a whole number of "1Gi" huge pages; round it to a multiple of the page size',
    ]);
  });

  it('publishes KubeVirt names and scope, with no subresources', () => {
    const ns = crdFor(VirtualMachineInstancetypeKind);
    expect(ns.metadata.name).toBe('virtualmachineinstancetypes.instancetype.kubevirt.io');
    expect(ns.spec.names).toMatchObject({
      singular: 'virtualmachineinstancetype',
      shortNames: ['vminstancetype', 'vminstancetypes', 'vmf', 'vmfs'],
      categories: ['all'],
    });
    expect(ns.spec.scope).toBe('Namespaced');
    const cluster = crdFor(VirtualMachineClusterInstancetypeKind);
    expect(cluster.spec.scope).toBe('Cluster');
    expect(cluster.spec.names).toMatchObject({
      plural: 'virtualmachineclusterinstancetypes',
      shortNames: ['vmclusterinstancetype', 'vmclusterinstancetypes', 'vmcf', 'vmcfs'],
    });
    expect(crdVersion(VirtualMachineInstancetypeKind).subresources).toBeUndefined();
  });
});

describe('VirtualMachinePreference', () => {
  it('accepts a realistic Windows preference, also cluster-scoped', () => {
    expect(errorLines(validateAs(VirtualMachinePreferenceKind, preference))).toEqual([]);
    expect(
      errorLines(
        validateAs(VirtualMachineClusterPreferenceKind, {
          ...preference,
          kind: 'VirtualMachineClusterPreference',
          metadata: { name: 'windows.2k22' },
        }),
      ),
    ).toEqual([]);
  });

  it('refuses an unknown topology and an unknown device preference', () => {
    const p = clone(preference) as unknown as {
      spec: { cpu: Record<string, unknown>; devices: Record<string, unknown> };
    };
    p.spec.cpu.preferredCPUTopology = 'preferNuma';
    p.spec.devices.preferredDiskbus = 'virtio';
    const found = validateAs(VirtualMachinePreferenceKind, p);
    expect(found.map((i) => `${i.path} ${i.rule}`)).toEqual(
      expect.arrayContaining([
        'spec.cpu.preferredCPUTopology schema.enum',
        'spec.devices.preferredDiskbus schema.unknown-field',
      ]),
    );
    expect(found.find((i) => i.rule === 'schema.unknown-field')?.message).toContain(
      'did you mean "preferredDiskBus"',
    );
  });

  it('refuses BIOS with EFI, Secure Boot without SMM, and a bad CoresThreads ratio', () => {
    const p = clone(preference);
    p.spec.firmware = { preferredUseBios: true, preferredEfi: {} };
    p.spec.features = { preferredSmm: { enabled: false } };
    p.spec.cpu = { preferredCPUTopology: 'spread', spreadOptions: { across: 'CoresThreads', ratio: 4 } };
    expect(errorLines(validateAs(VirtualMachinePreferenceKind, p))).toEqual([
      'spec.firmware.preferredUseBios: the preference asks for both BIOS and EFI; keep preferredUseBios or preferredEfi, not both',
      'spec.features.preferredSmm.enabled: Secure Boot needs SMM, but the preference turns SMM off; set spec.features.preferredSmm.enabled: true or preferredEfi.secureBoot: false',
      'spec.cpu.spreadOptions.ratio: ratio 4 is not supported with across: CoresThreads; each core has 2 threads, set ratio: 2 or leave it out',
    ]);
  });

  it('publishes KubeVirt names and scope', () => {
    expect(crdFor(VirtualMachinePreferenceKind).spec.names).toMatchObject({
      plural: 'virtualmachinepreferences',
      shortNames: ['vmpref', 'vmprefs', 'vmp', 'vmps'],
    });
    const cluster = crdFor(VirtualMachineClusterPreferenceKind);
    expect(cluster.spec.scope).toBe('Cluster');
    expect(cluster.spec.names).toMatchObject({
      singular: 'virtualmachineclusterpreference',
      shortNames: ['vmcp', 'vmcps'],
    });
  });
});

describe('instancetype.kubevirt.io/v1beta1 CRDs', () => {
  it.each(kinds.map((k) => [k.kind, k] as const))('%s documents every property', (_name, def) => {
    expect(undocumentedProperties(def)).toEqual([]);
  });
});
