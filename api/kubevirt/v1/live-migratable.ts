/**
 * Whether a VMI can be live-migrated: KubeVirt's `LiveMigratable` condition, which the handler
 * of the VMI's node reports (virt-handler's part in KubeVirt), its companion
 * `StorageLiveMigratable`, and the migration method (`status.migrationMethod`: BlockMigration
 * when some disk lives only in the launcher pod and has to be copied along). Pure: what it
 * needs from the cluster comes in `LiveMigratableFacts`.
 *
 * The checks and their order are KubeVirt's: first the constraints that have nothing to do with
 * storage (the pod network's binding, the CPU mode, host devices, confidential computing, SCSI
 * persistent reservations, a TSC frequency Hyper-V reenlightenment needs, Hyper-V passthrough),
 * the first one found wins; then the volumes. Each refusal has KubeVirt's reason and starts with
 * KubeVirt's sentence; where that sentence does not say which volume or interface, virtkit adds
 * it and the way out.
 *
 * Where virtkit refuses more than KubeVirt, because its runtime cannot carry it yet: hotplugged
 * volumes (KubeVirt's old `HotplugNotLiveMigratable`; the target node would need its own
 * attachment pod) and persistent EFI variables or TPM state (kept in a directory of the source
 * node, which the target node cannot read).
 */
import type { VirtualMachineInstanceCondition } from './conditions';
import type { VirtualMachineInstanceSpec } from './vmi';
import type { VirtualMachineInstanceStatus } from './vmi-status';
import type { ObjectMeta } from '../../k8s/meta';
import { metav1Time } from '../../k8s/meta';

export const LIVE_MIGRATABLE_CONDITION = 'LiveMigratable';
export const STORAGE_LIVE_MIGRATABLE_CONDITION = 'StorageLiveMigratable';

/** KubeVirt's VMI annotation that lets a VMI whose pod network interface is a bridge migrate anyway. */
export const ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION =
  'kubevirt.io/allow-pod-bridge-network-live-migration';

/** KubeVirt's reasons (staging/src/kubevirt.io/api/core/v1), with its spellings. */
export const LIVE_MIGRATABLE_REASONS = {
  disks: 'DisksNotLiveMigratable',
  interface: 'InterfaceNotLiveMigratable',
  hotplug: 'HotplugNotLiveMigratable',
  // Not a typo of virtkit's: KubeVirt's constant has this value.
  cpuMode: 'CPUModeLiveMigratable',
  hostDevice: 'HostDeviceNotLiveMigratable',
  sev: 'SEVNotLiveMigratable',
  tdx: 'TDXNotLiveMigratable',
  secureExecution: 'SecureExecutionNotLiveMigratable',
  persistentReservation: 'PersistentReservationNotLiveMigratable',
  noTscFrequency: 'NoTSCFrequencyNotLiveMigratable',
  hypervPassthrough: 'HypervPassthroughNotLiveMigratable',
  /** StorageLiveMigratable's reason; its message lists every constraint found. */
  notMigratable: 'NotMigratable',
} as const;
export type LiveMigratableReason = (typeof LIVE_MIGRATABLE_REASONS)[keyof typeof LIVE_MIGRATABLE_REASONS];

/** What the cluster says about the claim behind a volume. */
export interface ClaimFacts {
  readonly claimName?: string;
  /** The claim's access modes (its status', else its spec's); only ReadWriteMany is shared. */
  readonly accessModes?: readonly string[];
  /** Filesystem or Block. Informative: sharing is decided by the access modes, as in KubeVirt. */
  readonly volumeMode?: string;
}

export interface LiveMigratableFacts {
  /**
   * The claim behind each `persistentVolumeClaim` and `dataVolume` volume, by volume name.
   * Left out for a volume, the VMI's `status.volumeStatus[].persistentVolumeClaimInfo` is read
   * (what KubeVirt reads); a claim known from neither cannot be shown to be shared.
   */
  readonly claims?: Readonly<Record<string, ClaimFacts | undefined>>;
  /**
   * The host CPU model the VMI's node can reproduce on another node for a `host-model` guest
   * (KubeVirt: the node's `host-model-cpu.node.kubevirt.io/<model>` label). Empty or left out:
   * the node does not allow migration with host-model, and a guest whose `cpu.model` is
   * host-model (or left out, which means host-model) is not migratable.
   */
  readonly hostCpuModel?: string;
  /**
   * Network binding plugins of the KubeVirt configuration that declare migration support
   * (`spec.configuration.network.binding.<name>.migration`). @default none
   */
  readonly migratableBindingPlugins?: readonly string[];
}

