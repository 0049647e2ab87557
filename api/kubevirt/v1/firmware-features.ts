/**
 * Firmware (spec.domain.firmware) and machine features (spec.domain.features): boot
 * loader, SMBIOS identity, direct kernel boot, ACPI tables, Hyper-V enlightenments.
 */
import { Obj, Opt, Str, Bool, Enum, WithCel, type Static } from '../../schema/dsl';
import { FeatureSwitch, UInt32 } from './domain-common';

export const BIOS = Obj('Boot with legacy BIOS (the default).', {
  useSerial: Opt(Bool('Send BIOS output to the serial console.')),
});
export type BIOS = Static<typeof BIOS>;

export const EFI = Obj('Boot with UEFI firmware (OVMF).', {
  secureBoot: Opt(Bool('Use the Secure Boot capable firmware; needs SMM. True when left out.')),
  persistent: Opt(Bool('Keep the UEFI variable store (NVRAM) across restarts. False when left out.')),
});
export type EFI = Static<typeof EFI>;

export const Bootloader = WithCel(
  Obj('Which firmware boots the guest; set at most one of bios and efi.', {
    bios: Opt(BIOS),
    efi: Opt(EFI),
  }),
  [
    {
      rule: '!has(self.bios) || !has(self.efi)',
      message: 'has both EFI and BIOS configured, but they are mutually exclusive',
    },
  ],
);
export type Bootloader = Static<typeof Bootloader>;

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

export const KernelBootContainer = Obj('A container image that carries the kernel and initrd to boot.', {
  image: Str('Image reference holding the kernel and initrd files.'),
  imagePullSecret: Opt(Str('Name of an existing registry secret used to pull the image.')),
  imagePullPolicy: Opt(Enum('When to pull the image; IfNotPresent unless the tag is latest.', PULL_POLICIES)),
  kernelPath: Opt(Str('Absolute path of the kernel inside the image.')),
  initrdPath: Opt(Str('Absolute path of the initial ramdisk inside the image.')),
});
export type KernelBootContainer = Static<typeof KernelBootContainer>;

export const KernelBoot = Obj('Boot a kernel and initrd directly instead of through a boot disk.', {
  kernelArgs: Opt(Str('Kernel command line.')),
  container: Opt(KernelBootContainer),
});
export type KernelBoot = Static<typeof KernelBoot>;

export const ACPI = Obj('Extra ACPI tables given to the guest, each read from a secret volume.', {
  slicNameRef: Opt(Str('Name of the secret volume holding a binary SLIC table.')),
  msdmNameRef: Opt(Str('Name of the secret volume holding a binary MSDM table, used by newer Windows.')),
});
export type ACPI = Static<typeof ACPI>;

export const Firmware = Obj('Firmware and SMBIOS identity of the guest.', {
  uuid: Opt(Str('SMBIOS system UUID; derived from the VM when left out.')),
  bootloader: Opt(Bootloader),
  serial: Opt(Str('SMBIOS system serial number.')),
  kernelBoot: Opt(KernelBoot),
  acpi: Opt(ACPI),
});
export type Firmware = Static<typeof Firmware>;

export const FeatureAPIC = Obj('The local APIC interrupt controller.', {
  enabled: Opt(Bool('Whether the APIC is on; true when left out.')),
  endOfInterrupt: Opt(Bool('Offer paravirtual end-of-interrupt notification. False when left out.')),
});
export type FeatureAPIC = Static<typeof FeatureAPIC>;

export const FeatureSpinlocks = Obj('Hyper-V spinlock retry tuning.', {
  enabled: Opt(Bool('Whether the enlightenment is on; true when left out.')),
  spinlocks: Opt(
    UInt32('Attempts before a spinning guest notifies the hypervisor; 4096 or more, 4096 when left out.'),
  ),
});
export type FeatureSpinlocks = Static<typeof FeatureSpinlocks>;

