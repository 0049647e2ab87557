/**
 * `virtkit:index:VirtualMachineSnapshot` and `virtkit:index:VirtualMachineRestore`: a
 * point-in-time copy of a VM, awaited until readyToUse, and its restore, awaited until complete.
 */
import type * as pulumi from '@pulumi/pulumi';
import { snapshotV1beta1 } from '../api';
import { AwaitedComponent, type AwaitedArgs, type AwaitedKind } from './core/awaited-component';
import { restoreReadiness, snapshotReadiness } from './core/readiness';

/** How long `pulumi up` waits for a snapshot or a restore unless told otherwise. */
export const SNAPSHOT_TIMEOUT_SECONDS = 600;

type SnapshotSpec = snapshotV1beta1.VirtualMachineSnapshotSpec;
type RestoreSpec = snapshotV1beta1.VirtualMachineRestoreSpec;

const snapshotKind: AwaitedKind<SnapshotSpec> = {
  typeName: 'VirtualMachineSnapshot',
  def: snapshotV1beta1.VirtualMachineSnapshotKind,
  readiness: () => snapshotReadiness,
  defaultTimeoutSeconds: SNAPSHOT_TIMEOUT_SECONDS,
};

const restoreKind: AwaitedKind<RestoreSpec> = {
  typeName: 'VirtualMachineRestore',
  def: snapshotV1beta1.VirtualMachineRestoreKind,
  readiness: () => restoreReadiness,
  defaultTimeoutSeconds: SNAPSHOT_TIMEOUT_SECONDS,
};

/** spec: `source` (the VM, `{ apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name }`) and options. */
export type VirtualMachineSnapshotArgs = AwaitedArgs<SnapshotSpec>;

export class VirtualMachineSnapshot extends AwaitedComponent<
  SnapshotSpec,
  snapshotV1beta1.VirtualMachineSnapshotStatus
> {
  constructor(name: string, args: VirtualMachineSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    super(snapshotKind, name, args, opts);
    this.doneWith({ status: this.status });
  }
}

/** spec: `target` (the VM to restore onto) and `virtualMachineSnapshotName`. */
export type VirtualMachineRestoreArgs = AwaitedArgs<RestoreSpec>;

export class VirtualMachineRestore extends AwaitedComponent<
  RestoreSpec,
  snapshotV1beta1.VirtualMachineRestoreStatus
> {
  constructor(name: string, args: VirtualMachineRestoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super(restoreKind, name, args, opts);
    this.doneWith({ status: this.status });
  }
}