/** The parts of a VMI the checks read. */
export type LiveMigratableVmi = {
  readonly metadata?: Pick<ObjectMeta, 'annotations'>;
  readonly spec: VirtualMachineInstanceSpec;
  readonly status?: VirtualMachineInstanceStatus;
};

/** One reason a VMI cannot migrate. */
export interface NonMigratableReason {
  readonly reason: LiveMigratableReason;
  readonly message: string;
}

const stamp = (now: Date): string => metav1Time(now);

// --- the constraints that are not about storage -------------------------------------------

/** KubeVirt's rule on the pod network: masquerade, bridge with the annotation, or a migratable plugin. */
function interfaceReason(vmi: LiveMigratableVmi, facts: LiveMigratableFacts): string | undefined {
  const interfaces = vmi.spec.domain.devices.interfaces ?? [];
  if (!interfaces.length) return undefined;
  const podNetwork = (vmi.spec.networks ?? []).find((n) => n.pod !== undefined);
  // No pod network, or no interface on it: nothing to carry over.
  const iface = podNetwork && interfaces.find((i) => i.name === podNetwork.name);
  if (!iface) return undefined;
  if (iface.masquerade !== undefined) return undefined;
  const annotations = vmi.metadata?.annotations ?? {};
  if (iface.bridge !== undefined && ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION in annotations)
    return undefined;
  const plugin = iface.binding?.name;
  if (plugin !== undefined && (facts.migratableBindingPlugins ?? []).includes(plugin)) return undefined;
  const how =
    iface.bridge !== undefined
      ? 'bridge'
      : plugin !== undefined
        ? `the binding plugin ${JSON.stringify(plugin)}`
        : (Object.keys(iface).find((k) =>
            ['sriov', 'slirp', 'macvtap', 'passt', 'passtBinding'].includes(k),
          ) ?? 'a binding that does not migrate');
  return (
    `cannot migrate VMI which does not use masquerade, bridge with ${ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION} VM annotation or a migratable plugin to connect to the pod network` +
    `; interface ${JSON.stringify(iface.name)} connects to pod network ${JSON.stringify(podNetwork.name)} with ${how}: use masquerade` +
    (iface.bridge !== undefined
      ? `, or annotate the VMI with ${ALLOW_POD_BRIDGE_NETWORK_LIVE_MIGRATION_ANNOTATION} when the guest can take a new pod address after the move`
      : '')
  );
}

/** host-model: KubeVirt refuses when the node gives no model the target could reproduce. */
function cpuModeReason(vmi: LiveMigratableVmi, facts: LiveMigratableFacts): string | undefined {
  const model = vmi.spec.domain.cpu?.model ?? 'host-model';
  if (model !== 'host-model' || facts.hostCpuModel) return undefined;
  return `the node ${JSON.stringify(vmi.status?.nodeName ?? '')} does not allow migration with host-model`;
}

/** KubeVirt's TSC rule: Hyper-V reenlightenment needs the TSC frequency of the node, in status.topologyHints. */
function tscReason(vmi: LiveMigratableVmi): string | undefined {
  const features = vmi.spec.domain.cpu?.features ?? [];
  // A required invtsc is a boot requirement, not a migration one (KubeVirt's order).
  if (features.some((f) => f.name === 'invtsc' && (f.policy === 'require' || f.policy === 'force')))
    return undefined;
  if (vmi.spec.domain.features?.hyperv?.reenlightenment?.enabled !== true) return undefined;
  const tsc = vmi.status?.topologyHints?.tscFrequency;
  if (typeof tsc === 'number' && tsc > 0) return undefined;
  return 'HyperV Reenlightenment VMIs cannot migrate when TSC Frequency is not exposed on the cluster: guest timers might be inconsistent';
}

/**
 * Every constraint that is not about storage, in KubeVirt's order (its
 * evaluateCommonMigrationConstraints): LiveMigratable reports the first, StorageLiveMigratable
 * all of them.
 */
