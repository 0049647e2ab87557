/** The VirtualMachineInstanceReplicaSet kind (vmirs, vmirss): N identical VMIs from one template. */
import { Obj, Opt, Str, Bool, Int32, List, Nullable, type Static } from '../../schema/dsl';
import { defineKind } from '../../kind';
import { LabelSelector, type ObjectMeta } from '../../k8s/meta';
import { AGE_COLUMN } from '../../crd/columns';
import { KUBEVIRT_GROUP, KUBEVIRT_VERSION } from './group';
import { VirtualMachineInstanceTemplateSpec } from './vmi';
import { VirtualMachineInstanceReplicaSetCondition } from './conditions';
import { replicaSetRules } from './rules';

export const VirtualMachineInstanceReplicaSetSpec = Obj('How many VMIs to keep and what they look like.', {
  replicas: Opt(Int32('Number of VMIs wanted; defaults to 1.', { minimum: 0 })),
  selector: LabelSelector,
  template: VirtualMachineInstanceTemplateSpec,
  paused: Opt(Bool('Stop adding and removing VMIs while true.')),
});
export type VirtualMachineInstanceReplicaSetSpec = Static<typeof VirtualMachineInstanceReplicaSetSpec>;

export const VirtualMachineInstanceReplicaSetStatus = Obj('Observed state of the replica set.', {
  replicas: Opt(Int32('Number of owned VMIs that are neither final nor being deleted.')),
  readyReplicas: Opt(Int32('Number of owned VMIs that are ready.')),
  conditions: Opt(
    List('Current observations, such as ReplicaFailure.', VirtualMachineInstanceReplicaSetCondition),
  ),
  labelSelector: Opt(Str('The selector in string form, for the scale subresource (and so for autoscalers).')),
});
export type VirtualMachineInstanceReplicaSetStatus = Static<typeof VirtualMachineInstanceReplicaSetStatus>;

export const VirtualMachineInstanceReplicaSetKind = defineKind({
  group: KUBEVIRT_GROUP,
  version: KUBEVIRT_VERSION,
  kind: 'VirtualMachineInstanceReplicaSet',
  plural: 'virtualmachineinstancereplicasets',
  singular: 'virtualmachineinstancereplicaset',
  shortNames: ['vmirs', 'vmirss'],
  categories: ['all'],
  scope: 'Namespaced',
  description:
    'Keeps a number of identical, stateless VMIs running from one template; scalable like a ReplicaSet.',
  fields: {
    spec: VirtualMachineInstanceReplicaSetSpec,
    status: Nullable(VirtualMachineInstanceReplicaSetStatus),
  },
  requiredFields: ['spec'],
  rules: replicaSetRules,
  printerColumns: [
    { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Number of VMIs wanted.' },
    {
      name: 'Current',
      type: 'integer',
      jsonPath: '.status.replicas',
      description: 'Number of owned VMIs that are neither final nor being deleted.',
    },
    {
      name: 'Ready',
      type: 'integer',
      jsonPath: '.status.readyReplicas',
      description: 'Number of owned VMIs ready to serve.',
    },
    AGE_COLUMN,
  ],
  subresources: {
    status: true,
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.labelSelector',
    },
  },
});

export type VirtualMachineInstanceReplicaSet = {
  apiVersion: 'kubevirt.io/v1';
  kind: 'VirtualMachineInstanceReplicaSet';
  metadata?: ObjectMeta;
  spec: VirtualMachineInstanceReplicaSetSpec;
  status?: VirtualMachineInstanceReplicaSetStatus;
};
