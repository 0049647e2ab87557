/**
 * Attaching a VM to a network construct by reference: INetworkAttachment, which network
 * constructs (Multus NetworkAttachmentDefinitions, Kube-OVN attachments) implement, and the
 * options of `attachNetwork`. The binding and source value classes live in api/render.
 */
import type { Node } from 'constructs';
import type { InterfaceBinding } from '../../api/render/network';

/**
 * A network a VM can attach to by reference: implemented by the network constructs
 * (for example a Multus NetworkAttachmentDefinition construct).
 */
export interface INetworkAttachment {
  /** Name VMs write in `multus.networkName` (usually the NAD name, or `namespace/name`). */
  readonly multusNetworkName: string;
  /** Namespace the NAD lives in; undefined for a NAD in the VM's own namespace. */
  readonly namespace?: string;
  /** The construct node, so checks can name its path. */
  readonly node: Node;
}

/** Whether `x` looks like an INetworkAttachment (duck typing, as jsii interfaces are). */
export function isNetworkAttachment(x: unknown): x is INetworkAttachment {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { multusNetworkName?: unknown }).multusNetworkName === 'string' &&
    typeof (x as { node?: unknown }).node === 'object'
  );
}

/** Options of `attachNetwork`. */
export interface AttachNetworkOptions {
  /**
   * How the interface connects.
   * @default InterfaceBinding.bridge()
   */
  readonly binding?: InterfaceBinding;
  /**
   * Fixed MAC address.
   * @default - assigned by the runtime
   * @example '02:00:00:00:00:01'
   */
  readonly macAddress?: string;
}
