/**
 * The handlers of the subresource API's verbs, keyed by their RBAC resource name as KubeVirt
 * publishes it (`virtualmachines/start`, `virtualmachineinstances/vnc/screenshot`,
 * `expand-vm-spec`; the keys are checked against ./catalog.ts). A resource without a handler
 * here answers 501 "not supported by virtkit yet"; the router has checked the path, the method
 * (the catalog's), the names and the JSON body, and authenticated the user, before a handler runs.
 *
 * To add a verb: write it in its own file (e.g. ./vm-start.ts exporting
 * `startVm: SubresourceHandler`), import it here and add one line to SUBRESOURCE_HANDLERS:
 *
 *   import { startVm } from './vm-start';
 *   export const SUBRESOURCE_HANDLERS: SubresourceHandlers = {
 *     'virtualmachines/start': startVm,
 *   };
 *
 * Websocket streams are not dispatched here: the router hands `console` and `vnc` upgrades to
 * ./streams.ts (console, vnc, portforward) and answers the others (usbredir, vsock...) with 501.
 */
import type { SubresourceKey } from './catalog';
import type { SubresourceHandler } from './types';
import { VM_STATE_HANDLERS } from './vm-state-handlers';
import { VMI_ACTION_HANDLERS } from './vmi-actions';
import { vncScreenshot } from './screenshot';
import { expandSpec, expandVmSpec } from './expand-spec';
import { VOLUME_HANDLERS } from './volumes';
import { VM_MIGRATE_HANDLERS } from './vm-migrate';

export type SubresourceHandlers = Partial<Readonly<Record<SubresourceKey, SubresourceHandler>>>;

export const SUBRESOURCE_HANDLERS: SubresourceHandlers = {
  ...VM_STATE_HANDLERS,
  ...VMI_ACTION_HANDLERS,
  ...VOLUME_HANDLERS,
  ...VM_MIGRATE_HANDLERS,
  'virtualmachineinstances/vnc/screenshot': vncScreenshot,
  'virtualmachines/expand-spec': expandSpec,
  'expand-vm-spec': expandVmSpec,
};
