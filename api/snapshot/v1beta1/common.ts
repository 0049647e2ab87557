/**
 * Shapes shared by the snapshot, restore, clone and export kinds: their condition and
 * their last-error record (KubeVirt gives these groups one condition shape).
 */
import { Obj, Opt, Str, OpenEnum, Timestamp, CrdOverride, Type, type Static } from '../../schema/dsl';
import { ObjectMeta } from '../../k8s/meta';

export const OperationCondition = Obj('A condition of a snapshot, restore, clone or export.', {
  type: OpenEnum('Condition type.', [
    'Ready',
    'Progressing',
    'Failure',
    'PVCReady',
    'VolumesCreated',
  ] as const),
  status: Str('True, False or Unknown.'),
  lastProbeTime: Opt(Timestamp('When the condition was last probed.')),
  lastTransitionTime: Opt(Timestamp('When the status last changed.')),
  reason: Opt(Str('Machine-readable reason for the last transition.')),
  message: Opt(Str('Human-readable details of the last transition.')),
});
export type OperationCondition = Static<typeof OperationCondition>;

export const OperationError = Obj('The last error met while taking or restoring a snapshot.', {
  time: Opt(Timestamp('When the error happened.')),
  message: Opt(Str('What went wrong.')),
});
export type OperationError = Static<typeof OperationError>;

/**
 * Metadata of an embedded VirtualMachine (a snapshot's copy, a pool template): checked as
 * ObjectMeta at runtime, published as KubeVirt does (an open, nullable object).
 */
export const EmbeddedObjectMeta = CrdOverride(ObjectMeta, {
  type: 'object',
  nullable: true,
  'x-kubernetes-preserve-unknown-fields': true,
});

/** A string the Go type marks nullable (a *string the controller may write as null). */
export function NullableStr(description: string) {
  return Type.Unsafe<string | null>({ type: 'string', nullable: true, description });
}
