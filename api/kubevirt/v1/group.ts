/** Identity shared by the kubevirt.io/v1 kinds. */
import type { TSchema } from '../../schema/dsl';
export const KUBEVIRT_GROUP = 'kubevirt.io';
export const KUBEVIRT_VERSION = 'v1';
export const KUBEVIRT_API_VERSION = 'kubevirt.io/v1';

/** The creation time column every KubeVirt kind shows. */
export const AGE_COLUMN = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' } as const;

/**
 * The field map type the kind definitions are declared with. Widening here (instead of
 * keeping the literal field types) lets a definition go straight to validateAs, crdFor
 * and the registry; the object types (VirtualMachine, ...) carry the precise typing.
 */
export type KindFields = Record<string, TSchema>;
