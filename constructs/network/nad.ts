/**
 * A Multus NetworkAttachmentDefinition built from typed CNI plugins. It implements
 * INetworkAttachment, so VMs attach to it by reference, and knows its Kube-OVN provider
 * when Kube-OVN manages its addresses.
 */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { multusV1 } from '../../api';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import type { INetworkAttachment } from '../vm/network';
import { DEFAULT_CNI_VERSION, renderCniConfig } from './cni/config';
import type { CniPlugin } from './cni/plugin';
import type { CniRenderContext } from './cni/ipam';

/** Props of a NetworkAttachmentDefinition. */
export interface NetworkAttachmentDefinitionProps extends ObjectMetaProps {
  /**
   * The main CNI plugin.
   * @example CniPlugin.bridge({ bridge: 'br1' })
   */
  readonly plugin: CniPlugin;
  /**
   * Plugins chained after the main one (the config becomes a plugin list).
   * @default - none
   * @example [CniPlugin.custom('tuning', { mtu: 9000 })]
   */
  readonly chain?: CniPlugin[];
  /**
   * CNI spec version of the configuration.
   * @default '0.3.1'
   * @example '1.0.0'
   */
  readonly cniVersion?: string;
}

/**
 * A secondary network VMs attach to by reference.
 *
 * @example
 * const vlan100 = new NetworkAttachmentDefinition(chart, 'vlan100', {
 *   plugin: CniPlugin.bridge({ bridge: 'br1', vlan: 100 }),
 * });
 * vm.attachNetwork('vlan100', vlan100);
 */
export class NetworkAttachmentDefinition extends KubeVirtObject implements INetworkAttachment {
  private readonly props: NetworkAttachmentDefinitionProps;

  public constructor(scope: Construct, id: string, props: NetworkAttachmentDefinitionProps) {
    super(scope, id, multusV1.NetworkAttachmentDefinitionKind, props);
    this.props = props;
    for (const plugin of [props.plugin, ...(props.chain ?? [])]) {
      for (const [key, value] of Object.entries(plugin.nadAnnotations)) this.addAnnotation(key, value);
    }
  }

  /** The namespace the CNI config and provider are computed for (`default` when none is set). */
  public get effectiveNamespace(): string {
    return this.namespace ?? Chart.of(this).namespace ?? 'default';
  }

  /** `namespace/name` when the NAD has a namespace, else its name (what VMs write in multus.networkName). */
  public get multusNetworkName(): string {
    return this.namespace ? `${this.namespace}/${this.name}` : this.name;
  }

  /** The main CNI plugin. */
  public get plugin(): CniPlugin {
    return this.props.plugin;
  }

  /**
   * Kube-OVN provider of this network when Kube-OVN manages its addresses, else undefined:
   * `<name>.<namespace>.ovn` for the kube-ovn plugin, `<name>.<namespace>` for kube-ovn IPAM.
   * A Subnet serving this network sets spec.provider to it, and VMs write
   * `<provider>.kubernetes.io/ip_address` to pick their address on it.
   */
  public get kubeOvnProvider(): string | undefined {
    return this.props.plugin.kubeOvnProvider(this.context());
  }

  /** The rendered spec.config string. */
  public get cniConfig(): string {
    return renderCniConfig(
      this.context(),
      [this.props.plugin, ...(this.props.chain ?? [])],
      this.props.cniVersion ?? DEFAULT_CNI_VERSION,
    );
  }

  private context(): CniRenderContext {
    return { name: this.name, namespace: this.effectiveNamespace };
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: { config: this.cniConfig } };
  }
}
