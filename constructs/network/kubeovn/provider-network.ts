/** Kube-OVN ProviderNetwork: the node interfaces an underlay network is bridged onto. */
import type { Construct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../../core';
import { kubeOvnChecks } from './checks';
import { compact, nonEmpty } from '../../core/compact';

/** Nodes that use another interface than the default. */
export interface ProviderNetworkCustomInterface {
  /**
   * Interface name on those nodes.
   * @example 'eno2'
   */
  readonly interfaceName: string;
  /**
   * The nodes.
   * @example ['node-3', 'node-4']
   */
  readonly nodes: string[];
}

/** Props of a ProviderNetwork. */
export interface ProviderNetworkProps extends ObjectMetaProps {
  /**
   * Node interface bridged into the network (at most 15 characters). Kube-OVN limits the
   * object name to 12 characters.
   * @example 'eth1'
   */
  readonly defaultInterface: string;
  /**
   * Per-node exceptions to defaultInterface.
   * @default - none
   * @example [{ interfaceName: 'eno2', nodes: ['node-3'] }]
   */
  readonly customInterfaces?: ProviderNetworkCustomInterface[];
  /**
   * Nodes kept out of the network.
   * @default - none
   * @example ['control-plane-1']
   */
  readonly excludeNodes?: string[];
  /**
   * Swap names of the node interface and its OVS bridge so the node keeps its interface name.
   * @default false
   * @example true
   */
  readonly exchangeLinkName?: boolean;
}

/**
 * A Kube-OVN provider network (cluster-scoped).
 *
 * @example new ProviderNetwork(chart, 'net1', { name: 'net1', defaultInterface: 'eth1' })
 */
export class ProviderNetwork extends KubeVirtObject {
  private readonly props: ProviderNetworkProps;

  public constructor(scope: Construct, id: string, props: ProviderNetworkProps) {
    super(scope, id, kubeovnV1.ProviderNetworkKind, props);
    this.props = props;
    AppValidation.of(this).addCheck(kubeOvnChecks);
  }

  protected renderBody(): { [key: string]: unknown } {
    const p = this.props;
    return {
      spec: compact({
        defaultInterface: p.defaultInterface,
        customInterfaces: nonEmpty(
          (p.customInterfaces ?? []).map((c) => ({ interface: c.interfaceName, nodes: [...c.nodes] })),
        ),
        excludeNodes: nonEmpty(p.excludeNodes ?? []),
        exchangeLinkName: p.exchangeLinkName,
      }),
    };
  }
}
