/**
 * VirtualMachinePreference and VirtualMachineClusterPreference: guest OS defaults (buses,
 * firmware, devices, minimum resources) that a VM's own settings override.
 */
import type { Construct } from 'constructs';
import { instancetypeV1beta1 } from '../../api';
import type { KindReference } from '../core/kubevirt-object';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import type { IPreference } from '../../api/render/instancetype-ref';
import { mergePreferences, osPreference, type PreferenceSpec } from '../../api/templates/os-preferences';

/** Firmware a preference asks for. */
export enum PreferredFirmware {
  /** Legacy BIOS (SeaBIOS). */
  BIOS = 'bios',
  /** UEFI without Secure Boot. */
  EFI = 'efi',
  /** UEFI with Secure Boot (adds SMM). */
  EFI_SECURE_BOOT = 'efi-secure-boot',
}

/** How instancetype vCPUs are laid out. */
export enum PreferredCpuTopology {
  SOCKETS = 'sockets',
  CORES = 'cores',
  THREADS = 'threads',
  SPREAD = 'spread',
  /** Take the topology from the VM. */
  ANY = 'any',
}

/** A starting point for a preference: a library OS or a raw api/ spec. */
export class PreferencePreset {
  /**
   * A guest OS of the library: cirros, fedora, ubuntu, debian, centos.stream9, rhel.9, windows.11.
   * @example PreferencePreset.os('fedora')
   */
  public static os(name: string): PreferencePreset {
    return new PreferencePreset(osPreference(name).spec);
  }

  /**
   * Any preference spec, written in api/ terms (the escape hatch for fields without a prop; a
   * `PreferenceSpec` of virtkit/api fits). Checked against the API's schema at synth.
   */
  public static fromSpec(spec: { [key: string]: unknown }): PreferencePreset {
    return new PreferencePreset(structuredClone(spec) as PreferenceSpec);
  }

  private constructor(private readonly value: PreferenceSpec) {}

  /** A copy of the spec. */
  public get spec(): { [key: string]: unknown } {
    return structuredClone(this.value);
  }
}

/** Settings of a preference (all optional; typed props win over the preset). */
export interface PreferenceSettings {
  /**
   * Spec to start from.
   * @default - an empty preference
   * @example PreferencePreset.os('ubuntu')
   */
  readonly preset?: PreferencePreset;
  /**
   * Bus for disks that name none.
   * @default - from the preset, else KubeVirt's default (virtio)
   * @example 'sata'
   */
  readonly diskBus?: string;
  /**
   * Model of interfaces that name none.
   * @default - from the preset, else virtio
   * @example 'e1000e'
   */
  readonly interfaceModel?: string;
  /**
   * Firmware.
   * @default - from the preset, else BIOS
   * @example PreferredFirmware.EFI_SECURE_BOOT
   */
  readonly firmware?: PreferredFirmware;
  /**
   * Add a persistent TPM.
   * @default - from the preset, else no TPM
   * @example true
   */
  readonly persistentTpm?: boolean;
  /**
   * vCPU layout.
   * @default - from the preset, else sockets
   * @example PreferredCpuTopology.CORES
   */
  readonly cpuTopology?: PreferredCpuTopology;
  /**
   * QEMU machine type.
   * @default - the cluster default (q35)
   * @example 'pc-q35-rhel9.4.0'
   */
  readonly machineType?: string;
  /**
   * StorageClass for the VM's DataVolume templates that name none.
   * @default - the cluster default
   * @example 'fast-ssd'
   */
  readonly storageClassName?: string;
  /**
   * Seconds a stopping guest gets before it is forced off.
   * @default - from the preset, else KubeVirt's default
   * @example 180
   */
  readonly terminationGracePeriodSeconds?: number;
  /**
   * Fewest vCPUs a VM with this preference may have.
   * @default - from the preset, else no minimum
   * @example 2
   */
  readonly minCpus?: number;
  /**
   * Least memory a VM with this preference may have.
   * @default - from the preset, else no minimum
   * @example '4Gi'
   */
  readonly minMemory?: string;
}

