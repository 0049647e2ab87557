/** Shapes shared by the Kube-OVN kinds: their condition and their big address counters. */
import { Obj, Opt, Str, Num, Int64, Timestamp, type Static } from '../../schema/dsl';

export const KubeOvnCondition = Obj('A condition of a Kube-OVN object.', {
  type: Str('Type of the condition, for example Ready, Validated or Error.'),
  status: Str('True, False or Unknown.'),
  reason: Opt(Str('Machine-readable reason for the last transition.')),
  message: Opt(Str('Human-readable details of the last transition.')),
  lastUpdateTime: Opt(Timestamp('When the condition was last refreshed.')),
  lastTransitionTime: Opt(Timestamp('When the status last changed.')),
  observedGeneration: Opt(Int64('The generation the condition was computed for.')),
});
export type KubeOvnCondition = Static<typeof KubeOvnCondition>;

/** Kube-OVN counts addresses with arbitrary-precision integers, written as JSON numbers. */
export function AddressCount(description: string) {
  return Num(description);
}
