/** Identity shared by the kubevirt.io/v1 kinds. */
export const KUBEVIRT_GROUP = 'kubevirt.io';
export const KUBEVIRT_VERSION = 'v1';
export const KUBEVIRT_API_VERSION = 'kubevirt.io/v1';

/** The creation time column every KubeVirt kind shows (defined with the other shared columns). */
export { AGE_COLUMN } from '../../crd/columns';

export type { KindFields } from '../../kind';
