/** VirtualMachineRestore: bring a VM back to (or create a VM from) a snapshot. */
import type { Construct } from 'constructs';
import { snapshotV1beta1 } from '../../api';
import type { ObjectMetaProps } from '../core';
import { nonEmpty } from '../core/compact';
import { VirtualMachineOperation } from './operation';
import type { VirtualMachineReference } from './references';
import type { VirtualMachineSnapshot } from './snapshot';

/** What the restore does while the target VM runs. */
export enum TargetReadinessPolicy {
  STOP_TARGET = 'StopTarget',
  WAIT_GRACE_PERIOD = 'WaitGracePeriod',
  FAIL_IMMEDIATE = 'FailImmediate',
  WAIT_EVENTUALLY = 'WaitEventually',
}

/** How restored PVCs are named. */
export enum VolumeRestorePolicy {
  RANDOMIZE_NAMES = 'RandomizeNames',
  IN_PLACE = 'InPlace',
  PREFIX_TARGET_NAME = 'PrefixTargetName',
}

/** Props of a VirtualMachineRestore. Set snapshot or snapshotName. */
export interface VirtualMachineRestoreProps extends ObjectMetaProps {
  /**
   * The VM to restore onto (created when it does not exist).
   * @example VirtualMachineReference.fromVirtualMachine(db)
   */
  readonly target: VirtualMachineReference;
  /**
   * The snapshot construct to restore.
   * @default - use snapshotName
   * @example nightly
   */
  readonly snapshot?: VirtualMachineSnapshot;
  /**
   * Name of a snapshot that is not a construct of this app.
   * @default - the name of `snapshot`
   * @example 'db-2024-06-01'
   */
  readonly snapshotName?: string;
  /**
   * What to do while the target runs.
   * @default TargetReadinessPolicy.WAIT_GRACE_PERIOD
   * @example TargetReadinessPolicy.STOP_TARGET
   */
  readonly targetReadinessPolicy?: TargetReadinessPolicy;
  /**
   * How restored PVCs are named.
   * @default VolumeRestorePolicy.RANDOMIZE_NAMES
   * @example VolumeRestorePolicy.IN_PLACE
   */
  readonly volumeRestorePolicy?: VolumeRestorePolicy;
  /**
   * JSON Patch operations (one JSON object each) applied to a VM the restore creates.
   * @default - none
   * @example ['{"op": "add", "path": "/metadata/labels/restored-from", "value": "nightly"}']
   */
  readonly patches?: string[];
}

/**
 * A VirtualMachineRestore.
 *
 * @example new VirtualMachineRestore(chart, 'rollback', { target: VirtualMachineReference.fromVirtualMachine(db), snapshot: nightly })
 */
export class VirtualMachineRestore extends VirtualMachineOperation {
  private readonly props: VirtualMachineRestoreProps;

  public constructor(scope: Construct, id: string, props: VirtualMachineRestoreProps) {
    super(scope, id, snapshotV1beta1.VirtualMachineRestoreKind, props, 'spec.target', props.target);
    if ((props.snapshot === undefined) === (props.snapshotName === undefined)) {
      throw new Error(
        `${this.node.path}: set exactly one of snapshot (a VirtualMachineSnapshot construct) and snapshotName`,
      );
    }
    this.props = props;
  }

  protected renderSpec(): { [field: string]: unknown } {
    const p = this.props;
    return {
      target: p.target._render(),
      virtualMachineSnapshotName: p.snapshot?.name ?? p.snapshotName,
      targetReadinessPolicy: p.targetReadinessPolicy,
      volumeRestorePolicy: p.volumeRestorePolicy,
      patches: nonEmpty(p.patches ?? []),
    };
  }
}
