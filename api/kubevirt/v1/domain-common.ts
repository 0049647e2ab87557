/**
 * Small building blocks shared by the DomainSpec files: integers in the shape KubeVirt's
 * CRD publishes them, the `{enabled: bool}` switch many features reuse, and the fields
 * with which a device names its DRA claim.
 */
import { Obj, Opt, Str, Bool, Int32, Type, type Static } from '../../schema/dsl';

/**
 * An integer backed by Go's `int` or `uint`: KubeVirt's CRD publishes these as a plain
 * `integer` with no format. `unsigned` makes runtime validation refuse negatives, which
 * KubeVirt would fail to decode.
 */
export function Integer(
  description: string,
  options: { unsigned?: boolean; minimum?: number; maximum?: number } = {},
) {
  const { unsigned, ...bounds } = options;
  return Type.Integer({ description, ...(unsigned ? { minimum: 0 } : {}), ...bounds });
}

/** A Go `uint32`: published as int32, never negative. */
export function UInt32(description: string) {
  return Int32(description, { minimum: 0 });
}

/** A `{enabled}` switch, described for the place it is used. */
export function FeatureSwitch(description: string) {
  return Obj(description, {
    enabled: Opt(Bool('Whether the feature is on; true when left out.')),
  });
}

export const FeatureState = FeatureSwitch('Switches a feature on or off in the guest.');
export type FeatureState = Static<typeof FeatureState>;

/**
 * The reference from a device (GPU, host device, network) to a DRA claim listed in the
 * VMI's spec.resourceClaims, inlined into the device as KubeVirt's ClaimRequest is.
 */
export function claimRequestFields() {
  return {
    claimName: Opt(Str('Name of an entry of spec.resourceClaims that allocates the device (DRA, alpha).')),
    requestName: Opt(Str('Name of the request inside that resource claim (DRA, alpha).')),
  };
}
