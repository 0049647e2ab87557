/**
 * What a snapshot says about its source VM while it is taken, as KubeVirt says it: `Online` when
 * the VM runs, then `Paused` (a paused guest is not frozen), `GuestAgent` (the agent froze the
 * guest's filesystems; with `QuiesceTimeout` when Windows VSS could not hold the freeze) or
 * `NoGuestAgent` (crash-consistent); nothing for a stopped VM. `PartialSnapshot` is added at the
 * end when a snapshottable volume was left out. Both the deprecated `indications` list (sorted,
 * a set) and `sourceIndications` (with KubeVirt's messages) are kept. Pure.
 */
import type { VirtualMachineSnapshotStatus } from '../../api/snapshot/v1beta1';
import type { SourceState } from './source';

export type Indication =
  'Online' | 'NoGuestAgent' | 'GuestAgent' | 'QuiesceTimeout' | 'Paused' | 'PartialSnapshot';

/** KubeVirt's messages for each indication. */
export const INDICATION_MESSAGES: Readonly<Record<Indication, string>> = {
  Online: 'Snapshot taken while the VM was running. Consistency depends on guest-agent quiescing.',
  GuestAgent: 'Guest agent was active and attempted to quiesce the filesystem for application consistency.',
  NoGuestAgent:
    'Guest agent was not available. Snapshot is crash-consistent and may not be application-consistent.',
  QuiesceTimeout:
    'Guest agent quiesced the filesystem, but the freeze window timed out before completion. Snapshot is crash-consistent and may not be application-consistent.',
  Paused:
    'Snapshot taken while the VM was paused. Snapshot is crash-consistent and may not be application-consistent.',
  PartialSnapshot:
    'Not all snapshotable volumes were included in the snapshot. Check status.snapshotVolumes for excluded volumes and VM VolumeSnapshotStatus for details.',
};

/** The substring of the guest agent's error when Windows VSS cannot hold a freeze (10 s limit). */
export const VSS_FREEZE_LIMIT_REACHED = 'fsfreeze is limited';

type IndicationFields = Pick<VirtualMachineSnapshotStatus, 'indications' | 'sourceIndications'>;

function fields(list: readonly string[]): IndicationFields {
  return {
    indications: [...list],
    sourceIndications: list.map((indication) => ({
      indication: indication as Indication,
      message: INDICATION_MESSAGES[indication as Indication] ?? 'Unknown indication',
    })),
  };
}

/**
 * The indications of a snapshot in progress: what the source shows now, as KubeVirt recomputes
 * them each round (so `GuestAgent` and `NoGuestAgent` never stand together: an agent that
 * connects after the first round replaces `NoGuestAgent`), keeping only `QuiesceTimeout` from
 * before (a fact of the freeze already made); none while the VM is stopped. `errorMessage` is the
 * snapshot's status.error message.
 */
export function progressIndications(
  previous: readonly string[] | undefined,
  source: SourceState,
  errorMessage: string | undefined,
): IndicationFields {
  if (!source.online) return { indications: undefined, sourceIndications: undefined };
  const set = new Set<string>((previous ?? []).filter((i) => i === 'QuiesceTimeout'));
  set.add('Online');
  if (source.paused) set.add('Paused');
  else if (source.guestAgent) {
    set.add('GuestAgent');
    if (errorMessage?.includes(VSS_FREEZE_LIMIT_REACHED)) set.add('QuiesceTimeout');
  } else set.add('NoGuestAgent');
  // Sorted, as KubeVirt lists a set.
  return fields([...set].sort());
}

/** The indications with PartialSnapshot appended (once), as KubeVirt adds it at the end. */
export function withPartialSnapshot(status: IndicationFields): IndicationFields {
  const source = [...(status.sourceIndications ?? [])];
  if (!source.some((s) => s.indication === 'PartialSnapshot'))
    source.push({ indication: 'PartialSnapshot', message: INDICATION_MESSAGES.PartialSnapshot });
  const list = [...(status.indications ?? [])];
  if (!list.includes('PartialSnapshot')) list.push('PartialSnapshot');
  return { indications: list, sourceIndications: source };
}