export function commonMigrationConstraints(
  vmi: LiveMigratableVmi,
  facts: LiveMigratableFacts = {},
): NonMigratableReason[] {
  const R = LIVE_MIGRATABLE_REASONS;
  const out: NonMigratableReason[] = [];
  const add = (reason: LiveMigratableReason, message: string | undefined): void => {
    if (message !== undefined) out.push({ reason, message });
  };
  const domain = vmi.spec.domain;
  add(R.interface, interfaceReason(vmi, facts));
  add(R.cpuMode, cpuModeReason(vmi, facts));
  if ((domain.devices.hostDevices ?? []).length || (domain.devices.gpus ?? []).length)
    add(R.hostDevice, 'VMI uses a PCI host devices');
  const ls = domain.launchSecurity;
  if (ls?.sev !== undefined || ls?.snp !== undefined) add(R.sev, 'VMI uses SEV');
  else if (ls?.tdx !== undefined) add(R.tdx, 'VMI uses TDX');
  if (ls !== undefined && vmi.spec.architecture === 's390x')
    add(R.secureExecution, 'VMI uses Secure Execution');
  if ((domain.devices.disks ?? []).some((d) => d.lun?.reservation === true))
    add(R.persistentReservation, 'VMI uses SCSI persistent reservation');
  add(R.noTscFrequency, tscReason(vmi));
  if (domain.features?.hypervPassthrough?.enabled === true)
    add(R.hypervPassthrough, 'VMI uses hyperv passthrough');
  return out;
}

// --- the volumes -------------------------------------------------------------------------

const SHARED_ACCESS_MODE = 'ReadWriteMany';

/** A CD-ROM is read-only unless it says otherwise: the target builds its own copy. */
function isReadOnlyCdrom(vmi: LiveMigratableVmi, volume: string): boolean {
  return (vmi.spec.domain.devices.disks ?? []).some(
    (d) => d.name === volume && d.cdrom !== undefined && d.cdrom.readonly !== false,
  );
}

function claimOf(vmi: LiveMigratableVmi, facts: LiveMigratableFacts, volume: string): ClaimFacts | undefined {
  const given = facts.claims?.[volume];
  if (given) return given;
  return vmi.status?.volumeStatus?.find((s) => s.name === volume)?.persistentVolumeClaimInfo;
}

const isShared = (claim: ClaimFacts): boolean => (claim.accessModes ?? []).includes(SHARED_ACCESS_MODE);

function isHotplugged(vmi: LiveMigratableVmi, volume: string): boolean {
  const v = (vmi.spec.volumes ?? []).find((x) => x.name === volume);
  if (v?.persistentVolumeClaim?.hotpluggable === true || v?.dataVolume?.hotpluggable === true) return true;
  if (v?.memoryDump !== undefined) return true;
  return (vmi.status?.volumeStatus ?? []).some((s) => s.name === volume && s.hotplugVolume !== undefined);
}

interface VolumeVerdict {
  /** Some volume is local to the launcher pod and is copied along (block migration). */
  readonly block: boolean;
  /** Why the volumes cannot migrate (KubeVirt's first one). */
  readonly problem?: NonMigratableReason;
}

/** KubeVirt's checkVolumesForMigration, then virtkit's own limits. */
function judgeVolumes(vmi: LiveMigratableVmi, facts: LiveMigratableFacts): VolumeVerdict {
  const R = LIVE_MIGRATABLE_REASONS;
  let block = (vmi.status?.migratedVolumes ?? []).length > 0;
  const filesystems = new Set((vmi.spec.domain.devices.filesystems ?? []).map((f) => f.name));
  const disks = (message: string): VolumeVerdict => ({
    block: true,
    problem: { reason: R.disks, message },
  });
  const rwx = 'live migration requires that all PVCs must be shared (using ReadWriteMany access mode)';
  for (const v of vmi.spec.volumes ?? []) {
    if (v.persistentVolumeClaim || v.dataVolume) {
      const name = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name ?? '';
      const claim = claimOf(vmi, facts, v.name);
      if (!claim) return disks(`cannot migrate VMI: Unable to determine if PVC ${name} is shared, ${rwx}`);
      if (!isShared(claim)) return disks(`cannot migrate VMI: PVC ${name} is not shared, ${rwx}`);
    } else if (v.hostDisk) {
      // A claim KubeVirt turned into a host disk is judged as the claim.
      const claim = vmi.status?.volumeStatus?.find((s) => s.name === v.name)?.persistentVolumeClaimInfo;
      if (claim) {
        if (!isShared(claim))
          return disks(`cannot migrate VMI: PVC ${claim.claimName ?? v.name} is not shared, ${rwx}`);
        continue;
      }
      if (v.hostDisk.shared !== true)
        return disks(
          `cannot migrate VMI with non-shared HostDisk; volume ${JSON.stringify(v.name)} (${v.hostDisk.path}) is on the node's own disk: set hostDisk.shared: true only when that path is on storage every node shares`,
        );
    } else if (!filesystems.has(v.name) && !isReadOnlyCdrom(vmi, v.name)) {
      // containerDisk, emptyDisk, cloud-init, configMap, secret...: copied along with the guest.
      block = true;
    }
  }
  for (const v of vmi.spec.volumes ?? []) {
    if (!isHotplugged(vmi, v.name)) continue;
    const fix =
      v.memoryDump !== undefined
        ? 'remove the memory dump (virtctl memory-dump remove) before migrating'
        : 'unplug it (virtkit removevolume) before migrating, or put it in the VM template and restart the VM';
    return {
      block,
      problem: {
        reason: R.hotplug,
        message: `VMI has hotplugged disks; volume ${JSON.stringify(v.name)} is attached through a hotplug attachment pod, which virtkit cannot recreate on the target node yet: ${fix}`,
      },
    };
  }
  const d = vmi.spec.domain;
  const state = [
    d.firmware?.bootloader?.efi?.persistent === true
      ? 'persistent EFI variables (spec.domain.firmware.bootloader.efi.persistent)'
      : undefined,
    d.devices.tpm?.persistent === true
      ? 'persistent TPM state (spec.domain.devices.tpm.persistent)'
      : undefined,
  ].filter((x): x is string => x !== undefined);
  if (state.length)
    return disks(
      `cannot migrate VMI: its ${state.join(' and ')} are kept on node ${JSON.stringify(vmi.status?.nodeName ?? '')}, which the target node cannot read: turn persistence off, or stop the VM and start it where it should run`,
    );
  return { block };
}

