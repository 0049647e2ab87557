/** VirtualMachineSnapshot: a point-in-time copy of a VM's definition and volumes. */
import type { Construct } from 'constructs';
import { snapshotV1beta1 } from '../../api';
import type { ObjectMetaProps } from '../core';
import { VirtualMachineOperation } from './operation';
import type { VirtualMachineReference } from './references';

/** What happens to the snapshot content when the snapshot is deleted. */
export enum SnapshotDeletionPolicy {
  DELETE = 'Delete',
  RETAIN = 'Retain',
}

/** How a running VM is snapshotted. */
export enum SnapshotMode {
  /** The guest stays frozen until every volume snapshot exists. */
  DIRECT = 'Direct',
  /** Writes go to overlays so the guest thaws sooner. */
  EXTERNAL = 'External',
}

/** Props of a VirtualMachineSnapshot. */
export interface VirtualMachineSnapshotProps extends ObjectMetaProps {
  /**
   * The VM to snapshot.
   * @example VirtualMachineReference.fromVirtualMachine(db)
   */
  readonly source: VirtualMachineReference;
  /**
   * What happens to the content when the snapshot is deleted.
   * @default - KubeVirt's default (Delete)
   * @example SnapshotDeletionPolicy.RETAIN
   */
  readonly deletionPolicy?: SnapshotDeletionPolicy;
  /**
   * How long the snapshot may take before it fails, as a Go duration.
   * @default - 5m0s
   * @example '10m0s'
   */
  readonly failureDeadline?: string;
  /**
   * How a running VM is snapshotted.
   * @default SnapshotMode.DIRECT
   * @example SnapshotMode.EXTERNAL
   */
  readonly snapshotMode?: SnapshotMode;
}

/**
 * A VirtualMachineSnapshot.
 *
 * @example new VirtualMachineSnapshot(chart, 'nightly', { source: VirtualMachineReference.fromVirtualMachine(db) })
 */
export class VirtualMachineSnapshot extends VirtualMachineOperation {
  private readonly props: VirtualMachineSnapshotProps;

  public constructor(scope: Construct, id: string, props: VirtualMachineSnapshotProps) {
    super(scope, id, snapshotV1beta1.VirtualMachineSnapshotKind, props, 'spec.source', props.source);
    this.props = props;
  }

  protected renderSpec(): { [field: string]: unknown } {
    const { source, deletionPolicy, failureDeadline, snapshotMode } = this.props;
    return { source: source._render(), deletionPolicy, failureDeadline, snapshotMode };
  }
}
