/**
 * status.printableStatus: the first matching state wins, in KubeVirt's order (Terminating,
 * Stopping, Migrating, Paused, Running, ErrorPvcNotFound, DataVolumeError, ErrorUnschedulable,
 * Provisioning, WaitingForVolumeBinding, ErrImagePull, ImagePullBackOff, Starting,
 * CrashLoopBackOff, Stopped, WaitingForReceiver), Unknown otherwise. Pure.
 */
import type {
  RunStrategy,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachinePrintableStatus,
} from '../../api/kubevirt/v1';
import { findCondition, hasCondition } from '../../kube';
import { isFinal, isMarkedForDeletion, isUnprocessed } from './run-strategy';

export interface PrintableInputs {
  readonly vm: VirtualMachine;
  readonly vmi: VirtualMachineInstance | undefined;
  readonly strategy: RunStrategy;
  /** A VMI creation was just issued (or is awaited) for this VM. */
  readonly startExpected: boolean;
  /** A VMI deletion was just issued for this VM. */
  readonly stopExpected: boolean;
  /** DataVolumes the template uses are still being populated. */
  readonly dataVolumesProvisioning?: boolean;
  /** A DataVolume the template uses reports an error. */
  readonly dataVolumeError?: boolean;
  /** A claim the template uses exists and is not Bound yet. */
  readonly waitingForVolumeBinding?: boolean;
}

/** KubeVirt's isSetToStart: the run strategy (or a VMI that is not over) says the VM should run. */
function setToStart(i: PrintableInputs): boolean {
  if (i.vmi && !isFinal(i.vmi)) return true;
  return i.strategy === 'Always' || i.strategy === 'RerunOnFailure' || i.startExpected;
}

function migrating(vmi: VirtualMachineInstance): boolean {
  const m = vmi.status?.migrationState;
  return !!m && !!m.startTimestamp && !m.completed && !m.failed;
}

function syncReason(vmi: VirtualMachineInstance | undefined, reason: string): boolean {
  const c = findCondition(vmi?.status?.conditions, 'Synchronized');
  return c?.status === 'False' && c.reason === reason;
}

export function printableStatus(i: PrintableInputs): VirtualMachinePrintableStatus {
  const { vm, vmi } = i;
  const paused = hasCondition(vmi?.status?.conditions, 'Paused', 'True');
  const running = vmi?.status?.phase === 'Running';
  if (isMarkedForDeletion(vm)) return 'Terminating';
  if (vmi && !isFinal(vmi) && (isMarkedForDeletion(vmi) || i.stopExpected)) return 'Stopping';
  if (vmi && migrating(vmi)) return 'Migrating';
  if (running && paused) return 'Paused';
  if (running) return 'Running';
  if (syncReason(vmi, 'FailedPvcNotFound')) return 'ErrorPvcNotFound';
  if (i.dataVolumeError) return 'DataVolumeError';
  if (hasCondition(vmi?.status?.conditions, 'PodScheduled', 'False', 'Unschedulable'))
    return 'ErrorUnschedulable';
  if (i.dataVolumesProvisioning) return 'Provisioning';
  if (i.waitingForVolumeBinding && setToStart(i)) return 'WaitingForVolumeBinding';
  if (syncReason(vmi, 'ErrImagePull')) return 'ErrImagePull';
  if (syncReason(vmi, 'ImagePullBackOff')) return 'ImagePullBackOff';
  if (
    vmi
      ? isUnprocessed(vmi) || vmi.status?.phase === 'Scheduling' || vmi.status?.phase === 'Scheduled'
      : i.startExpected
  )
    return 'Starting';
  const backingOff =
    (!vmi || isFinal(vmi)) &&
    !i.startExpected &&
    (vm.status?.startFailure?.consecutiveFailCount ?? 0) > 0 &&
    (i.strategy === 'Always' || i.strategy === 'RerunOnFailure' || i.strategy === 'Once');
  if (backingOff) return 'CrashLoopBackOff';
  if (vmi ? isFinal(vmi) : !i.startExpected) return 'Stopped';
  if (i.strategy === 'WaitAsReceiver' && (!vmi || vmi.status?.phase === 'WaitingForSync'))
    return 'WaitingForReceiver';
  return 'Unknown';
}
