/** VirtualMachineStatus: how the VM and its current instance are doing. */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Int32,
  Int64,
  Enum,
  OpenEnum,
  Timestamp,
  StringMap,
  StringList,
  List,
  Nullable,
  type Static,
} from '../../schema/dsl';
import { Disk } from './domain';
import { HotplugVolumeSource } from './volumes';
import { VirtualMachineCondition } from './conditions';
import { StorageMigratedVolumeInfo } from './volume-status';
import { ChangedBlockTrackingStatus } from './changed-block-tracking';
import { inferFromVolumeFailurePolicy, runStrategy } from './vm';

export const PRINTABLE_STATUSES = [
  'Stopped',
  'Provisioning',
  'Starting',
  'Running',
  'Paused',
  'Stopping',
  'Terminating',
  'CrashLoopBackOff',
  'Migrating',
  'Unknown',
  'ErrorUnschedulable',
  'ErrImagePull',
  'ImagePullBackOff',
  'ErrorPvcNotFound',
  'DataVolumeError',
  'WaitingForVolumeBinding',
  'WaitingForReceiver',
] as const;
export type VirtualMachinePrintableStatus = (typeof PRINTABLE_STATUSES)[number];

export const STATE_CHANGE_ACTIONS = ['Start', 'Stop'] as const;
export type StateChangeRequestAction = (typeof STATE_CHANGE_ACTIONS)[number];

export const MEMORY_DUMP_PHASES = [
  'Associating',
  'InProgress',
  'Unmounting',
  'Completed',
  'Dissociating',
  'Failed',
] as const;
export type MemoryDumpPhase = (typeof MEMORY_DUMP_PHASES)[number];

const dryRun = Opt(StringList('Set to [All] to check the request without persisting it.'));

export const AddVolumeOptions = Obj('A request to hot-plug a volume and its disk.', {
  name: Str('Name of the volume and disk (overrides the name inside disk).'),
  disk: Disk,
  volumeSource: HotplugVolumeSource,
  dryRun,
});
export type AddVolumeOptions = Static<typeof AddVolumeOptions>;

export const RemoveVolumeOptions = Obj('A request to hot-unplug a volume and its disk.', {
  name: Str('Name of the volume and disk to remove.'),
  dryRun,
});
export type RemoveVolumeOptions = Static<typeof RemoveVolumeOptions>;

export const VirtualMachineVolumeRequest = Obj(
  'A pending hotplug change of the VM; exactly one member is set.',
  {
    addVolumeOptions: Opt(AddVolumeOptions),
    removeVolumeOptions: Opt(RemoveVolumeOptions),
  },
);
export type VirtualMachineVolumeRequest = Static<typeof VirtualMachineVolumeRequest>;

export const VirtualMachineStateChangeRequest = Obj('A pending start or stop of the VM instance.', {
  action: Enum('What to do.', STATE_CHANGE_ACTIONS),
  data: Opt(StringMap('Extra parameters of the action, such as paused: "true".')),
  uid: Opt(Str('UID of the VMI the request applies to, if any.')),
});
export type VirtualMachineStateChangeRequest = Static<typeof VirtualMachineStateChangeRequest>;

export const VolumeSnapshotStatus = Obj('Whether a volume can be snapshotted.', {
  name: Str('Name of the volume.'),
  enabled: Bool('True when the volume supports snapshots.'),
  reason: Opt(Str('Why snapshots are not supported; empty when they are.')),
});
export type VolumeSnapshotStatus = Static<typeof VolumeSnapshotStatus>;

export const VirtualMachineStartFailure = Obj('Consecutive failed starts, for crash-loop back-off.', {
  consecutiveFailCount: Opt(Int32('Failed starts in a row.')),
  lastFailedVMIUID: Opt(Str('UID of the last VMI that failed to start.')),
  retryAfterTimestamp: Opt(Timestamp('Earliest time of the next start attempt.')),
});
export type VirtualMachineStartFailure = Static<typeof VirtualMachineStartFailure>;

