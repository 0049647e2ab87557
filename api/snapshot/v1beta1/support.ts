/**
 * Former home of the helpers the non-core groups share. They now live where every group
 * can reach them: readers in api/validation/readers.ts, the reference and JSON Patch
 * checks in api/validation/typed-ref.ts and json-patch.ts, KindFields in api/kind.ts.
 * Re-exported here so existing imports keep working; import from those modules instead.
 */
export type { KindFields } from '../../kind';
export { type Json, record, list, text, dig } from '../../validation/readers';
export { type AllowedRef, typedRefIssues } from '../../validation/typed-ref';
export { jsonPatchIssues } from '../../validation/json-patch';
