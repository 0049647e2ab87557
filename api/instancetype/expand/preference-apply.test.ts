import type { VirtualMachine } from '../../kubevirt/v1/vm-kind';
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import { expandVirtualMachine } from './expand';
import { vmWith } from './fixtures';

const onlyPreference = { preference: true };

function expand(vm: VirtualMachine, preference: VirtualMachinePreferenceSpec): VirtualMachine {
  const result = expandVirtualMachine(vm, { preference });
  if (!result.ok) throw new Error(result.message);
  return result.vm;
}
const spec = (vm: VirtualMachine): VirtualMachineInstanceSpec => vm.spec.template.spec!;
const withDomain = (
  domain: Partial<VirtualMachineInstanceSpec['domain']>,
): Partial<VirtualMachineInstanceSpec> => ({
  domain: { devices: {}, ...domain },
});

type Row = [
  string,
  VirtualMachinePreferenceSpec,
  /** The VM's own value of the field. */
  Partial<VirtualMachineInstanceSpec>,
  (s: VirtualMachineInstanceSpec) => unknown,
  /** What the field is when the VM leaves it out. */
  unknown,
  /** What it is when the VM sets it. */
  unknown,
];

describe('a preference fills what the VM leaves out and keeps what it wrote', () => {
  test.each<Row>([
    [
      'CPU features, by name',
      { cpu: { preferredCPUFeatures: [{ name: 'vmx' }, { name: 'pcid', policy: 'optional' }] } },
      withDomain({ cpu: { features: [{ name: 'vmx', policy: 'disable' }] } }),
      (s) => s.domain.cpu?.features,
      [{ name: 'vmx' }, { name: 'pcid', policy: 'optional' }],
      [
        { name: 'vmx', policy: 'disable' },
        { name: 'pcid', policy: 'optional' },
      ],
    ],
    [
      'useVirtioTransitional',
      { devices: { preferredUseVirtioTransitional: true } },
      withDomain({ devices: { useVirtioTransitional: false } }),
      (s) => s.domain.devices.useVirtioTransitional,
      true,
      false,
    ],
    [
      'blockMultiQueue',
      { devices: { preferredBlockMultiQueue: true } },
      withDomain({ devices: { blockMultiQueue: false } }),
      (s) => s.domain.devices.blockMultiQueue,
      true,
      false,
    ],
    [
      'networkInterfaceMultiqueue',
      { devices: { preferredNetworkInterfaceMultiQueue: true } },
      withDomain({ devices: { networkInterfaceMultiqueue: false } }),
      (s) => s.domain.devices.networkInterfaceMultiqueue,
      true,
      false,
    ],
    [
      'autoattach switches',
      { devices: { preferredAutoattachGraphicsDevice: false, preferredAutoattachSerialConsole: false } },
      withDomain({ devices: { autoattachGraphicsDevice: true } }),
      (s) => [s.domain.devices.autoattachGraphicsDevice, s.domain.devices.autoattachSerialConsole],
      [false, false],
      [true, false],
    ],
    [
      'rng',
      { devices: { preferredRng: {} } },
      withDomain({ devices: { rng: {} } }),
      (s) => s.domain.devices.rng,
      {},
      {},
    ],
    [
      'TPM',
      { devices: { preferredTPM: { persistent: true } } },
      withDomain({ devices: { tpm: { enabled: false } } }),
      (s) => s.domain.devices.tpm,
      { persistent: true },
      { enabled: false },
    ],
    [
      'video type',
      { devices: { preferredVideoType: 'virtio' } },
      withDomain({ devices: { video: { type: 'vga' } } }),
      (s) => s.domain.devices.video,
      { type: 'virtio' },
      { type: 'vga' },
    ],
    [
      'sound model (only of a sound device the VM has)',
      { devices: { preferredSoundModel: 'ac97' } },
      withDomain({ devices: { sound: { name: 's', model: 'ich9' } } }),
      (s) => s.domain.devices.sound,
      undefined,
      { name: 's', model: 'ich9' },
    ],
    [
      'disk bus, cache, IO mode, block size, dedicated IO thread',
      {
        devices: {
          preferredDiskBus: 'virtio',
          preferredDiskCache: 'none',
          preferredDiskIO: 'native',
          preferredDiskBlockSize: { matchVolume: {} },
          preferredDiskDedicatedIoThread: true,
        },
      },
      withDomain({ devices: { disks: [{ name: 'root', disk: { bus: 'sata' }, cache: 'writeback' }] } }),
      (s) => s.domain.devices.disks,
      undefined,
      [
        {
          name: 'root',
          disk: { bus: 'sata' },
          cache: 'writeback',
          io: 'native',
          blockSize: { matchVolume: {} },
        },
      ],
    ],
    [
      'CD-ROM and LUN bus',
      { devices: { preferredCdromBus: 'sata', preferredLunBus: 'scsi' } },
      withDomain({
        devices: {
          disks: [
            { name: 'cd', cdrom: {} },
            { name: 'lun', lun: { bus: 'virtio' } },
          ],
        },
      }),
      (s) => s.domain.devices.disks,
      undefined,
      [
        { name: 'cd', cdrom: { bus: 'sata' } },
        { name: 'lun', lun: { bus: 'virtio' } },
      ],
    ],
    [
      'input bus and type',
      { devices: { preferredInputBus: 'virtio', preferredInputType: 'tablet' } },
      withDomain({ devices: { inputs: [{ name: 'in', type: 'keyboard' }] } }),
      (s) => s.domain.devices.inputs,
      undefined,
      [{ name: 'in', type: 'keyboard', bus: 'virtio' }],
    ],
    [
      'panic device model (one is added when there is none)',
      { devices: { preferredPanicDeviceModel: 'pvpanic' } },
      withDomain({ devices: { panicDevices: [{ model: 'isa' }, {}] } }),
      (s) => s.domain.devices.panicDevices,
      [{ model: 'pvpanic' }],
      [{ model: 'isa' }, { model: 'pvpanic' }],
    ],
    [
      'machine features',
      {
        features: {
          preferredApic: { enabled: true },
          preferredKvm: { hidden: true },
          preferredPvspinlock: { enabled: false },
          preferredSmm: { enabled: true },
        },
      },
      withDomain({ features: { smm: { enabled: false } } }),
      (s) => s.domain.features,
      {
        apic: { enabled: true },
        kvm: { hidden: true },
        pvspinlock: { enabled: false },
        smm: { enabled: true },
      },
      {
        apic: { enabled: true },
        kvm: { hidden: true },
        pvspinlock: { enabled: false },
        smm: { enabled: false },
      },
    ],
    [
      'Hyper-V, enlightenment by enlightenment',
      { features: { preferredHyperv: { relaxed: {}, vapic: { enabled: true } } } },
      withDomain({ features: { hyperv: { vapic: { enabled: false } } } }),
      (s) => s.domain.features?.hyperv,
      { relaxed: {}, vapic: { enabled: true } },
      { relaxed: {}, vapic: { enabled: false } },
    ],
    [
      'EFI',
      { firmware: { preferredEfi: { secureBoot: false } } },
      withDomain({ firmware: { bootloader: { bios: {} } } }),
      (s) => s.domain.firmware?.bootloader,
      { efi: { secureBoot: false } },
      { bios: {} },
    ],
    [
      'BIOS with serial output',
      { firmware: { preferredUseBios: true, preferredUseBiosSerial: true } },
      withDomain({ firmware: { bootloader: { efi: {} } } }),
      (s) => s.domain.firmware?.bootloader,
      { bios: { useSerial: true } },
      { efi: {} },
    ],
    [
      'deprecated EFI and Secure Boot switches',
      { firmware: { preferredUseEfi: true, preferredUseSecureBoot: false } },
      withDomain({ firmware: { bootloader: { efi: { secureBoot: true } } } }),
      (s) => s.domain.firmware?.bootloader,
      { efi: { secureBoot: false } },
      { efi: { secureBoot: true } },
    ],
    [
      'machine type',
      { machine: { preferredMachineType: 'pc-q35-8.2' } },
      withDomain({ machine: { type: 'q35' } }),
      (s) => s.domain.machine,
      { type: 'pc-q35-8.2' },
      { type: 'q35' },
    ],
    [
      'clock offset, whole or not at all, and timer',
      {
        clock: {
          preferredClockOffset: { timezone: 'Europe/Paris' },
          preferredTimer: { hpet: { present: false } },
        },
      },
      withDomain({ clock: { utc: {} } }),
      (s) => s.domain.clock,
      { timezone: 'Europe/Paris', timer: { hpet: { present: false } } },
      { utc: {}, timer: { hpet: { present: false } } },
    ],
    ['subdomain', { preferredSubdomain: 'pref' }, { subdomain: 'mine' }, (s) => s.subdomain, 'pref', 'mine'],
    [
      'terminationGracePeriodSeconds',
      { preferredTerminationGracePeriodSeconds: 180 },
      { terminationGracePeriodSeconds: 0 },
      (s) => s.terminationGracePeriodSeconds,
      180,
      0,
    ],
    [
      'architecture',
      { preferredArchitecture: 'arm64' },
      { architecture: 'amd64' },
      (s) => s.architecture,
      'arm64',
      'amd64',
    ],
  ])('%s', (_what, preference, own, pick, whenUnset, whenSet) => {
    expect(pick(spec(expand(vmWith({}, onlyPreference), preference)))).toEqual(whenUnset);
    expect(pick(spec(expand(vmWith(own, onlyPreference), preference)))).toEqual(whenSet);
  });
});

