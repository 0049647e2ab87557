/**
 * The API structures the typed props take "as in the API" (machine features, affinity,
 * tolerations), written as plain interfaces so that the constructs' public API stays
 * jsii-compatible (a `Static<>` type of the schema DSL is not a jsii type). Same field names
 * and nesting as the API; enumerations are strings here and are checked against the API's
 * schema at synth, like every other value. A compile-time check keeps each interface in step
 * with its schema (structs-mirror.ts).
 */

/** A machine feature that is on or off. */
export interface FeatureSwitchSpec {
  /**
   * Whether the feature is on.
   * @default true
   */
  readonly enabled?: boolean;
}

/** The local APIC interrupt controller. */
export interface FeatureApicSpec {
  /**
   * Whether the APIC is on.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Offer paravirtual end-of-interrupt notification.
   * @default false
   */
  readonly endOfInterrupt?: boolean;
}

/** Hyper-V spinlock retry tuning. */
export interface FeatureSpinlocksSpec {
  /**
   * Whether the enlightenment is on.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Attempts before a spinning guest notifies the hypervisor (4096 or more).
   * @default 4096
   */
  readonly spinlocks?: number;
}

/** The hypervisor vendor identifier shown to the guest. */
export interface FeatureVendorIdSpec {
  /**
   * Whether a custom vendor id is set.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Vendor id string, at most twelve characters.
   * @default - the hypervisor's own
   */
  readonly vendorid?: string;
}

/** Hyper-V synthetic timers. */
export interface SyNicTimerSpec {
  /**
   * Whether the timers are on.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Deliver timer expiry as an interrupt rather than a message.
   * @default - off
   */
  readonly direct?: FeatureSwitchSpec;
}

/** Hyper-V paravirtual TLB flush. */
export interface TlbFlushSpec {
  /**
   * Whether the enlightenment is on.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Send flush requests straight to the hypervisor.
   * @default - off
   */
  readonly direct?: FeatureSwitchSpec;
  /**
   * Let the guest flush part of the TLB.
   * @default - off
   */
  readonly extended?: FeatureSwitchSpec;
}

/** Hyper-V enlightenments (spec.domain.features.hyperv); each follows the machine type when left out. */
export interface FeatureHypervSpec {
  /** @default - machine type default */
  readonly relaxed?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly vapic?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly spinlocks?: FeatureSpinlocksSpec;
  /** @default - machine type default */
  readonly vpindex?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly runtime?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly synic?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly synictimer?: SyNicTimerSpec;
  /** @default - machine type default */
  readonly reset?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly vendorid?: FeatureVendorIdSpec;
  /** @default - machine type default */
  readonly frequencies?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly reenlightenment?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly tlbflush?: TlbFlushSpec;
  /** @default - machine type default */
  readonly ipi?: FeatureSwitchSpec;
  /** @default - machine type default */
  readonly evmcs?: FeatureSwitchSpec;
}

/** Every Hyper-V enlightenment the host supports (the VM can then not migrate). */
export interface HypervPassthroughSpec {
  /**
   * Whether passthrough is on.
   * @default false
   */
  readonly enabled?: boolean;
}

/** How the guest sees that it runs on KVM. */
export interface FeatureKvmSpec {
  /**
   * Hide the KVM signature.
   * @default false
   */
  readonly hidden?: boolean;
}

/** Machine features of the guest (spec.domain.features). */
export interface FeaturesSpec {
  /**
   * ACPI.
   * @default - on
   */
  readonly acpi?: FeatureSwitchSpec;
  /**
   * The local APIC.
   * @default - on
   */
  readonly apic?: FeatureApicSpec;
  /**
   * Every Hyper-V enlightenment the host supports.
   * @default - off
   */
  readonly hypervPassthrough?: HypervPassthroughSpec;
  /**
   * Hyper-V enlightenments.
   * @default - none
   */
  readonly hyperv?: FeatureHypervSpec;
  /**
   * System Management Mode (Secure Boot needs it).
   * @default - off
   */
  readonly smm?: FeatureSwitchSpec;
  /**
   * KVM visibility.
   * @default - visible
   */
  readonly kvm?: FeatureKvmSpec;
  /**
   * Paravirtual spinlocks.
   * @default - on
   */
  readonly pvspinlock?: FeatureSwitchSpec;
}

/** A label requirement: a key, an operator (In, NotIn, Exists, DoesNotExist) and values. */
export interface LabelSelectorRequirementSpec {
  /** The label key. */
  readonly key: string;
  /** In, NotIn, Exists or DoesNotExist. */
  readonly operator: string;
  /**
   * Values for In and NotIn.
   * @default - none
   */
  readonly values?: string[];
}

