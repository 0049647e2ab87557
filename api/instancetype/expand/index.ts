/**
 * KubeVirt's instancetype and preference expansion, pure: a VirtualMachine with the specs of
 * the instancetype and preference it references, applied (./expand.ts); which objects those
 * are (./references.ts); conflicts and requirement failures as `{field, message}` problems.
 */
export * from './expand';
export * from './references';
export { conflictsMessage, REQUIREMENTS_PREFIX, type ExpansionProblem, type ProblemKind } from './conflicts';
export { checkPreferenceRequirements, DEFAULT_ARCHITECTURE } from './requirements';
export { preferredTopology, spreadOptions, guestTopology, type GuestTopology } from './cpu-topology';
export { canonicalQuantity } from './quantity-text';
