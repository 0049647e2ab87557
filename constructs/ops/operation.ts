/**
 * The base of the constructs that act on a VM (snapshot, restore, clone, export): each one
 * registers for the app-level reference check and renders a spec without undefined members,
 * written once here; the subclasses only say which VM they act on and what their spec holds.
 */
import type { Construct } from 'constructs';
import type { KindReference } from '../core/kubevirt-object';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../core';
import { compact } from '../core/compact';
import { markOperation, operationChecks } from './checks';
import type { IVirtualMachineOperation, VirtualMachineReference } from './references';

/** An operation on a VirtualMachine, checked at synth against the VMs of the app. */
export abstract class VirtualMachineOperation extends KubeVirtObject implements IVirtualMachineOperation {
  /** The VM the operation acts on; undefined when it acts on something else (a snapshot, a PVC). */
  public readonly virtualMachine?: VirtualMachineReference;
  /** JSON path of the VM reference in the manifest, for messages. */
  public readonly virtualMachinePath: string;

  protected constructor(
    scope: Construct,
    id: string,
    kind: KindReference,
    meta: ObjectMetaProps,
    virtualMachinePath: string,
    virtualMachine: VirtualMachineReference | undefined,
  ) {
    super(scope, id, kind, meta);
    this.virtualMachinePath = virtualMachinePath;
    this.virtualMachine = virtualMachine;
    markOperation(this);
    AppValidation.of(this).addCheck(operationChecks);
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: compact(this.renderSpec()) };
  }

  /** The spec's fields; members left undefined are dropped from the manifest. */
  protected abstract renderSpec(): { [field: string]: unknown };
}
