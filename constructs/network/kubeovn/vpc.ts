/** Kube-OVN Vpc: an isolated logical router with its own subnets and routes. */
import type { Construct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { KubeVirtObject, type ObjectMetaProps } from '../../core';
import { compact, nonEmpty } from '../../core/compact';

/** A static route of the VPC router. */
export interface VpcStaticRoute {
  /**
   * Destination CIDR.
   * @example '0.0.0.0/0'
   */
  readonly cidr: string;
  /**
   * Next hop address.
   * @example '10.0.1.254'
   */
  readonly nextHopIp: string;
  /**
   * Route table.
   * @default - the main table
   * @example 'rtb1'
   */
  readonly routeTable?: string;
}

/** A policy route of the VPC router. */
export interface VpcPolicyRoute {
  /**
   * Priority, 0 to 32767; higher first.
   * @example 10
   */
  readonly priority: number;
  /**
   * OVN match expression.
   * @example 'ip4.src == 10.0.1.0/24'
   */
  readonly match: string;
  /**
   * allow, drop or reroute.
   * @example 'reroute'
   */
  readonly action: string;
  /**
   * Next hop of a reroute.
   * @default - none
   * @example '10.0.1.254'
   */
  readonly nextHopIp?: string;
}

/** Props of a Vpc. */
export interface VpcProps extends ObjectMetaProps {
  /**
   * Namespaces whose pods use the VPC.
   * @default - none
   * @example ['tenant-a']
   */
  readonly namespaces?: string[];
  /**
   * Static routes.
   * @default - none
   * @example [{ cidr: '0.0.0.0/0', nextHopIp: '10.0.1.254' }]
   */
  readonly staticRoutes?: VpcStaticRoute[];
  /**
   * Policy routes.
   * @default - none
   * @example [{ priority: 10, match: 'ip4.src == 10.0.1.0/24', action: 'drop' }]
   */
  readonly policyRoutes?: VpcPolicyRoute[];
  /**
   * Connect the VPC to the default external network.
   * @default false
   * @example true
   */
  readonly enableExternal?: boolean;
  /**
   * Subnet used by pods of the VPC namespaces that name none.
   * @default - none
   * @example 'tenant-a-default'
   */
  readonly defaultSubnet?: string;
}

/**
 * A Kube-OVN VPC (cluster-scoped).
 *
 * @example new Vpc(chart, 'tenant-a', { name: 'tenant-a', namespaces: ['tenant-a'] })
 */
export class Vpc extends KubeVirtObject {
  private readonly props: VpcProps;

  public constructor(scope: Construct, id: string, props: VpcProps = {}) {
    super(scope, id, kubeovnV1.VpcKind, props);
    this.props = props;
  }

  protected renderBody(): { [key: string]: unknown } {
    const p = this.props;
    return {
      spec: compact({
        namespaces: nonEmpty(p.namespaces ?? []),
        staticRoutes: nonEmpty(
          (p.staticRoutes ?? []).map((r) => ({
            cidr: r.cidr,
            nextHopIP: r.nextHopIp,
            routeTable: r.routeTable,
          })),
        ),
        policyRoutes: nonEmpty(
          (p.policyRoutes ?? []).map((r) => ({
            priority: r.priority,
            match: r.match,
            action: r.action,
            nextHopIP: r.nextHopIp,
          })),
        ),
        enableExternal: p.enableExternal,
        defaultSubnet: p.defaultSubnet,
      }),
    };
  }
}
