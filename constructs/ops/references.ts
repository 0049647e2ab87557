/**
 * References from operations (snapshot, restore, clone, export, migration) to the VMs and
 * snapshots they act on: by construct, so synth can check the target exists, or by name,
 * for objects that live outside the app.
 */
import type { IConstruct } from 'constructs';

/** A VM-like construct: anything with a name, a namespace and a construct node. */
export interface IVirtualMachineTarget extends IConstruct {
  /** Object name. */
  readonly name: string;
  /** Object namespace, when set. */
  readonly namespace?: string;
}

/** Which VirtualMachine an operation acts on. */
export class VirtualMachineReference {
  /** A VirtualMachine construct of this app. */
  public static fromVirtualMachine(vm: IVirtualMachineTarget): VirtualMachineReference {
    return new VirtualMachineReference(vm.name, vm);
  }

  /**
   * A VirtualMachine by name, in the operation's namespace (it may live outside the app).
   * @example VirtualMachineReference.byName('db')
   */
  public static byName(name: string): VirtualMachineReference {
    return new VirtualMachineReference(name, undefined);
  }

  private constructor(
    /** Name of the VM. */
    public readonly name: string,
    /** The construct, when referenced by construct. */
    public readonly construct: IVirtualMachineTarget | undefined,
  ) {}

  /**
   * The TypedLocalObjectReference to the VM.
   * @internal
   */
  public _render(): { apiGroup: string; kind: string; name: string } {
    return virtualMachineObjectReference(this.name);
  }
}

/** Implemented by operations that reference a VM, for the synth-time check. */
export interface IVirtualMachineOperation extends IConstruct {
  /** The VM the operation acts on; undefined when it acts on something else (a snapshot, a PVC). */
  readonly virtualMachine?: VirtualMachineReference;
  /** JSON path of the reference in the manifest, for messages. */
  readonly virtualMachinePath: string;
  /** Namespace of the operation. */
  readonly namespace?: string;
}

/** A TypedLocalObjectReference an operation reads from. */
export interface SourceObjectReference {
  readonly apiGroup: string;
  readonly kind: string;
  readonly name: string;
}

/** What an operation acts on: a VM, a snapshot or a claim; the operation kinds add their factories. */
export abstract class OperationSource {
  protected constructor(
    private readonly reference: SourceObjectReference,
    /** The VM, when the source is one (not `virtualMachine`: the factories of that name would shadow it in Python). */
    public readonly sourceVirtualMachine: VirtualMachineReference | undefined,
  ) {}

  /**
   * The TypedLocalObjectReference.
   * @internal
   */
  public _render(): SourceObjectReference {
    return { ...this.reference };
  }
}

/** The reference to a VirtualMachine by name. */
export function virtualMachineObjectReference(name: string): SourceObjectReference {
  return { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name };
}

/** The reference to a VirtualMachineSnapshot by name. */
export function snapshotReference(name: string): SourceObjectReference {
  return { apiGroup: 'snapshot.kubevirt.io', kind: 'VirtualMachineSnapshot', name };
}
