/**
 * Networking vocabulary of the typed VM props: how an interface is bound (InterfaceBinding)
 * and where a network comes from (NetworkSource). Attaching to a network construct by
 * reference is the constructs' business (INetworkAttachment in constructs/vm/network.ts).
 */
import type { Interface, Network } from '../kubevirt/v1';

type BindingFields = Pick<Interface, 'bridge' | 'masquerade' | 'sriov' | 'passtBinding' | 'binding'>;

/** How a guest interface connects to its network. */
export class InterfaceBinding {
  /** NAT behind the pod address; the usual choice for the pod network. */
  public static masquerade(): InterfaceBinding {
    return new InterfaceBinding('masquerade', () => ({ masquerade: {} }));
  }

  /** A Linux bridge in the pod; the guest takes over the pod or secondary network's address. */
  public static bridge(): InterfaceBinding {
    return new InterfaceBinding('bridge', () => ({ bridge: {} }));
  }

  /** An SR-IOV virtual function passed through to the guest (Multus SR-IOV networks). */
  public static sriov(): InterfaceBinding {
    return new InterfaceBinding('sriov', () => ({ sriov: {} }));
  }

  /** passt user-mode networking (`passtBinding: {}`). */
  public static passt(): InterfaceBinding {
    return new InterfaceBinding('passt', () => ({ passtBinding: {} }));
  }

  /**
   * A binding plugin registered in the KubeVirt CR.
   * @example InterfaceBinding.plugin('managedtap')
   */
  public static plugin(name: string): InterfaceBinding {
    return new InterfaceBinding(`plugin:${name}`, () => ({ binding: { name } }));
  }

  private constructor(
    /** Short name of the binding, for messages: masquerade, bridge, sriov, passt or plugin:<name>. */
    public readonly kind: string,
    private readonly fields: () => BindingFields,
  ) {}

  /**
   * The binding fields of an api/ Interface (a fresh object each call).
   * @internal
   */
  public _render(): BindingFields {
    return this.fields();
  }
}

/** Where a VM network comes from. */
export class NetworkSource {
  /** The pod network of the launcher pod (at most one per VM). */
  public static pod(): NetworkSource {
    return new NetworkSource(undefined);
  }

  /**
   * A Multus NetworkAttachmentDefinition by name (`name` or `namespace/name`).
   * @example NetworkSource.multus('storage/vlan100')
   */
  public static multus(networkName: string, options: MultusOptions = {}): NetworkSource {
    return new NetworkSource(networkName, options.isDefault);
  }

  private constructor(
    /** The Multus network name, when this is a Multus source. */
    public readonly multusNetworkName: string | undefined,
    private readonly multusDefault?: boolean,
  ) {}

  /**
   * The api/ Network with the given name.
   * @internal
   */
  public _render(name: string): Network {
    const networkName = this.multusNetworkName;
    if (networkName === undefined) return { name, pod: {} };
    return {
      name,
      multus:
        this.multusDefault !== undefined ? { networkName, default: this.multusDefault } : { networkName },
    };
  }
}

/** Options of a Multus network source. */
export interface MultusOptions {
  /**
   * Use this network as the pod's default network instead of the cluster network (the API's
   * `multus.default`; not named `default`, a reserved word in Java, C# and Go).
   * @default - not set (a secondary network)
   * @example { isDefault: true }
   */
  readonly isDefault?: boolean;
}

/** A guest interface. */
export interface InterfaceProps {
  /**
   * Interface name; a network of the same name must exist.
   * @example 'default'
   */
  readonly name: string;
  /**
   * How the interface connects.
   * @example InterfaceBinding.masquerade()
   */
  readonly binding: InterfaceBinding;
  /**
   * Fixed MAC address.
   * @default - assigned by the runtime
   * @example '02:00:00:00:00:01'
   */
  readonly macAddress?: string;
  /**
   * NIC model.
   * @default - virtio
   * @example 'e1000e'
   */
  readonly model?: string;
  /**
   * Boot priority (PXE boot); lower boots first.
   * @default - not a boot device
   * @example 3
   */
  readonly bootOrder?: number;
}
