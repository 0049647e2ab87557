/**
 * The contracts of the handler's node API (./server.ts): what the websocket streams
 * (./streams.ts: console, VNC) get from the server, and what the server needs from the rest of
 * the handler to find the VMIs of its node and their launchers.
 */
import type { Logger } from '../../common/log';

/** What `handleStreamUpgrade` (./streams.ts) gets with every upgrade the server authenticated. */
export interface NodeStreamContext {
  /** The launcher control socket of that VMI on this node, if it runs here (and its launcher is ready). */
  launcherSocket(namespace: string, name: string): string | undefined;
  readonly log: Logger;
}

/** Where a VMI stands on this node, as the node API needs to know it. */
export type NodeVmiLocation =
  /** No VMI of that name is scheduled to this node. */
  | { readonly kind: 'absent' }
  /** The VMI is this node's, but its launcher cannot take requests (starting, gone). */
  | { readonly kind: 'not-ready'; readonly why: string }
  | {
      readonly kind: 'ready';
      readonly socket: string;
      /** For Events about the VMI. */
      readonly vmi: {
        readonly apiVersion: string;
        readonly kind: string;
        readonly metadata: { readonly name: string; readonly namespace: string; readonly uid?: string };
      };
    };

/** The handler's side of the node API: the VMIs of this node. */
export interface NodeVmiLocator {
  locate(namespace: string, name: string): NodeVmiLocation;
}