// --- the conditions ----------------------------------------------------------------------

function condition(
  type: string,
  now: Date,
  problem: { reason: string; message: string } | undefined,
): VirtualMachineInstanceCondition {
  const base = { type, lastProbeTime: null, lastTransitionTime: stamp(now) };
  return (
    problem
      ? { ...base, status: 'False', reason: problem.reason, message: problem.message }
      : { ...base, status: 'True' }
  ) as VirtualMachineInstanceCondition;
}

/** Why the VMI cannot be live-migrated (KubeVirt's first reason), or undefined when it can. */
export function liveMigrationBlocker(
  vmi: LiveMigratableVmi,
  facts: LiveMigratableFacts = {},
): NonMigratableReason | undefined {
  return commonMigrationConstraints(vmi, facts)[0] ?? judgeVolumes(vmi, facts).problem;
}

/**
 * The `LiveMigratable` condition: True, or False with KubeVirt's reason and message.
 * `lastTransitionTime` is `now`; keep the stored condition's times while status, reason and
 * message are unchanged (kube/conditions.ts setCondition does), so an unchanged state is not
 * rewritten.
 */
export function liveMigratableCondition(
  vmi: LiveMigratableVmi,
  facts: LiveMigratableFacts,
  now: Date,
): VirtualMachineInstanceCondition {
  return condition(LIVE_MIGRATABLE_CONDITION, now, liveMigrationBlocker(vmi, facts));
}

/**
 * KubeVirt's `StorageLiveMigratable`: whether the volumes could be moved to other claims while
 * the guest runs (a volume update with `updateVolumesStrategy: Migration`), judged on the same
 * constraints minus the volumes themselves; False lists every one as `Reason: message, ...`.
 */
export function storageLiveMigratableCondition(
  vmi: LiveMigratableVmi,
  facts: LiveMigratableFacts,
  now: Date,
): VirtualMachineInstanceCondition {
  const all = commonMigrationConstraints(vmi, facts);
  return condition(
    STORAGE_LIVE_MIGRATABLE_CONDITION,
    now,
    all.length
      ? {
          reason: LIVE_MIGRATABLE_REASONS.notMigratable,
          message: all.map((r) => `${r.reason}: ${r.message}`).join(', '),
        }
      : undefined,
  );
}

/**
 * `status.migrationMethod`: BlockMigration when a volume lives only in the launcher pod
 * (containerDisk, emptyDisk, cloud-init and the like, unless a read-only CD-ROM) and is copied
 * to the target with the guest's memory, else LiveMigration (every disk is on shared storage).
 */
export function liveMigrationMethod(
  vmi: LiveMigratableVmi,
  facts: LiveMigratableFacts = {},
): 'BlockMigration' | 'LiveMigration' {
  return judgeVolumes(vmi, facts).block ? 'BlockMigration' : 'LiveMigration';
}