/** A label query over pods or namespaces. */
export interface LabelSelectorSpec {
  /**
   * Labels that must all match.
   * @default - none
   */
  readonly matchLabels?: { [key: string]: string };
  /**
   * Requirements that must all hold.
   * @default - none
   */
  readonly matchExpressions?: LabelSelectorRequirementSpec[];
}

/** A node label or field requirement: a key, an operator (In, NotIn, Exists, DoesNotExist, Gt, Lt) and values. */
export interface NodeSelectorRequirementSpec {
  /** The node label key (or field name for matchFields). */
  readonly key: string;
  /** In, NotIn, Exists, DoesNotExist, Gt or Lt. */
  readonly operator: string;
  /**
   * Values (one integer for Gt and Lt).
   * @default - none
   */
  readonly values?: string[];
}

/** Requirements that must all hold for a node to match. */
export interface NodeSelectorTermSpec {
  /**
   * Requirements on node labels.
   * @default - none
   */
  readonly matchExpressions?: NodeSelectorRequirementSpec[];
  /**
   * Requirements on node fields, such as metadata.name.
   * @default - none
   */
  readonly matchFields?: NodeSelectorRequirementSpec[];
}

/** Alternatives: a node matches when any term matches. */
export interface NodeSelectorSpec {
  /** The terms. */
  readonly nodeSelectorTerms: NodeSelectorTermSpec[];
}

/** A weighted node preference. */
export interface PreferredSchedulingTermSpec {
  /** Weight added to matching nodes' score, 1 to 100. */
  readonly weight: number;
  /** The term. */
  readonly preference: NodeSelectorTermSpec;
}

/** Rules that attract the VMI pod to nodes by their labels. */
export interface NodeAffinitySpec {
  /**
   * Hard rule.
   * @default - none
   */
  readonly requiredDuringSchedulingIgnoredDuringExecution?: NodeSelectorSpec;
  /**
   * Soft rules.
   * @default - none
   */
  readonly preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTermSpec[];
}

/** Pods whose topology domain this pod must or must not share. */
export interface PodAffinityTermSpec {
  /**
   * Which pods.
   * @default - none
   */
  readonly labelSelector?: LabelSelectorSpec;
  /**
   * Which namespaces (by label).
   * @default - none
   */
  readonly namespaceSelector?: LabelSelectorSpec;
  /**
   * Which namespaces (by name).
   * @default - this pod's namespace
   */
  readonly namespaces?: string[];
  /** Node label whose value defines the topology domain, for example kubernetes.io/hostname. */
  readonly topologyKey: string;
  /**
   * Label keys whose values on this pod are added to labelSelector as In requirements.
   * @default - none
   */
  readonly matchLabelKeys?: string[];
  /**
   * Label keys whose values on this pod are added to labelSelector as NotIn requirements.
   * @default - none
   */
  readonly mismatchLabelKeys?: string[];
}

/** A weighted pod (anti-)affinity preference. */
export interface WeightedPodAffinityTermSpec {
  /** Weight, 1 to 100. */
  readonly weight: number;
  /** The term. */
  readonly podAffinityTerm: PodAffinityTermSpec;
}

/** Pod affinity or anti-affinity rules. */
export interface PodAffinitySpec {
  /**
   * Hard rules.
   * @default - none
   */
  readonly requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTermSpec[];
  /**
   * Soft rules.
   * @default - none
   */
  readonly preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTermSpec[];
}

/** Scheduling constraints of the VMI pod (spec.affinity). */
export interface AffinitySpec {
  /**
   * Node affinity.
   * @default - none
   */
  readonly nodeAffinity?: NodeAffinitySpec;
  /**
   * Pod affinity.
   * @default - none
   */
  readonly podAffinity?: PodAffinitySpec;
  /**
   * Pod anti-affinity.
   * @default - none
   */
  readonly podAntiAffinity?: PodAffinitySpec;
}

/** Lets the VMI pod run on nodes with a matching taint. */
export interface TolerationSpec {
  /**
   * Taint key; empty with operator Exists matches every taint.
   * @default - every key
   */
  readonly key?: string;
  /**
   * Exists or Equal.
   * @default 'Equal'
   */
  readonly operator?: string;
  /**
   * Taint value, for Equal.
   * @default - none
   */
  readonly value?: string;
  /**
   * NoSchedule, PreferNoSchedule or NoExecute.
   * @default - every effect
   */
  readonly effect?: string;
  /**
   * For NoExecute: how long the pod stays bound after the taint appears.
   * @default - forever
   */
  readonly tolerationSeconds?: number;
}
