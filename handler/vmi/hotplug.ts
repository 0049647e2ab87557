/**
 * Pure: volume hotplug on the node (virt-handler's part of KubeVirt's hotplug). From the VMI's
 * spec and what its launcher has attached: which hotpluggable volumes to attach, which
 * hotplugged disks to detach, and `status.volumeStatus` as KubeVirt reports it:
 *
 *   every disk of the spec      {name, target} (target: vda, sda... once the guest has it)
 *   a hotpluggable volume       Pending (FailedPvcNotFound / PVCNotReady "PVC is in phase
 *                               ClaimPending") -> Bound ("PVC is in phase Bound") ->
 *                               AttachedToNode (SuccessfulCreate "Created hotplug attachment pod
 *                               P, for volume V") -> MountedToPod (VolumeMountedToPod "Volume V
 *                               has been mounted in virt-launcher pod") -> Ready (VolumeReady
 *                               "Successfully attach hotplugged volume V to VM", with its target),
 *                               and hotplugVolume {attachPodName, attachPodUID}
 *   a disk being unplugged      Detaching, until the launcher has let go of it
 *
 * In KubeVirt the controller writes the first phases and virt-handler the last; in virtkit the
 * handler writes the whole list (one owner for one list under server-side apply), reading the
 * claim and the attachment pod itself. Sorted by name, as KubeVirt sorts it.
 */
import type { GuestDisk, HotplugDisksBody } from '../../launcher/api/protocol';

/** The parts of a VMI's spec hotplug reads. */
export interface HotplugSpec {
  readonly volumes?: readonly {
    readonly name: string;
    readonly persistentVolumeClaim?: {
      readonly claimName: string;
      readonly hotpluggable?: boolean;
      readonly readOnly?: boolean;
    };
    readonly dataVolume?: { readonly name: string; readonly hotpluggable?: boolean };
  }[];
  readonly domain?: {
    readonly devices?: {
      readonly disks?: readonly {
        readonly name: string;
        readonly serial?: string;
        readonly cache?: string;
        readonly disk?: { readonly bus?: string; readonly readonly?: boolean };
        readonly lun?: unknown;
        readonly cdrom?: unknown;
      }[];
    };
  };
}

export interface HotplugVolume {
  readonly name: string;
  /** The claim: the PVC's, or the DataVolume's (same name). */
  readonly claimName: string;
  readonly readOnly: boolean;
  readonly serial?: string;
  readonly cache?: string;
}

/** The volumes the spec marks hotpluggable (PVC or DataVolume with `hotpluggable: true`) that have a disk. */
export function hotplugVolumes(spec: HotplugSpec | undefined): HotplugVolume[] {
  const disks = spec?.domain?.devices?.disks ?? [];
  const out: HotplugVolume[] = [];
  for (const v of spec?.volumes ?? []) {
    const claimName = v.persistentVolumeClaim?.hotpluggable
      ? v.persistentVolumeClaim.claimName
      : v.dataVolume?.hotpluggable
        ? v.dataVolume.name
        : undefined;
    if (!claimName) continue;
    const disk = disks.find((d) => d.name === v.name);
    if (!disk) continue;
    out.push({
      name: v.name,
      claimName,
      readOnly: disk.disk?.readonly === true || v.persistentVolumeClaim?.readOnly === true,
      ...(disk.serial !== undefined ? { serial: disk.serial } : {}),
      ...(disk.cache !== undefined ? { cache: disk.cache } : {}),
    });
  }
  return out;
}

export interface HotplugPlan {
  /** Hotpluggable volumes the guest does not have yet. */
  readonly attach: readonly HotplugVolume[];
  /** Hotplugged disks whose volume left the spec. */
  readonly detach: readonly string[];
}

export function planHotplug(spec: HotplugSpec | undefined, launcher: HotplugDisksBody): HotplugPlan {
  const have = new Map(launcher.disks.map((d) => [d.name, d]));
  const specNames = new Set((spec?.volumes ?? []).map((v) => v.name));
  return {
    attach: launcher.supported ? hotplugVolumes(spec).filter((v) => !have.has(v.name)) : [],
    detach: launcher.disks.filter((d) => d.hotplugged && !specNames.has(d.name)).map((d) => d.name),
  };
}

/** What the handler observed of one hotpluggable volume's claim and attachment pod. */
export interface HotplugObservation {
  /** undefined: no such claim. */
  readonly claimPhase?: string;
  readonly attachPod?: { readonly name: string; readonly uid?: string; readonly running: boolean };
  /** The claim's disk is on this node and ready to be handed to the launcher. */
  readonly mounted?: boolean;
  /** Why the last attach failed, if it did. */
  readonly error?: string;
}

export interface VolumeStatusEntry {
  name: string;
  target: string;
  phase?: string;
  reason?: string;
  message?: string;
  hotplugVolume?: { attachPodName?: string; attachPodUID?: string };
}

