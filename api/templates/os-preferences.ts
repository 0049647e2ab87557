/**
 * Guest OS preferences of the template library, composed from small traits (a Linux
 * virtio baseline, EFI, Secure Boot, TPM, Hyper-V enlightenments...) the way
 * kubevirt/common-instancetypes composes its catalogue, so each OS is a short list of
 * traits plus its minimum resources.
 */
import type { instancetypeV1beta1 } from '..';

export type PreferenceSpec = instancetypeV1beta1.VirtualMachinePreferenceSpec;

/** Merge preference fragments; later fragments win field by field, one level inside each section. */
export function mergePreferences(...parts: readonly PreferenceSpec[]): PreferenceSpec {
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      const prev = out[key];
      out[key] = isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : structuredClone(value);
    }
  }
  return out as PreferenceSpec;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Paravirtual devices every modern Linux guest has drivers for. */
export const linuxVirtio: PreferenceSpec = {
  devices: { preferredDiskBus: 'virtio', preferredInterfaceModel: 'virtio', preferredRng: {} },
};

/** UEFI firmware without Secure Boot. */
export const efi: PreferenceSpec = {
  firmware: { preferredEfi: { secureBoot: false } },
};

/** UEFI with Secure Boot, which needs SMM. */
export const secureBoot: PreferenceSpec = {
  features: { preferredSmm: {} },
  firmware: { preferredEfi: { secureBoot: true } },
};

/** A TPM whose state survives restarts (BitLocker, measured boot). */
export const persistentTpm: PreferenceSpec = {
  devices: { preferredTPM: { persistent: true } },
};

/** vCPUs as sockets, the layout that licensing-sensitive guests count least. */
export const socketsTopology: PreferenceSpec = {
  cpu: { preferredCPUTopology: 'sockets' },
};

/** virtio-net with one queue pair per vCPU. */
export const interfaceMultiQueue: PreferenceSpec = {
  devices: { preferredNetworkInterfaceMultiQueue: true },
};

/** Each virtio disk gets its own IO thread. */
export const dedicatedDiskIoThread: PreferenceSpec = {
  devices: { preferredDiskDedicatedIoThread: true },
};

/** Windows: emulated devices its installer has drivers for, Hyper-V enlightenments, a clock it expects. */
export const windowsBase: PreferenceSpec = mergePreferences(socketsTopology, {
  clock: {
    preferredClockOffset: { utc: {} },
    preferredTimer: {
      hpet: { present: false },
      pit: { tickPolicy: 'delay' },
      rtc: { tickPolicy: 'catchup' },
      hyperv: {},
    },
  },
  features: {
    preferredAcpi: {},
    preferredApic: {},
    preferredHyperv: {
      relaxed: {},
      vapic: {},
      vpindex: {},
      spinlocks: { spinlocks: 8191 },
      synic: {},
      synictimer: { direct: {} },
      tlbflush: {},
      frequencies: {},
      reenlightenment: {},
      ipi: {},
      runtime: {},
      reset: {},
    },
  },
  devices: {
    preferredDiskBus: 'sata',
    preferredInterfaceModel: 'e1000e',
    preferredInputBus: 'usb',
    preferredInputType: 'tablet',
  },
  // Windows updates can take long to shut down; give the guest an hour before forcing it off.
  preferredTerminationGracePeriodSeconds: 3600,
});

function requirements(cpus: number, memory: string): PreferenceSpec {
  return { requirements: { cpu: { guest: cpus }, memory: { guest: memory } } };
}

/** One OS preference of the library. */
export interface OsPreferenceDefinition {
  /** Name of the preference object, as in upstream's catalogue: `fedora`, `windows.11`... */
  readonly name: string;
  /** Human name for the `openshift.io/display-name`-style annotation UIs show. */
  readonly displayName: string;
  readonly spec: PreferenceSpec;
}

/** The OS preferences the library ships. */
export const OS_PREFERENCES: readonly OsPreferenceDefinition[] = [
  { name: 'cirros', displayName: 'CirrOS', spec: mergePreferences(linuxVirtio, requirements(1, '256Mi')) },
  {
    name: 'fedora',
    displayName: 'Fedora',
    spec: mergePreferences(linuxVirtio, secureBoot, interfaceMultiQueue, requirements(1, '2Gi')),
  },
  {
    name: 'ubuntu',
    displayName: 'Ubuntu',
    spec: mergePreferences(linuxVirtio, requirements(1, '2Gi')),
  },
  {
    name: 'debian',
    displayName: 'Debian',
    spec: mergePreferences(linuxVirtio, efi, requirements(1, '512Mi')),
  },
  {
    name: 'centos.stream9',
    displayName: 'CentOS Stream 9',
    spec: mergePreferences(linuxVirtio, dedicatedDiskIoThread, requirements(1, '1536Mi')),
  },
  {
    name: 'rhel.9',
    displayName: 'Red Hat Enterprise Linux 9',
    spec: mergePreferences(linuxVirtio, dedicatedDiskIoThread, requirements(1, '1536Mi')),
  },
  {
    name: 'windows.11',
    displayName: 'Microsoft Windows 11',
    spec: mergePreferences(windowsBase, persistentTpm, secureBoot, requirements(2, '4Gi')),
  },
];

/** The definition of a library OS preference, or an error listing the known names. */
export function osPreference(name: string): OsPreferenceDefinition {
  const found = OS_PREFERENCES.find((p) => p.name === name);
  if (!found) {
    throw new Error(
      `preference "${name}" is not in the library; use one of: ${OS_PREFERENCES.map((p) => p.name).join(', ')}`,
    );
  }
  return found;
}
