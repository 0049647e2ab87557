/**
 * Keeps the structs of structs.ts in step with the API's schema types, at compile time only:
 * every value of the API type fits the struct, and the struct has no field the API lacks. A
 * schema change a struct does not follow fails typecheck here. Nothing imports this file.
 */
import type {
  Affinity,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodAffinity,
  PodAffinityTerm,
  PreferredSchedulingTerm,
  Toleration,
  WeightedPodAffinityTerm,
} from '../k8s/scheduling';
import type { LabelSelector } from '../k8s/meta';
import type {
  FeatureAPIC,
  FeatureHyperv,
  FeatureKVM,
  FeatureSpinlocks,
  FeatureState,
  FeatureVendorID,
  Features,
  HyperVPassthrough,
  SyNICTimer,
  TLBFlush,
} from '../kubevirt/v1';
import type {
  AffinitySpec,
  FeatureApicSpec,
  FeatureHypervSpec,
  FeatureKvmSpec,
  FeatureSpinlocksSpec,
  FeatureSwitchSpec,
  FeatureVendorIdSpec,
  FeaturesSpec,
  HypervPassthroughSpec,
  LabelSelectorSpec,
  NodeAffinitySpec,
  NodeSelectorRequirementSpec,
  NodeSelectorSpec,
  NodeSelectorTermSpec,
  PodAffinitySpec,
  PodAffinityTermSpec,
  PreferredSchedulingTermSpec,
  SyNicTimerSpec,
  TlbFlushSpec,
  TolerationSpec,
  WeightedPodAffinityTermSpec,
} from './structs';

type Holds<T extends true> = T;

/** True when every API value fits struct S and S has no field the API type A lacks. */
type Mirrors<S, A> = [A] extends [S] ? ([Exclude<keyof S, keyof A>] extends [never] ? true : false) : false;

/** Compile-time only: a schema change that a struct does not follow fails typecheck here. */
export type StructsMirrorTheApi = [
  Holds<Mirrors<FeatureSwitchSpec, FeatureState>>,
  Holds<Mirrors<FeatureApicSpec, FeatureAPIC>>,
  Holds<Mirrors<FeatureSpinlocksSpec, FeatureSpinlocks>>,
  Holds<Mirrors<FeatureVendorIdSpec, FeatureVendorID>>,
  Holds<Mirrors<SyNicTimerSpec, SyNICTimer>>,
  Holds<Mirrors<TlbFlushSpec, TLBFlush>>,
  Holds<Mirrors<FeatureHypervSpec, FeatureHyperv>>,
  Holds<Mirrors<HypervPassthroughSpec, HyperVPassthrough>>,
  Holds<Mirrors<FeatureKvmSpec, FeatureKVM>>,
  Holds<Mirrors<FeaturesSpec, Features>>,
  Holds<Mirrors<LabelSelectorSpec, LabelSelector>>,
  Holds<Mirrors<NodeSelectorRequirementSpec, NodeSelectorRequirement>>,
  Holds<Mirrors<NodeSelectorTermSpec, NodeSelectorTerm>>,
  Holds<Mirrors<NodeSelectorSpec, NodeSelector>>,
  Holds<Mirrors<PreferredSchedulingTermSpec, PreferredSchedulingTerm>>,
  Holds<Mirrors<NodeAffinitySpec, NodeAffinity>>,
  Holds<Mirrors<PodAffinityTermSpec, PodAffinityTerm>>,
  Holds<Mirrors<WeightedPodAffinityTermSpec, WeightedPodAffinityTerm>>,
  Holds<Mirrors<PodAffinitySpec, PodAffinity>>,
  Holds<Mirrors<AffinitySpec, Affinity>>,
  Holds<Mirrors<TolerationSpec, Toleration>>,
];
