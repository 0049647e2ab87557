/** Kube-OVN Vlan: a VLAN tag on a ProviderNetwork that underlay Subnets use. */
import type { Construct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../../core';
import { kubeOvnChecks } from './checks';
import type { ProviderNetwork } from './provider-network';

/** Props of a Vlan. Set provider or providerName. */
export interface VlanProps extends ObjectMetaProps {
  /**
   * VLAN tag, 0 (untagged) to 4095.
   * @example 100
   */
  readonly id: number;
  /**
   * The ProviderNetwork construct that carries the VLAN.
   * @default - use providerName
   * @example net1
   */
  readonly provider?: ProviderNetwork;
  /**
   * Name of a ProviderNetwork, when it is not a construct of this app.
   * @default - the name of `provider`
   * @example 'net1'
   */
  readonly providerName?: string;
}

/**
 * A Kube-OVN VLAN (cluster-scoped).
 *
 * @example new Vlan(chart, 'vlan100', { name: 'vlan100', id: 100, provider: net1 })
 */
export class Vlan extends KubeVirtObject {
  /** The ProviderNetwork construct, when given by reference. */
  public readonly providerNetwork?: ProviderNetwork;
  private readonly props: VlanProps;

  public constructor(scope: Construct, id: string, props: VlanProps) {
    super(scope, id, kubeovnV1.VlanKind, props);
    if ((props.provider === undefined) === (props.providerName === undefined)) {
      throw new Error(
        `${this.node.path}: set exactly one of provider (a ProviderNetwork construct) and providerName (its name)`,
      );
    }
    this.props = props;
    AppValidation.of(this).addCheck(kubeOvnChecks);
    this.providerNetwork = props.provider;
  }

  /** Name of the ProviderNetwork the VLAN is on. */
  public get providerNetworkName(): string {
    return this.props.provider?.name ?? (this.props.providerName as string);
  }

  protected renderBody(): { [key: string]: unknown } {
    return { spec: { id: this.props.id, provider: this.providerNetworkName } };
  }
}
