/**
 * Kubernetes object metadata, as the API server returns it. Runtime validation checks
 * user metadata against this; the CRD leaves top-level metadata to the API server.
 */
import {
  Obj,
  Opt,
  Str,
  Int64,
  Bool,
  StringMap,
  StringList,
  List,
  Timestamp,
  Opaque,
  Type,
  type Static,
} from '../schema/dsl';

export const OwnerReference = Obj(
  'A reference to the object that owns this one; garbage collection follows it.',
  {
    apiVersion: Str('API version of the owner.'),
    kind: Str('Kind of the owner.'),
    name: Str('Name of the owner.'),
    uid: Str('UID of the owner.'),
    controller: Opt(Bool('True when the owner is the managing controller.')),
    blockOwnerDeletion: Opt(
      Bool(
        'When true, the owner cannot be deleted from the key-value store until this reference is removed.',
      ),
    ),
  },
);
export type OwnerReference = Static<typeof OwnerReference>;

export const ObjectMeta = Obj('Standard Kubernetes object metadata.', {
  name: Opt(
    Str('Name of the object, unique within its namespace (or the cluster for cluster-scoped kinds).'),
  ),
  generateName: Opt(Str('Prefix the API server uses to generate a unique name when name is empty.')),
  namespace: Opt(Str('Namespace of the object; empty means "default" for namespaced kinds.')),
  labels: Opt(StringMap('Key-value pairs used to select and organise objects.')),
  annotations: Opt(StringMap('Key-value pairs for tools and controllers; not used for selection.')),
  uid: Opt(Str('Unique identifier assigned by the API server.')),
  resourceVersion: Opt(Str('Opaque version used for optimistic concurrency and watches.')),
  generation: Opt(Int64('Sequence number of spec changes, maintained by the API server.')),
  creationTimestamp: Opt(Timestamp('When the object was created.')),
  deletionTimestamp: Opt(Timestamp('When deletion was requested; set by the API server.')),
  deletionGracePeriodSeconds: Opt(
    Int64('Seconds allowed for graceful termination before the object is removed.'),
  ),
  finalizers: Opt(StringList('Names of finalizers that must be removed before the object is deleted.')),
  ownerReferences: Opt(List('Objects this object depends on.', OwnerReference)),
  managedFields: Opt(
    List(
      'Server-side apply field ownership, maintained by the API server.',
      Opaque('One field manager entry.'),
    ),
  ),
  selfLink: Opt(Str('Deprecated link to this object.')),
});
export type ObjectMeta = Static<typeof ObjectMeta>;

export const LabelSelectorRequirement = Obj('A selector requirement: a key, an operator and values.', {
  key: Str('The label key the selector applies to.'),
  operator: Str('In, NotIn, Exists or DoesNotExist.'),
  values: Opt(StringList('Values for In and NotIn; empty for Exists and DoesNotExist.')),
});

export const LabelSelector = Obj('A label query over a set of objects.', {
  matchLabels: Opt(StringMap('Labels that must all match.')),
  matchExpressions: Opt(List('Requirements that must all hold.', LabelSelectorRequirement)),
});
export type LabelSelector = Static<typeof LabelSelector>;

export const LocalObjectReference = Obj('A reference to an object in the same namespace.', {
  name: Opt(Str('Name of the referent.')),
});

export const Condition = Obj('A standard condition of an object.', {
  type: Str('Type of the condition, for example Ready.'),
  status: Str('True, False or Unknown.'),
  reason: Opt(Str('Machine-readable reason for the last transition, in CamelCase.')),
  message: Opt(Str('Human-readable details of the last transition.')),
  lastTransitionTime: Opt(Timestamp('When the status last changed.')),
  lastProbeTime: Opt(Timestamp('When the condition was last probed.')),
  lastHeartbeatTime: Opt(Timestamp('When the condition was last reported.')),
  observedGeneration: Opt(Int64('The generation the condition was set for.')),
});
export type Condition = Static<typeof Condition>;

/** Anything with metadata: what every generic function in api/ accepts. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export const AnyObject = Type.Unknown();

/**
 * A time as Kubernetes writes metav1.Time (RFC 3339, whole seconds, UTC): `2024-05-01T10:00:00Z`.
 * Takes a Date or milliseconds since the epoch; now when left out.
 */
export function metav1Time(at: Date | number = new Date()): string {
  return (typeof at === 'number' ? new Date(at) : at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
