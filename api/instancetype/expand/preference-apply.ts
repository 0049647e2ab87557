/**
 * A preference applied to a VM, KubeVirt's way: every preferred value only fills what the VM
 * leaves unset. To the VMI template: CPU features (by name), devices (./preference-devices.ts),
 * machine features, firmware, machine type, clock, subdomain, termination grace period and
 * annotations; and what KubeVirt's mutating webhook writes into every VM it admits: the
 * preferred architecture, and the preferred storage class of DataVolume templates that name
 * none (virtkit has no mutating webhook, so the expansion does it). KubeVirt's exceptions
 * are kept: `preferredAcpi` replaces the VM's ACPI setting, and Hyper-V preferences are skipped
 * when the VM turns on Hyper-V passthrough. Pure, but it writes into what it is given.
 */
import type { VirtualMachineInstanceSpec } from '../../kubevirt/v1/vmi';
import type { DataVolumeTemplateSpec } from '../../kubevirt/v1/vm';
import type { VirtualMachinePreferenceSpec } from '../v1beta1/preference';
import type { TemplateMetadata } from './instancetype-apply';
import { applyDevicePreferences } from './preference-devices';
import { copyOf as copy, isWritten as set } from './values';

type Domain = VirtualMachineInstanceSpec['domain'];

function applyCpuFeatures(p: VirtualMachinePreferenceSpec, domain: Domain): void {
  const preferred = p.cpu?.preferredCPUFeatures;
  if (!preferred?.length) return;
  const cpu = (domain.cpu ??= {});
  const named = new Set((cpu.features ?? []).map((f) => f.name));
  const added = preferred.filter((f) => !named.has(f.name)).map((f) => ({ ...f }));
  if (added.length) cpu.features = [...(cpu.features ?? []), ...added];
}

function applyFeatures(p: VirtualMachinePreferenceSpec, domain: Domain): void {
  const f = p.features;
  if (!f) return;
  const features = { ...domain.features };
  // KubeVirt overrides ACPI: its VMI field is no pointer, so it cannot tell unset from written.
  if (set(f.preferredAcpi)) features.acpi = copy(f.preferredAcpi);
  if (set(f.preferredApic) && !set(features.apic)) features.apic = copy(f.preferredApic);
  if (set(f.preferredHyperv) && features.hypervPassthrough?.enabled !== true) {
    const hyperv: Record<string, unknown> = { ...features.hyperv };
    for (const [key, value] of Object.entries(f.preferredHyperv ?? {})) {
      if (set(value) && !set(hyperv[key])) hyperv[key] = copy(value);
    }
    if (Object.keys(hyperv).length > 0) features.hyperv = hyperv as typeof features.hyperv;
  }
  if (set(f.preferredKvm) && !set(features.kvm)) features.kvm = copy(f.preferredKvm);
  if (set(f.preferredPvspinlock) && !set(features.pvspinlock))
    features.pvspinlock = copy(f.preferredPvspinlock);
  if (set(f.preferredSmm) && !set(features.smm)) features.smm = copy(f.preferredSmm);
  // Only features that hold something are written (KubeVirt would print an empty acpi).
  if (Object.keys(features).length > 0) domain.features = features;
}

function applyFirmware(p: VirtualMachinePreferenceSpec, domain: Domain): void {
  const fw = p.firmware;
  if (!fw) return;
  const current = domain.firmware?.bootloader;
  const bootloader: Record<string, unknown> = { ...current };
  const bios = () => bootloader.bios as { useSerial?: boolean } | undefined;
  const efi = () => bootloader.efi as { secureBoot?: boolean } | undefined;
  if (fw.preferredUseBios === true && !bios() && !efi()) bootloader.bios = {};
  if (set(fw.preferredUseBiosSerial) && bios() && !set(bios()?.useSerial))
    bootloader.bios = { ...bios(), useSerial: fw.preferredUseBiosSerial };
  if (!efi() && !bios() && set(fw.preferredEfi)) {
    // The current field wins over the deprecated ones: KubeVirt stops here.
    bootloader.efi = copy(fw.preferredEfi);
  } else {
    if (fw.preferredUseEfi === true && !efi() && !bios()) bootloader.efi = {};
    if (set(fw.preferredUseSecureBoot) && efi() && !set(efi()?.secureBoot))
      bootloader.efi = { ...efi(), secureBoot: fw.preferredUseSecureBoot };
  }
  // Only a bootloader that holds something is written (KubeVirt would leave an empty one).
  if (Object.keys(bootloader).length === 0) return;
  domain.firmware = {
    ...domain.firmware,
    bootloader: bootloader as NonNullable<Domain['firmware']>['bootloader'],
  };
}

function applyMachine(p: VirtualMachinePreferenceSpec, domain: Domain): void {
  const type = p.machine?.preferredMachineType;
  if (!set(type) || set(domain.machine?.type)) return;
  domain.machine = { ...domain.machine, type };
}

function applyClock(p: VirtualMachinePreferenceSpec, domain: Domain): void {
  const c = p.clock;
  if (!c) return;
  const clock = { ...domain.clock };
  // The offset is taken whole or not at all: never half the preference's and half the VM's.
  if (set(c.preferredClockOffset) && !set(clock.utc) && !set(clock.timezone)) {
    const offset = copy(c.preferredClockOffset);
    if (set(offset?.utc)) clock.utc = offset?.utc;
    if (set(offset?.timezone)) clock.timezone = offset?.timezone;
  }
  if (set(c.preferredTimer) && !set(clock.timer)) clock.timer = copy(c.preferredTimer);
  if (Object.keys(clock).length > 0) domain.clock = clock;
}

function applyAnnotations(p: VirtualMachinePreferenceSpec, metadata: TemplateMetadata): void {
  for (const [key, value] of Object.entries(p.annotations ?? {})) {
    if (metadata.annotations?.[key] === undefined)
      metadata.annotations = { ...metadata.annotations, [key]: value };
  }
}

/** Applies the preference to the VMI template spec and metadata (both written). */
export function applyPreference(
  preference: VirtualMachinePreferenceSpec,
  spec: VirtualMachineInstanceSpec,
  metadata: TemplateMetadata,
): void {
  applyCpuFeatures(preference, spec.domain);
  applyDevicePreferences(preference, spec);
  applyFeatures(preference, spec.domain);
  applyFirmware(preference, spec.domain);
  applyMachine(preference, spec.domain);
  applyClock(preference, spec.domain);
  if (!set(spec.subdomain) && set(preference.preferredSubdomain))
    spec.subdomain = preference.preferredSubdomain;
  if (!set(spec.terminationGracePeriodSeconds) && set(preference.preferredTerminationGracePeriodSeconds))
    spec.terminationGracePeriodSeconds = preference.preferredTerminationGracePeriodSeconds;
  applyAnnotations(preference, metadata);
  if (!set(spec.architecture) && set(preference.preferredArchitecture))
    spec.architecture = preference.preferredArchitecture;
}

/**
 * The preferred storage class on DataVolume templates whose `pvc` or `storage` names none
 * (what KubeVirt's mutating webhook writes); the templates are written.
 */
export function applyStorageClassPreference(
  preference: VirtualMachinePreferenceSpec,
  templates: DataVolumeTemplateSpec[] | undefined,
): void {
  const storageClassName = preference.volumes?.preferredStorageClassName;
  if (!set(storageClassName)) return;
  for (const template of templates ?? []) {
    const { pvc, storage } = template.spec;
    if (pvc && !set(pvc.storageClassName)) pvc.storageClassName = storageClassName;
    if (storage && !set(storage.storageClassName)) storage.storageClassName = storageClassName;
  }
}