describe('where KubeVirt does more than fill', () => {
  test('a disk without a target becomes a plain disk so the preferred bus applies; the IO thread only for virtio', () => {
    const vm = vmWith(
      withDomain({ devices: { disks: [{ name: 'a' }, { name: 'b', disk: { bus: 'sata' } }] } }),
      onlyPreference,
    );
    const out = expand(vm, { devices: { preferredDiskBus: 'virtio', preferredDiskDedicatedIoThread: true } });
    expect(spec(out).domain.devices.disks).toEqual([
      { name: 'a', disk: { bus: 'virtio' }, dedicatedIOThread: true },
      { name: 'b', disk: { bus: 'sata' } },
    ]);
  });

  test('masquerade goes to an interface on the pod network with no binding, and only there', () => {
    const vm = vmWith(
      {
        domain: {
          devices: {
            interfaces: [{ name: 'pod' }, { name: 'multus' }, { name: 'bound', bridge: {} }],
          },
        },
        networks: [
          { name: 'pod', pod: {} },
          { name: 'multus', multus: { networkName: 'nad' } },
          { name: 'bound', pod: {} },
        ],
      },
      onlyPreference,
    );
    const out = expand(vm, {
      devices: { preferredInterfaceMasquerade: {}, preferredInterfaceModel: 'e1000e' },
    });
    expect(spec(out).domain.devices.interfaces).toEqual([
      { name: 'pod', masquerade: {}, model: 'e1000e' },
      { name: 'multus', model: 'e1000e' },
      { name: 'bound', bridge: {}, model: 'e1000e' },
    ]);
  });

  test('preferredAcpi replaces the VM’s ACPI setting (KubeVirt cannot tell it unset)', () => {
    const vm = vmWith(withDomain({ features: { acpi: { enabled: true } } }), onlyPreference);
    expect(
      spec(expand(vm, { features: { preferredAcpi: { enabled: false } } })).domain.features?.acpi,
    ).toEqual({
      enabled: false,
    });
  });

  test('preferredDisableHotplug replaces the VM’s value', () => {
    const vm = vmWith(withDomain({ devices: { disableHotplug: true } }), onlyPreference);
    expect(
      spec(expand(vm, { devices: { preferredDisableHotplug: false } })).domain.devices,
    ).not.toHaveProperty('disableHotplug');
  });

  test('Hyper-V preferences are skipped when the VM turns on Hyper-V passthrough', () => {
    const vm = vmWith(withDomain({ features: { hypervPassthrough: { enabled: true } } }), onlyPreference);
    expect(spec(expand(vm, { features: { preferredHyperv: { relaxed: {} } } })).domain.features).toEqual({
      hypervPassthrough: { enabled: true },
    });
  });

  test('a preferred EFI wins over the deprecated switches', () => {
    const out = expand(vmWith({}, onlyPreference), {
      firmware: { preferredEfi: { persistent: true }, preferredUseEfi: true, preferredUseSecureBoot: true },
    });
    expect(spec(out).domain.firmware).toEqual({ bootloader: { efi: { persistent: true } } });
  });

  test('a preference with nothing to give leaves no empty objects behind (Go would print acpi: {})', () => {
    const out = expand(vmWith({}, onlyPreference), { features: {}, firmware: {}, clock: {}, machine: {} });
    expect(spec(out).domain).toEqual({
      devices: { interfaces: [{ name: 'default', masquerade: {} }] },
    });
  });

  test('annotations fill the template metadata, never replacing the VM’s', () => {
    const vm = vmWith({}, onlyPreference);
    vm.spec.template.metadata = { labels: { app: 'web' }, annotations: { a: 'mine' } };
    const out = expand(vm, { annotations: { a: 'theirs', b: 'theirs' } });
    expect(out.spec.template.metadata).toEqual({
      labels: { app: 'web' },
      annotations: { a: 'mine', b: 'theirs' },
    });
  });

  test('the preferred storage class goes to DataVolume templates that name none', () => {
    const vm = vmWith({}, onlyPreference);
    vm.spec.dataVolumeTemplates = [
      { metadata: { name: 'a' }, spec: { storage: {} } },
      { metadata: { name: 'b' }, spec: { pvc: {} } },
      { metadata: { name: 'c' }, spec: { storage: { storageClassName: 'mine' } } },
      { metadata: { name: 'd' }, spec: { source: { blank: {} } } },
    ];
    const out = expand(vm, { volumes: { preferredStorageClassName: 'fast' } });
    expect(out.spec.dataVolumeTemplates?.map((t) => t.spec)).toEqual([
      { storage: { storageClassName: 'fast' } },
      { pvc: { storageClassName: 'fast' } },
      { storage: { storageClassName: 'mine' } },
      { source: { blank: {} } },
    ]);
  });
});