/** Props of a preference: metadata plus settings. */
export interface PreferenceProps extends ObjectMetaProps, PreferenceSettings {}

function firmwareSpec(f: PreferredFirmware): PreferenceSpec {
  switch (f) {
    case PreferredFirmware.BIOS:
      return { firmware: { preferredUseBios: true } };
    case PreferredFirmware.EFI:
      return { firmware: { preferredEfi: { secureBoot: false } } };
    case PreferredFirmware.EFI_SECURE_BOOT:
      return { firmware: { preferredEfi: { secureBoot: true } }, features: { preferredSmm: {} } };
  }
}

/** The api/ spec of the settings: the preset, then each typed setting on top (pure). */
export function renderPreferenceSpec(s: PreferenceSettings): PreferenceSpec {
  const parts: PreferenceSpec[] = [s.preset?.spec ?? {}];
  const devices: Record<string, unknown> = {};
  if (s.diskBus !== undefined) devices.preferredDiskBus = s.diskBus;
  if (s.interfaceModel !== undefined) devices.preferredInterfaceModel = s.interfaceModel;
  if (s.persistentTpm !== undefined)
    devices.preferredTPM = s.persistentTpm ? { persistent: true } : { enabled: false };
  if (Object.keys(devices).length) parts.push({ devices });
  if (s.firmware !== undefined) {
    // A typed firmware replaces whatever firmware the preset chose.
    const base = parts[0];
    delete base.firmware;
    parts.push(firmwareSpec(s.firmware));
  }
  if (s.cpuTopology !== undefined) parts.push({ cpu: { preferredCPUTopology: s.cpuTopology } });
  if (s.machineType !== undefined) parts.push({ machine: { preferredMachineType: s.machineType } });
  if (s.storageClassName !== undefined)
    parts.push({ volumes: { preferredStorageClassName: s.storageClassName } });
  if (s.terminationGracePeriodSeconds !== undefined) {
    parts.push({ preferredTerminationGracePeriodSeconds: s.terminationGracePeriodSeconds });
  }
  const requirements: Record<string, unknown> = {};
  if (s.minCpus !== undefined) requirements.cpu = { guest: s.minCpus };
  if (s.minMemory !== undefined) requirements.memory = { guest: s.minMemory };
  if (Object.keys(requirements).length) parts.push({ requirements });
  return mergePreferences(...parts);
}

function withoutMeta(props: PreferenceProps): PreferenceSettings {
  const copy: Record<string, unknown> = { ...props };
  for (const key of ['name', 'namespace', 'labels', 'annotations']) delete copy[key];
  return copy as PreferenceSettings;
}

abstract class PreferenceBase extends KubeVirtObject implements IPreference {
  /** The settings this preference renders. */
  public readonly settings: PreferenceSettings;

  protected constructor(scope: Construct, id: string, kind: KindReference, props: PreferenceProps) {
    super(scope, id, kind, props);
    this.settings = withoutMeta(props);
  }

  /** `VirtualMachinePreference` or `VirtualMachineClusterPreference` (what a VM's PreferenceRef needs). */
  public get kind(): string {
    return this._kindDefinition.kind;
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: renderPreferenceSpec(this.settings) };
  }
}

/**
 * A namespaced preference.
 *
 * @example new VirtualMachinePreference(chart, 'legacy', { diskBus: 'sata', firmware: PreferredFirmware.BIOS })
 */
export class VirtualMachinePreference extends PreferenceBase {
  public constructor(scope: Construct, id: string, props: PreferenceProps = {}) {
    super(scope, id, instancetypeV1beta1.VirtualMachinePreferenceKind, props);
  }
}

/**
 * A cluster-wide preference.
 *
 * @example new VirtualMachineClusterPreference(chart, 'fedora', { name: 'fedora', preset: PreferencePreset.os('fedora') })
 */
export class VirtualMachineClusterPreference extends PreferenceBase {
  public constructor(scope: Construct, id: string, props: PreferenceProps = {}) {
    super(scope, id, instancetypeV1beta1.VirtualMachineClusterPreferenceKind, props);
  }
}