export const FeatureVendorID = Obj('The hypervisor vendor identifier shown to the guest.', {
  enabled: Opt(Bool('Whether a custom vendor id is set; true when left out.')),
  vendorid: Opt(Str('Vendor id string, at most twelve characters.')),
});
export type FeatureVendorID = Static<typeof FeatureVendorID>;

export const SyNICTimer = Obj('Hyper-V synthetic timers, which lower guest CPU use.', {
  enabled: Opt(Bool('Whether the timers are on; true when left out.')),
  direct: Opt(FeatureSwitch('Deliver synthetic timer expiry as an interrupt rather than a message.')),
});
export type SyNICTimer = Static<typeof SyNICTimer>;

export const TLBFlush = Obj('Hyper-V paravirtual TLB flush; needs vpindex.', {
  enabled: Opt(Bool('Whether the enlightenment is on; true when left out.')),
  direct: Opt(
    FeatureSwitch(
      'Send TLB flush requests straight to the hypervisor; helps nested setups such as Windows VBS.',
    ),
  ),
  extended: Opt(FeatureSwitch('Let the guest flush only part of the TLB.')),
});
export type TLBFlush = Static<typeof TLBFlush>;

export const FeatureHyperv = Obj(
  'Hyper-V enlightenments that help Windows guests; each follows the machine type when left out.',
  {
    relaxed: Opt(FeatureSwitch('Tell the guest to relax its watchdog timeouts.')),
    vapic: Opt(FeatureSwitch('Paravirtual interrupt controller access.')),
    spinlocks: Opt(FeatureSpinlocks),
    vpindex: Opt(FeatureSwitch('Virtual processor index, so Windows can tell vCPUs apart.')),
    runtime: Opt(FeatureSwitch('Per-vCPU run time accounting for better guest scheduling.')),
    synic: Opt(FeatureSwitch('The synthetic interrupt controller.')),
    synictimer: Opt(SyNICTimer),
    reset: Opt(FeatureSwitch('Reset through Hyper-V; needs synic.')),
    vendorid: Opt(FeatureVendorID),
    frequencies: Opt(FeatureSwitch('Expose TSC and APIC frequencies through Hyper-V registers.')),
    reenlightenment: Opt(
      FeatureSwitch('Notify the guest when the TSC frequency changes, for example after migration.'),
    ),
    tlbflush: Opt(TLBFlush),
    ipi: Opt(FeatureSwitch('Paravirtual inter-processor interrupts; needs vpindex.')),
    evmcs: Opt(
      FeatureSwitch(
        'Enlightened VMCS for faster nested guests; needs vapic and turns off some other features.',
      ),
    ),
  },
);
export type FeatureHyperv = Static<typeof FeatureHyperv>;

export const HyperVPassthrough = Obj(
  'Turn on every Hyper-V enlightenment the host supports; the VM can then not migrate.',
  {
    enabled: Opt(Bool('Whether passthrough is on.')),
  },
);
export type HyperVPassthrough = Static<typeof HyperVPassthrough>;

export const FeatureKVM = Obj('How the guest sees that it runs on KVM.', {
  hidden: Opt(Bool('Hide the KVM signature from MSR-based detection. False when left out.')),
});
export type FeatureKVM = Static<typeof FeatureKVM>;

export const Features = Obj('Machine features of the guest: ACPI, APIC, Hyper-V, SMM, KVM visibility.', {
  acpi: Opt(FeatureSwitch('ACPI in the guest; on when left out.')),
  apic: Opt(FeatureAPIC),
  hypervPassthrough: Opt(HyperVPassthrough),
  hyperv: Opt(FeatureHyperv),
  smm: Opt(FeatureSwitch('System Management Mode; Secure Boot needs it.')),
  kvm: Opt(FeatureKVM),
  pvspinlock: Opt(FeatureSwitch('Paravirtual spinlocks; turn off for old guest kernels.')),
});
export type Features = Static<typeof Features>;
