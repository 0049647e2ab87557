/**
 * What the handler on a kubelet node writes on its Node (pure): kubelet registers the Node and
 * owns its status, so the handler only labels it, as virt-handler does: `kubevirt.io/schedulable`
 * "true" while it serves the node (launcher pods select it) and "false" when it stops, so no new
 * launcher pod is scheduled where nobody would look after it.
 */
import { SCHEDULABLE_LABEL } from '../node/node-object';

/** A merge patch of the Node's labels. */
export function schedulablePatch(schedulable: boolean): { metadata: { labels: Record<string, string> } } {
  return { metadata: { labels: { [SCHEDULABLE_LABEL]: String(schedulable) } } };
}