export const VirtualMachineMemoryDumpRequest = Obj(
  'A memory dump of the VM into a claim, and its progress.',
  {
    claimName: Str('Claim that receives the dump.'),
    phase: Enum('Progress of the dump.', MEMORY_DUMP_PHASES),
    remove: Opt(Bool('Whether detaching the dump claim was requested.')),
    startTimestamp: Opt(Timestamp('When the dump started.')),
    endTimestamp: Opt(Timestamp('When the dump finished.')),
    fileName: Opt(Str('Name of the dump file in the claim.')),
    message: Opt(Str('Why the dump failed.')),
  },
);
export type VirtualMachineMemoryDumpRequest = Static<typeof VirtualMachineMemoryDumpRequest>;

export const VolumeUpdateState = Obj('Progress of volume changes made under updateVolumesStrategy.', {
  volumeMigrationState: Opt(
    Obj('Volumes being moved by migration.', {
      migratedVolumes: Opt(List('Source and destination of each moved volume.', StorageMigratedVolumeInfo)),
    }),
  ),
});
export type VolumeUpdateState = Static<typeof VolumeUpdateState>;

export const InstancetypeStatusRef = Obj(
  'The instance type or preference the VM uses, as resolved by the controller.',
  {
    name: Opt(Str('Name of the resource.')),
    kind: Opt(
      OpenEnum('Kind of the resource.', [
        'VirtualMachineInstancetype',
        'VirtualMachineClusterInstancetype',
        'VirtualMachinePreference',
        'VirtualMachineClusterPreference',
      ]),
    ),
    controllerRevisionRef: Opt(
      Obj('The ControllerRevision holding the copy captured on first use.', {
        name: Opt(Str('Name of the ControllerRevision.')),
      }),
    ),
    inferFromVolume: Opt(Str('Volume the resource is inferred from.')),
    inferFromVolumeFailurePolicy: Opt(inferFromVolumeFailurePolicy('What happens when inference fails.')),
  },
);
export type InstancetypeStatusRef = Static<typeof InstancetypeStatusRef>;

export const VirtualMachineStatus = Obj(
  'Observed state of a virtual machine and brief facts about its instance.',
  {
    snapshotInProgress: Opt(Str('Name of the VirtualMachineSnapshot in progress.')),
    restoreInProgress: Opt(Str('Name of the VirtualMachineRestore in progress.')),
    created: Opt(Bool('Whether an instance of the VM exists.')),
    ready: Opt(Bool('Whether the instance runs and is ready.')),
    printableStatus: Opt(Enum('One-word summary of the VM state, as kubectl shows it.', PRINTABLE_STATUSES)),
    conditions: Opt(
      List('Current observations, such as Ready, Paused and RestartRequired.', VirtualMachineCondition),
    ),
    stateChangeRequests: Opt(List('Pending start and stop requests.', VirtualMachineStateChangeRequest)),
    volumeRequests: Opt(List('Pending volume hotplug and unplug requests.', VirtualMachineVolumeRequest)),
    volumeSnapshotStatuses: Opt(List('Whether each volume supports snapshots.', VolumeSnapshotStatus)),
    startFailure: Opt(Nullable(VirtualMachineStartFailure)),
    memoryDumpRequest: Opt(Nullable(VirtualMachineMemoryDumpRequest)),
    observedGeneration: Opt(Int64('Generation of the VM the running instance was started from.')),
    desiredGeneration: Opt(
      Int64('Generation the instance should reflect; compared with observedGeneration.'),
    ),
    runStrategy: Opt(runStrategy('Run strategy last applied by the controller.')),
    volumeUpdateState: Opt(VolumeUpdateState),
    changedBlockTracking: Opt(Nullable(ChangedBlockTrackingStatus)),
    instancetypeRef: Opt(Nullable(InstancetypeStatusRef)),
    preferenceRef: Opt(Nullable(InstancetypeStatusRef)),
  },
);
export type VirtualMachineStatus = Static<typeof VirtualMachineStatus>;
