/** `virtkit:index:Instancetype`: a VirtualMachine(Cluster)Instancetype, sizing that VMs reference. */
import type * as pulumi from '@pulumi/pulumi';
import { instancetypeV1beta1 } from '../api';
import { ObjectComponent } from './core/object-component';
import type { DeepInput, ObjectArgs } from './core/inputs';

export interface InstancetypeArgs extends ObjectArgs {
  /** Create a cluster-wide VirtualMachineClusterInstancetype instead of a namespaced one. Default false. */
  readonly cluster?: boolean;
  /** The instancetype's spec (cpu.guest, memory.guest, ...), as KubeVirt defines it. */
  readonly spec: DeepInput<instancetypeV1beta1.VirtualMachineInstancetypeSpec>;
}

export class Instancetype extends ObjectComponent<{
  spec: instancetypeV1beta1.VirtualMachineInstancetypeSpec;
}> {
  /** `VirtualMachineInstancetype` or `VirtualMachineClusterInstancetype`, for a VM's spec.instancetype.kind. */
  readonly kind: string;

  constructor(name: string, args: InstancetypeArgs, opts?: pulumi.ComponentResourceOptions) {
    const def = args.cluster
      ? instancetypeV1beta1.VirtualMachineClusterInstancetypeKind
      : instancetypeV1beta1.VirtualMachineInstancetypeKind;
    super('Instancetype', name, { def, object: args, fields: { spec: args.spec } }, opts);
    this.kind = def.kind;
    this.doneWith({ kind: this.kind });
  }
}
