/** pool.kubevirt.io/v1beta1 VirtualMachinePool: a scalable set of VirtualMachines from one template. */
import {
  Obj,
  Opt,
  Str,
  Bool,
  Int32,
  Enum,
  IntOrString,
  List,
  Empty,
  StringList,
  Timestamp,
  type Static,
} from '../../schema/dsl';
import { LabelSelector, type ObjectMeta } from '../../k8s/meta';
import { VirtualMachineSpec } from '../../kubevirt/v1';
import { EmbeddedObjectMeta } from '../../snapshot/v1beta1/common';

export const VirtualMachineTemplateSpec = Obj('The VirtualMachine each pool member is created from.', {
  metadata: Opt(EmbeddedObjectMeta),
  spec: Opt(VirtualMachineSpec),
});
export type VirtualMachineTemplateSpec = Static<typeof VirtualMachineTemplateSpec>;

export const VirtualMachinePoolNameGeneration = Obj('How names inside each member are made unique.', {
  appendIndexToConfigMapRefs: Opt(Bool('Append the member index to ConfigMap volume references.')),
  appendIndexToSecretRefs: Opt(Bool('Append the member index to Secret volume references.')),
});

export const STATE_PRESERVATIONS = ['Disabled', 'Offline', 'Online'] as const;
export const SORT_POLICIES = ['AscendingOrder', 'DescendingOrder', 'Newest', 'Oldest', 'Random'] as const;

export const NodeSelectorRequirement = Obj('A node label requirement.', {
  key: Str('Node label key.'),
  operator: Str('In, NotIn, Exists, DoesNotExist, Gt or Lt.'),
  values: Opt(StringList('Values for In, NotIn (several), Gt and Lt (one integer).')),
});

export const VirtualMachinePoolSelectors = Obj('Filters that pick VMs; when both are set, both must match.', {
  labelSelector: Opt(LabelSelector),
  nodeSelectorRequirementMatcher: Opt(
    List('Requirements on the labels of the node the VM runs on.', NodeSelectorRequirement),
  ),
});

export const VirtualMachinePoolSelectionPolicy = Obj(
  'Order in which members are picked for scale-in or update.',
  {
    sortPolicy: Opt(Enum('Fallback ordering. Random when left out.', SORT_POLICIES)),
    selectors: Opt(VirtualMachinePoolSelectors),
  },
);

const statePreservation = () =>
  Enum(
    'What survives scale-in: nothing (Disabled), the PVCs (Offline), or PVCs and memory (Online). Disabled when left out.',
    STATE_PRESERVATIONS,
  );

export const VirtualMachinePoolScaleInStrategy = Obj('How the pool removes members; set at most one.', {
  unmanaged: Opt(Empty('Never remove members; scale in by hand.')),
  opportunistic: Opt(
    Obj('Only count members that disappear for other reasons (deleted by a user, lost node).', {
      statePreservation: Opt(statePreservation()),
    }),
  ),
  proactive: Opt(
    Obj('Shut members down to reach the desired count (the default).', {
      selectionPolicy: Opt(VirtualMachinePoolSelectionPolicy),
      statePreservation: Opt(statePreservation()),
    }),
  ),
});

export const VirtualMachinePoolUpdateStrategy = Obj(
  'How the pool rolls template changes onto members; set at most one.',
  {
    unmanaged: Opt(Empty('Never update members.')),
    opportunistic: Opt(
      Empty('Update the VM objects; running instances pick the change up at their next restart.'),
    ),
    proactive: Opt(
      Obj('Update and restart members right away (the default).', {
        selectionPolicy: Opt(VirtualMachinePoolSelectionPolicy),
      }),
    ),
  },
);

export const VirtualMachinePoolAutohealingStrategy = Obj(
  'When a failing member is replaced by a fresh one.',
  {
    startUpFailureThreshold: Opt(
      Int32('Consecutive start failures before the member is replaced; 3 when left out.', { minimum: 1 }),
    ),
    minFailingToStartDuration: Opt(
      Str('How long a member may stay not Ready before it is replaced, as a duration; 5m when left out.'),
    ),
  },
);

export const VirtualMachinePoolSpec = Obj('Desired state of a pool.', {
  replicas: Opt(Int32('Number of members; 1 when left out.', { minimum: 0 })),
  selector: LabelSelector,
  virtualMachineTemplate: VirtualMachineTemplateSpec,
  paused: Opt(Bool('Stop reconciling the pool, so members can be changed by hand.')),
  nameGeneration: Opt(VirtualMachinePoolNameGeneration),
  maxUnavailable: Opt(
    IntOrString(
      'How many members (or what percentage) may be unavailable during an update; 100% when left out.',
    ),
  ),
  scaleInStrategy: Opt(VirtualMachinePoolScaleInStrategy),
  updateStrategy: Opt(VirtualMachinePoolUpdateStrategy),
  autohealing: Opt(VirtualMachinePoolAutohealingStrategy),
});
export type VirtualMachinePoolSpec = Static<typeof VirtualMachinePoolSpec>;

export const VirtualMachinePoolCondition = Obj('A condition of a pool.', {
  type: Str('ReplicaFailure or ReplicaPaused.'),
  status: Str('True, False or Unknown.'),
  lastProbeTime: Opt(Timestamp('When the condition was last probed.')),
  lastTransitionTime: Opt(Timestamp('When the status last changed.')),
  reason: Opt(Str('Machine-readable reason for the last transition.')),
  message: Opt(Str('Human-readable details of the last transition.')),
});

export const VirtualMachinePoolStatus = Obj('Observed state of a pool.', {
  replicas: Opt(Int32('Members that exist and are not being deleted.')),
  readyReplicas: Opt(Int32('Members that are Ready.')),
  conditions: Opt(List('Pool conditions.', VirtualMachinePoolCondition)),
  labelSelector: Opt(
    Str('The selector in string form, for the scale subresource (HorizontalPodAutoscaler).'),
  ),
});
export type VirtualMachinePoolStatus = Static<typeof VirtualMachinePoolStatus>;

export interface VirtualMachinePool {
  apiVersion: 'pool.kubevirt.io/v1beta1';
  kind: 'VirtualMachinePool';
  metadata?: ObjectMeta;
  spec: VirtualMachinePoolSpec;
  status?: VirtualMachinePoolStatus;
}