/** KubeVirt's reasons. */
export const VOLUME_REASONS = {
  pvcNotFound: 'FailedPvcNotFound',
  pvcNotReady: 'PVCNotReady',
  podCreated: 'SuccessfulCreate',
  mounted: 'VolumeMountedToPod',
  ready: 'VolumeReady',
  attachFailed: 'VolumeAttachFailed',
  detaching: 'VolumeDetaching',
} as const;

function hotplugEntry(
  v: HotplugVolume,
  seen: HotplugObservation,
  disk: GuestDisk | undefined,
): VolumeStatusEntry {
  const pod = seen.attachPod;
  const hotplugVolume = pod
    ? { attachPodName: pod.name, ...(pod.running && pod.uid ? { attachPodUID: pod.uid } : {}) }
    : {};
  const base = { name: v.name, hotplugVolume };
  if (disk)
    return {
      ...base,
      target: disk.target,
      phase: 'Ready',
      reason: VOLUME_REASONS.ready,
      message: `Successfully attach hotplugged volume ${v.name} to VM`,
    };
  if (seen.mounted && seen.error)
    return {
      ...base,
      target: '',
      phase: 'MountedToPod',
      reason: VOLUME_REASONS.attachFailed,
      message: `Volume ${v.name} could not be attached to the VM: ${seen.error}`,
    };
  if (seen.mounted)
    return {
      ...base,
      target: '',
      phase: 'MountedToPod',
      reason: VOLUME_REASONS.mounted,
      message: `Volume ${v.name} has been mounted in virt-launcher pod`,
    };
  if (seen.error)
    return {
      ...base,
      target: '',
      phase: seen.claimPhase === 'Bound' ? 'Bound' : 'Pending',
      reason: VOLUME_REASONS.attachFailed,
      message: `Volume ${v.name} could not be attached to the VM: ${seen.error}`,
    };
  if (seen.claimPhase === undefined)
    return {
      ...base,
      target: '',
      phase: 'Pending',
      reason: VOLUME_REASONS.pvcNotFound,
      message: `PVC ${v.claimName} not found`,
    };
  if (pod)
    return {
      ...base,
      target: '',
      phase: 'AttachedToNode',
      reason: VOLUME_REASONS.podCreated,
      message: `Created hotplug attachment pod ${pod.name}, for volume ${v.name}`,
    };
  const bound = seen.claimPhase === 'Bound';
  return {
    ...base,
    target: '',
    phase: bound ? 'Bound' : 'Pending',
    reason: VOLUME_REASONS.pvcNotReady,
    // KubeVirt's words, the Go constant's name for a pending claim included.
    message: `PVC is in phase ${bound ? 'Bound' : seen.claimPhase === 'Pending' ? 'ClaimPending' : seen.claimPhase}`,
  };
}

/**
 * `status.volumeStatus` from the spec, the launcher's disks and what was observed of each
 * hotpluggable volume (by volume name); `detachErrors` for unplugged disks still attached.
 */
export function volumeStatuses(
  spec: HotplugSpec | undefined,
  launcher: HotplugDisksBody,
  observed: ReadonlyMap<string, HotplugObservation>,
  detachErrors: ReadonlyMap<string, string> = new Map(),
): VolumeStatusEntry[] {
  const disks = new Map(launcher.disks.map((d) => [d.name, d]));
  const hot = new Map(hotplugVolumes(spec).map((v) => [v.name, v]));
  const specDisks = new Set((spec?.domain?.devices?.disks ?? []).map((d) => d.name));
  const out: VolumeStatusEntry[] = [];
  for (const v of spec?.volumes ?? []) {
    if (!specDisks.has(v.name)) continue;
    const h = hot.get(v.name);
    const disk = disks.get(v.name);
    if (h && !(disk && !disk.hotplugged)) out.push(hotplugEntry(h, observed.get(v.name) ?? {}, disk));
    else out.push({ name: v.name, target: disk?.target ?? '' });
  }
  const specNames = new Set((spec?.volumes ?? []).map((v) => v.name));
  for (const d of launcher.disks) {
    if (!d.hotplugged || specNames.has(d.name)) continue;
    const why = detachErrors.get(d.name);
    out.push({
      name: d.name,
      target: d.target,
      phase: 'Detaching',
      reason: VOLUME_REASONS.detaching,
      message: why
        ? `Volume ${d.name} could not be detached yet: ${why}`
        : `Volume ${d.name} is being detached from the VM`,
      hotplugVolume: {},
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Another look is needed soon: a hotpluggable volume is not Ready, or a disk is still detaching. */
export function hotplugUnsettled(entries: readonly VolumeStatusEntry[]): boolean {
  return entries.some((e) => e.phase !== undefined && e.phase !== 'Ready');
}
