/** `virtkit:index:Preference`: a VirtualMachine(Cluster)Preference, guest OS defaults that VMs reference. */
import type * as pulumi from '@pulumi/pulumi';
import { instancetypeV1beta1 } from '../api';
import { ObjectComponent } from './core/object-component';
import type { DeepInput, ObjectArgs } from './core/inputs';

export interface PreferenceArgs extends ObjectArgs {
  /** Create a cluster-wide VirtualMachineClusterPreference instead of a namespaced one. Default false. */
  readonly cluster?: boolean;
  /** The preference's spec (preferred buses, firmware, topology, ...), as KubeVirt defines it. */
  readonly spec: DeepInput<instancetypeV1beta1.VirtualMachinePreferenceSpec>;
}

export class Preference extends ObjectComponent<{ spec: instancetypeV1beta1.VirtualMachinePreferenceSpec }> {
  /** `VirtualMachinePreference` or `VirtualMachineClusterPreference`, for a VM's spec.preference.kind. */
  readonly kind: string;

  constructor(name: string, args: PreferenceArgs, opts?: pulumi.ComponentResourceOptions) {
    const def = args.cluster
      ? instancetypeV1beta1.VirtualMachineClusterPreferenceKind
      : instancetypeV1beta1.VirtualMachinePreferenceKind;
    super('Preference', name, { def, object: args, fields: { spec: args.spec } }, opts);
    this.kind = def.kind;
    this.doneWith({ kind: this.kind });
  }
}
