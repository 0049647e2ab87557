/**
 * Kubernetes scheduling types KubeVirt embeds in a VMI spec: node and pod affinity,
 * tolerations and topology spread constraints (k8s.io/api/core/v1 field names).
 */
import { Obj, Opt, Str, Int32, Int64, Enum, StringList, List, ListSet, type Static } from '../schema/dsl';
import { LabelSelector } from './meta';

export const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;
export type NodeSelectorOperator = (typeof NODE_SELECTOR_OPERATORS)[number];

export const NodeSelectorRequirement = Obj(
  'A node label or field requirement: a key, an operator and values.',
  {
    key: Str('The node label key (or field name for matchFields) the requirement applies to.'),
    operator: Enum('How the key relates to the values.', NODE_SELECTOR_OPERATORS),
    values: Opt(
      StringList(
        'Values for In and NotIn (any number), Gt and Lt (one integer); empty for Exists and DoesNotExist.',
      ),
    ),
  },
);
export type NodeSelectorRequirement = Static<typeof NodeSelectorRequirement>;

export const NodeSelectorTerm = Obj(
  'Requirements that must all hold for a node to match; an empty term matches no node.',
  {
    matchExpressions: Opt(List('Requirements on node labels.', NodeSelectorRequirement)),
    matchFields: Opt(List('Requirements on node fields, such as metadata.name.', NodeSelectorRequirement)),
  },
);
export type NodeSelectorTerm = Static<typeof NodeSelectorTerm>;

export const NodeSelector = Obj('A node query: a node matches when any of its terms matches.', {
  nodeSelectorTerms: List('Alternatives; at least one must match.', NodeSelectorTerm),
});
export type NodeSelector = Static<typeof NodeSelector>;

export const PreferredSchedulingTerm = Obj('A weighted node preference.', {
  weight: Int32('Weight added to the score of matching nodes, 1 to 100.', { minimum: 1, maximum: 100 }),
  preference: NodeSelectorTerm,
});
export type PreferredSchedulingTerm = Static<typeof PreferredSchedulingTerm>;

export const NodeAffinity = Obj('Rules that attract the VMI pod to nodes by their labels.', {
  requiredDuringSchedulingIgnoredDuringExecution: Opt(
    Obj('Hard rule: the pod is only placed on nodes matching one of these terms.', NodeSelector.properties),
  ),
  preferredDuringSchedulingIgnoredDuringExecution: Opt(
    List(
      'Soft rules: the scheduler favours nodes matching these terms by their weights.',
      PreferredSchedulingTerm,
    ),
  ),
});
export type NodeAffinity = Static<typeof NodeAffinity>;

export const PodAffinityTerm = Obj(
  'Pods (by label and namespace) whose topology domain this pod must or must not share.',
  {
    labelSelector: Opt(LabelSelector),
    namespaceSelector: Opt(LabelSelector),
    namespaces: Opt(
      StringList('Namespaces the selected pods live in; empty means the namespace of this pod.'),
    ),
    topologyKey: Str(
      'Node label whose value defines the topology domain, for example kubernetes.io/hostname.',
    ),
    matchLabelKeys: Opt(
      ListSet(
        'Label keys whose values on this pod are added to labelSelector as In requirements.',
        Str('A pod label key.'),
      ),
    ),
    mismatchLabelKeys: Opt(
      ListSet(
        'Label keys whose values on this pod are added to labelSelector as NotIn requirements.',
        Str('A pod label key.'),
      ),
    ),
  },
);
export type PodAffinityTerm = Static<typeof PodAffinityTerm>;

export const WeightedPodAffinityTerm = Obj('A weighted pod (anti-)affinity preference.', {
  weight: Int32('Weight added to the score of nodes that satisfy the term, 1 to 100.', {
    minimum: 1,
    maximum: 100,
  }),
  podAffinityTerm: PodAffinityTerm,
});
export type WeightedPodAffinityTerm = Static<typeof WeightedPodAffinityTerm>;

function podAffinity(description: string, verb: string) {
  return Obj(description, {
    requiredDuringSchedulingIgnoredDuringExecution: Opt(
      List(`Hard rules: the pod is only placed where every term is ${verb}.`, PodAffinityTerm),
    ),
    preferredDuringSchedulingIgnoredDuringExecution: Opt(
      List(
        `Soft rules: the scheduler favours nodes where weighted terms are ${verb}.`,
        WeightedPodAffinityTerm,
      ),
    ),
  });
}

export const PodAffinity = podAffinity('Rules that place the VMI pod near other pods.', 'satisfied');
export type PodAffinity = Static<typeof PodAffinity>;

export const PodAntiAffinity = podAffinity('Rules that keep the VMI pod away from other pods.', 'avoided');
export type PodAntiAffinity = Static<typeof PodAntiAffinity>;

export const Affinity = Obj('Scheduling constraints for the VMI pod.', {
  nodeAffinity: Opt(NodeAffinity),
  podAffinity: Opt(PodAffinity),
  podAntiAffinity: Opt(PodAntiAffinity),
});
export type Affinity = Static<typeof Affinity>;

export const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

export const Toleration = Obj('Lets the VMI pod run on nodes with a matching taint.', {
  key: Opt(Str('Taint key to match; empty with operator Exists matches every taint.')),
  operator: Opt(Enum('How key and value are compared; defaults to Equal.', TOLERATION_OPERATORS)),
  value: Opt(Str('Taint value to match with operator Equal.')),
  effect: Opt(Enum('Taint effect to match; empty matches every effect.', TAINT_EFFECTS)),
  tolerationSeconds: Opt(
    Int64('For NoExecute: how long the pod stays bound after the taint appears; unset means forever.'),
  ),
});
export type Toleration = Static<typeof Toleration>;

export const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'] as const;
export const NODE_INCLUSION_POLICIES = ['Honor', 'Ignore'] as const;

export const TopologySpreadConstraint = Obj('How matching pods are spread across topology domains.', {
  maxSkew: Int32('Largest allowed difference in matching pods between any two domains.', { minimum: 1 }),
  topologyKey: Str('Node label whose value defines a domain, for example topology.kubernetes.io/zone.'),
  whenUnsatisfiable: Enum('What the scheduler does when the constraint cannot be met.', WHEN_UNSATISFIABLE),
  labelSelector: Opt(LabelSelector),
  minDomains: Opt(
    Int32('Minimum number of eligible domains; fewer count as zero pods for the skew.', { minimum: 1 }),
  ),
  nodeAffinityPolicy: Opt(
    Enum(
      'Whether the node affinity and node selector of the pod limit the domains counted.',
      NODE_INCLUSION_POLICIES,
    ),
  ),
  nodeTaintsPolicy: Opt(Enum('Whether node taints limit the domains counted.', NODE_INCLUSION_POLICIES)),
  matchLabelKeys: Opt(
    ListSet('Pod label keys whose values further narrow the pods counted.', Str('A pod label key.')),
  ),
});
export type TopologySpreadConstraint = Static<typeof TopologySpreadConstraint>;
