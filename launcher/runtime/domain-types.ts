/**
 * What the launcher reports about its guest, in KubeVirt's domain vocabulary (the states and
 * reasons virt-handler reads from virt-launcher), serialised as JSON by the control API.
 */

/** Domain life-cycle states, named as KubeVirt names them. */
export type DomainState = 'NoState' | 'Running' | 'Paused' | 'ShuttingDown' | 'Shutoff' | 'Crashed';

/**
 * Why the domain is in its state. The migration ones, as KubeVirt names libvirt's: Running /
 * Migrated (the guest resumed on the target), Running / MigrationCanceled (resumed on the source
 * after a cancelled migration), Running / Postcopy (running on the target during post-copy),
 * Paused / PausedMigration (a target waiting for its migration, or the source at the
 * switchover), Paused / PausedPostcopy (the source once post-copy started), Shutoff / Migrated
 * (the source after the guest moved).
 */
export type DomainReason =
  | 'Unknown'
  | 'Booted'
  | 'Unpaused'
  | 'Migrated'
  | 'MigrationCanceled'
  | 'Postcopy'
  | 'PausedUser'
  | 'PausedIOError'
  | 'PausedStartingUp'
  | 'PausedMigration'
  | 'PausedPostcopy'
  | 'PausedUnknown'
  | 'Shutdown'
  | 'Destroyed'
  | 'Crashed'
  | 'Failed';

export interface DomainStatus {
  readonly name: string;
  readonly namespace: string;
  readonly uuid: string;
  readonly state: DomainState;
  readonly reason: DomainReason;
  /** QEMU's own run state from query-status, when QEMU is up. */
  readonly qemuStatus?: string;
  readonly pid?: number;
  readonly accelerator: 'kvm' | 'tcg';
  /** KubeVirt's notion: the guest runs without hardware virtualization. */
  readonly softwareEmulation: boolean;
  readonly acceleratorReason: string;
  readonly vcpus: number;
  readonly guestMemoryBytes: number;
  readonly firmware: 'bios' | 'efi' | 'kernel';
  readonly serialSocket?: string;
  readonly serialLog?: string;
  readonly vncSocket?: string;
  readonly guestAgentSocket?: string;
  readonly disks: readonly {
    name: string;
    path: string;
    bus: string;
    device: string;
    readOnly: boolean;
    source: string;
  }[];
  readonly interfaces: readonly {
    name: string;
    mac: string;
    model: string;
    backend: string;
    /** The pod interface it is on (pod network). */
    podInterfaceName?: string;
    /** How it is bound to the pod interface, when the launcher bound it. */
    binding?: 'masquerade' | 'bridge';
    /** The address DHCP gives the guest on it (masquerade: 10.0.2.2; bridge: the pod's). */
    ipAddress?: string;
    /** The NIC's queue pairs (1 unless multi-queue). */
    queueCount?: number;
  }[];
  /** Exit of QEMU once it stopped. */
  readonly exit?: { code: number | null; signal: string | null };
  /** Whether the guest saw an ACPI power button press during the last shutdown request. */
  readonly powerButtonPressed: boolean;
  /** Whether a guest agent answered the launcher's last poll (details: GET /v1/guest-info); absent from older launchers. */
  readonly agentConnected?: boolean;
  /** `frozen` while the guest's filesystems are frozen by a freeze request (KubeVirt's VMI status.fsFreezeStatus). */
  readonly fsFreezeStatus?: 'frozen';
}

export interface DomainStats {
  readonly timestamp: string;
  readonly state: DomainState;
  readonly vcpus: { count: number; threadIds: number[] };
  readonly block: readonly {
    name: string;
    rdBytes: number;
    wrBytes: number;
    rdOps: number;
    wrOps: number;
    flushOps: number;
  }[];
  readonly network: readonly {
    name: string;
    rxBytes?: number;
    txBytes?: number;
    rxPackets?: number;
    txPackets?: number;
  }[];
  readonly balloon?: { actualBytes: number };
  /** Resident memory of the QEMU process (bytes), from /proc. */
  readonly qemuRssBytes?: number;
}

export interface DomainEvent {
  readonly timestamp: string;
  /**
   * Lifecycle (state change), PowerButton, Reset, GuestPanicked, DeviceDeleted, GuestAgent
   * (the agent connected, went away or reported new facts), Migration (a live migration moved
   * to another phase: `data.role`, `data.phase`, `data.mode`; details at GET /v1/migration), Other.
   */
  readonly type:
    | 'Lifecycle'
    | 'PowerButton'
    | 'Reset'
    | 'GuestPanicked'
    | 'DeviceDeleted'
    | 'GuestAgent'
    | 'Migration'
    | 'Other';
  readonly state: DomainState;
  readonly reason: DomainReason;
  /** The QMP event behind it, when there is one. */
  readonly qmpEvent?: string;
  readonly data?: Record<string, unknown>;
}

export interface ShutdownResult {
  /** guest: the guest powered off in time; quit: QEMU was told to quit; killed: SIGKILL. */
  readonly how: 'guest' | 'quit' | 'killed' | 'already-stopped';
  readonly powerButtonPressed: boolean;
  readonly elapsedMs: number;
}
