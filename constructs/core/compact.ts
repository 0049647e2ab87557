/**
 * The plain-data helpers of renderers (no undefined members, no empty lists) live with the
 * renderers in api/render; re-exported here for the constructs and their public API.
 */
export { compact, dropUndefined, nonEmpty, nonEmptyMap } from '../../api/render/compact';
