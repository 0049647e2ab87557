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
   * The pod interface the CNI plugins configured (`eth0`), when the launcher runs in its pod's
   * network namespace (the handler says so): pod networks are then bound to it as KubeVirt does
   * (masquerade or bridge, over a tap device). Without it, QEMU's user-mode networking stands
   * in for the pod network (`virtkit launch`).
   */
  readonly podInterfaceName?: string;
  /** That interface as the launcher found it (session.ts reads it; planning stays pure). */
  readonly podNetwork?: PodNetworkState;
  /**
   * Cluster mode: the launcher has no NET_ADMIN, so the node's handler performs the pod-network
   * bindings' steps in the pod's namespace (launcher/handoff.ts); the launcher serves their DHCP.
   * @default false: the launcher binds them itself (local mode runs it as root in the pod's namespace)
   */
  readonly networkByHandler?: boolean;
  /**
   * The cluster's enabled feature gates (KubeVirt's names, api/feature-gates.ts): features that
   * reach the node's files (hostDisk, local container disks, ...) are refused without theirs.
   * @default none
   */
  readonly featureGates?: readonly string[];
  /**
   * This launcher is the target of a live migration: QEMU starts with `-incoming defer -S`, waits
   * for the source's state (POST /v1/migration/incoming) and runs the guest only once the handler
   * finishes the migration (POST /v1/migration/finish).
   * @default false
   */
  readonly migrationTarget?: boolean;
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
  /** The pod's interface this one is bound to (status.interfaces[].podInterfaceName). */
  readonly podInterfaceName?: string;
  /** How it is wired to that pod interface, when the launcher does it (pod network bindings). */
  readonly binding?: PlannedBinding;
  /** The NIC's queue pairs (status.interfaces[].queueCount): the vCPUs with networkInterfaceMultiqueue on a virtio tap, else 1. */
  readonly queues: number;
}

/** Ports masquerade forwards to the guest: one, or port..end. */
export interface ForwardedPorts {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  readonly end?: number;
}

/** An IPv4 address with its prefix length. */
export interface Ipv4Cidr {
  readonly ip: string;
  readonly prefixLength: number;
}

/** A route the pod interface has through a gateway (destination/prefix via gateway). */
export interface Ipv4Route {
  readonly destination: string;
  readonly prefixLength: number;
  readonly gateway: string;
}

/** The pod's network as the CNI plugins left it, seen from inside the pod's namespace. */
export interface PodNetworkState {
  readonly iface: {
    readonly name: string;
    readonly mac: string;
    readonly mtu: number;
    /** IPv4 addresses, first one first. */
    readonly addresses: readonly Ipv4Cidr[];
    /** The default route's gateway. */
    readonly gateway?: string;
    /** Other routes through a gateway (they go to the guest with a bridge binding). */
    readonly routes: readonly Ipv4Route[];
  };
  /** The pod's resolv.conf: what DHCP tells the guest. */
  readonly dns: { readonly nameservers: readonly string[]; readonly searches: readonly string[] };
  /** The pod's Multus attachments (pod<hash>), by interface name. */
  readonly secondary?: Readonly<Record<string, PodNetworkState['iface']>>;
}

/**
 * A guest interface bound to the pod's interface, as KubeVirt's network bindings do it: a tap
 * device for QEMU on a bridge in the pod's namespace and a DHCP lease for the guest.
 * - masquerade: the bridge holds the gateway address of vmNetworkCIDR (10.0.2.1/24), the guest
 *   gets the next one (10.0.2.2), and NAT (nftables) maps the pod IP to it.
 * - bridge: the pod interface itself joins the bridge and gives its address (and its MAC,
 *   unless the spec sets one) to the guest; the bridge keeps a link-local address to answer
 *   DHCP from.
 */
export interface PlannedBinding {
  readonly kind: 'masquerade' | 'bridge';
  readonly podInterface: string;
  /** k6t-<pod interface> */
  readonly bridge: string;
  /** tap<n>: QEMU opens it by name (it belongs to QEMU's user). */
  readonly tap: string;
  /** Queues of the tap: more than 1 makes it a multi-queue tap (networkInterfaceMultiqueue). */
  readonly queues?: number;
  readonly mtu: number;
  readonly guestMac: string;
  /** The guest's address; none for a bridge on a network without IPAM (layer 2 only, no DHCP). */
  readonly guest?: Ipv4Cidr;
  /** The bridge's own address, the DHCP server's id. */
  readonly serverIp: string;
  /** The router the guest is told about. */
  readonly gateway?: string;
  /** More routes for the guest (bridge: the pod's routes). */
  readonly routes: readonly Ipv4Route[];
  /** masquerade: the ports (port..end when a range) forwarded to the guest; empty means all. */
  readonly ports: readonly ForwardedPorts[];
  /** bridge: the address the pod interface leaves to the guest. */
  readonly podAddress?: Ipv4Cidr;
  /** bridge: the MAC the pod interface takes when the guest takes its own. */
  readonly podMac?: string;
  readonly hostname: string;
  readonly dns: PodNetworkState['dns'];
  /** The interface's checked `dhcpOptions`, which the guest's DHCP answers carry. */
  readonly dhcpOptions?: PlannedDhcpOptions;
}

/** KubeVirt's dhcpOptions of an interface, checked; NTP servers as dotted quads. */
export interface PlannedDhcpOptions {
  /** Option 66; absent when empty. */
  readonly tftpServerName?: string;
  /** Option 67; absent when empty. */
  readonly bootFileName?: string;
  /** Option 42. */
  readonly ntpServers: readonly string[];
  /** Options 224..254, each sent as the UTF-8 bytes of its value. */
  readonly privateOptions: readonly { readonly option: number; readonly value: string }[];
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
  /** QEMU waits for an incoming migration (`-incoming defer -S`): LaunchContext.migrationTarget. */
  readonly incoming?: true;
}
