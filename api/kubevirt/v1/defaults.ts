/**
 * KubeVirt's defaults for fields a user may leave out, computed where they are needed and
 * never written into a spec. No imports: the per-VM launcher loads this without the schemas.
 */

/** `terminationGracePeriodSeconds` of a VMI that does not set it. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
