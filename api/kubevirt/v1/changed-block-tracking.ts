/** Changed block tracking (incremental backup) status, reported on both VMs and VMIs. */
import { Obj, Opt, Str, Bool, OpenEnum, Timestamp, List, Nullable, type Static } from '../../schema/dsl';

export const CHANGED_BLOCK_TRACKING_STATES = [
  'PendingRestart',
  'Initializing',
  'Enabled',
  'Disabled',
  'IncrementalBackupFeatureGateDisabled',
] as const;
export type ChangedBlockTrackingState = (typeof CHANGED_BLOCK_TRACKING_STATES)[number];

export const VirtualMachineInstanceBackupStatus = Obj('Progress and outcome of the last backup of the VMI.', {
  backupName: Opt(Str('Name of the backup.')),
  startTimestamp: Opt(Timestamp('When the backup started.')),
  endTimestamp: Opt(Timestamp('When the backup ended.')),
  completed: Opt(Bool('Whether the backup completed.')),
  failed: Opt(Bool('Whether the backup failed.')),
  backupMsg: Opt(Str('Extra information, such as why the backup or the filesystem thaw failed.')),
  checkpointName: Opt(Str('Checkpoint created for the backup.')),
  volumes: Opt(
    List(
      'Volumes included in the backup.',
      Obj('A volume included in the backup.', {
        volumeName: Str('Name of the volume in the VMI spec.'),
      }),
    ),
  ),
  quiesceStatus: Opt(Str('Whether freezing the guest filesystems succeeded, failed or was skipped.')),
});
export type VirtualMachineInstanceBackupStatus = Static<typeof VirtualMachineInstanceBackupStatus>;

export const ChangedBlockTrackingStatus = Obj('State of changed block tracking for the volumes.', {
  state: OpenEnum('Current state; empty when nothing changed yet.', CHANGED_BLOCK_TRACKING_STATES),
  backupStatus: Opt(Nullable(VirtualMachineInstanceBackupStatus)),
});
export type ChangedBlockTrackingStatus = Static<typeof ChangedBlockTrackingStatus>;
