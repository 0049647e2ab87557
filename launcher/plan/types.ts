/**
 * Inputs and output of the pure VMI -> QEMU planning step. Everything the plan depends on
 * from the outside world (which files exist, which firmware is installed, what the handler
 * prepared) comes in through LaunchContext, so the planner itself does no I/O.
 */

/** A disk image the handler prepared for a PVC or DataVolume volume. */
export interface ProvidedVolume {
  /** Image file (a filesystem PVC's disk.img) or block device path. */
  readonly path: string;
  /** raw unless said otherwise. */
  readonly format?: 'raw' | 'qcow2';
}

/** Cloud-init data the handler read from secrets named by secretRef/networkDataSecretRef. */
export interface ResolvedCloudInitSecrets {
  readonly userData?: string;
  readonly networkData?: string;
}

export interface FirmwareFiles {
  /** OVMF code/vars without Secure Boot. */
  readonly efiCode?: string;
  readonly efiVars?: string;
  /** OVMF code/vars with Secure Boot (needs SMM). */
  readonly efiSecureCode?: string;
  readonly efiSecureVars?: string;
}

export type Accelerator = 'kvm' | 'tcg';

export interface LaunchContext {
  /** Per-VM private directory: sockets, overlays, generated ISOs, logs. */
  readonly workDir: string;
  /** Where state that must survive a launcher restart goes (EFI NVRAM when persistent); defaults to workDir. */
  readonly stateDir?: string;
  readonly accelerator: Accelerator;
  readonly firmware: FirmwareFiles;
  /** Does this path exist on the node? (Injected so planning stays pure.) */
  readonly exists: (path: string) => boolean;
  /** Is this path a block device (a Block volume)? QEMU opens those with its host_device driver. */
  readonly isBlockDevice?: (path: string) => boolean;
  /** PVC / DataVolume volumes by volume name. */
  readonly volumes?: Readonly<Record<string, ProvidedVolume>>;
  /** Base images of containerDisk (and kernelBoot container) volumes, by volume name / 'kernelBoot'. */
  readonly containerDisks?: Readonly<Record<string, string>>;
  /** Directories with the files of configMap / secret / sysprep volumes, by volume name. */
  readonly volumeDirs?: Readonly<Record<string, string>>;
  /** Cloud-init secrets by volume name. */
  readonly cloudInitSecrets?: Readonly<Record<string, ResolvedCloudInitSecrets>>;
  /** Tap devices the handler created, by interface name. Without one, user-mode networking. */
  readonly taps?: Readonly<Record<string, string>>;
  /**
   * The cluster's enabled feature gates (KubeVirt's names, api/feature-gates.ts): features that
   * reach the node's files (hostDisk, local container disks, ...) are refused without theirs.
   * @default none
   */
  readonly featureGates?: readonly string[];
}

/** A file the launcher opens and hands to QEMU as descriptor `fd`, in QEMU fd set `set`. */
export interface PassedFd {
  readonly fd: number;
  readonly set: number;
  readonly path: string;
  /** Opened read-write (else read-only). */
  readonly write: boolean;
}

/** Work the launcher does (I/O) before QEMU starts; the plan lists it, prepare.ts performs it. */
export type PrepareStep =
  | { readonly kind: 'mkdir'; readonly path: string }
  /** A fresh qcow2 overlay over a read-only base (removed first: changes never survive). */
  | { readonly kind: 'overlay'; readonly path: string; readonly base: string; readonly volume: string }
  /** A fresh sparse qcow2 of the given size (emptyDisk). */
  | { readonly kind: 'emptyDisk'; readonly path: string; readonly sizeBytes: number; readonly volume: string }
  /** A sparse raw image, only when the file is missing (hostDisk DiskOrCreate). */
  | {
      readonly kind: 'createIfMissing';
      readonly path: string;
      readonly sizeBytes: number;
      readonly volume: string;
    }
  /** An ISO 9660 image with the given label and files (path inside the image -> content). */
  | {
      readonly kind: 'iso';
      readonly path: string;
      readonly label: string;
      readonly files: Readonly<Record<string, string>>;
      readonly fromDir?: string;
      readonly volume: string;
    }
  /** Copy a file, replacing the target (a kernel or initrd QEMU must read from its own directory). */
  | { readonly kind: 'copy'; readonly from: string; readonly path: string }
  /** Copy a file unless the target exists (EFI variable store). */
  | { readonly kind: 'copyIfMissing'; readonly from: string; readonly path: string }
  /**
   * Refuse to go on when `path`, with symlinks resolved, is not inside `base` (the planner
   * confines paths lexically; only the node can see where links point). Names `field`.
   */
  | { readonly kind: 'confine'; readonly base: string; readonly path: string; readonly field: string };

export interface PlannedDisk {
  readonly name: string;
  readonly path: string;
  readonly format: 'raw' | 'qcow2';
  readonly bus: string;
  readonly device: 'disk' | 'cdrom';
  readonly readOnly: boolean;
  /** QEMU's id for the drive (query-blockstats `device`). */
  readonly driveId: string;
  readonly volumeSource: string;
}

export interface PlannedInterface {
  readonly name: string;
  readonly mac: string;
  readonly model: string;
  /** tap:<dev> or user */
  readonly backend: string;
  readonly netdevId: string;
}

export interface LaunchPlan {
  readonly args: readonly string[];
  /** QEMU's working directory: every file QEMU names by path is inside it (relative, ./...). */
  readonly qemuDir: string;
  /** Files the launcher opens and passes to QEMU (after prepare), in descriptor order from 3. */
  readonly passFds: readonly PassedFd[];
  readonly prepare: readonly PrepareStep[];
  readonly qmpSocket: string;
  readonly serialSocket?: string;
  readonly serialLog?: string;
  readonly vncSocket?: string;
  readonly guestAgentSocket?: string;
  readonly disks: readonly PlannedDisk[];
  /** The SCSI bus hotplugged disks are attached to (`scsi0.0`); undefined when hotplug is disabled. */
  readonly hotplugBus?: string;
  readonly interfaces: readonly PlannedInterface[];
  readonly vcpus: number;
  readonly guestMemoryBytes: number;
  readonly machine: string;
  readonly accelerator: Accelerator;
  readonly firmware: 'bios' | 'efi' | 'kernel';
  readonly uuid: string;
  /** What a guest-initiated reboot does; Terminate makes QEMU exit instead (-no-reboot). */
  readonly rebootPolicy: 'Reboot' | 'Terminate';
}
