/** Kube-OVN IPPool: a slice of a Subnet reserved for some namespaces. */
import type { Construct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../../core';
import { compact, nonEmpty } from '../../core/compact';
import { kubeOvnChecks } from './checks';
import type { Subnet } from './subnet';

/** Props of an IpPool (a Kube-OVN IPPool). */
export interface IpPoolProps extends ObjectMetaProps {
  /**
   * The Subnet construct the pool is carved from.
   * @example underlay
   */
  readonly subnet: Subnet;
  /**
   * Addresses, CIDRs or `first..last` ranges, all inside the subnet.
   * @example ['10.20.0.100..10.20.0.150']
   */
  readonly ips: string[];
  /**
   * Namespaces whose pods take addresses from the pool.
   * @default - none
   * @example ['web']
   */
  readonly namespaces?: string[];
  /**
   * Also publish the pool as an OVN address set.
   * @default false
   * @example true
   */
  readonly enableAddressSet?: boolean;
}

const POOL_SYMBOL = Symbol.for('virtkit.kubeovn.IPPool');

/**
 * A Kube-OVN IP pool (cluster-scoped).
 *
 * @example new IpPool(chart, 'web-pool', { subnet, ips: ['10.20.0.100..10.20.0.150'], namespaces: ['web'] })
 */
export class IpPool extends KubeVirtObject {
  /** Whether `x` is an IpPool construct (a Kube-OVN IPPool). */
  public static isIpPool(x: unknown): x is IpPool {
    return typeof x === 'object' && x !== null && POOL_SYMBOL in x;
  }

  /** The subnet of the pool. */
  public readonly subnet: Subnet;
  private readonly props: IpPoolProps;

  public constructor(scope: Construct, id: string, props: IpPoolProps) {
    super(scope, id, kubeovnV1.IPPoolKind, props);
    Object.defineProperty(this, POOL_SYMBOL, { value: true });
    this.props = props;
    this.subnet = props.subnet;
    AppValidation.of(this).addCheck(kubeOvnChecks);
  }

  /** spec.ips. */
  public get ips(): string[] {
    return [...this.props.ips];
  }

  protected renderBody(): { [key: string]: unknown } {
    return {
      spec: compact({
        subnet: this.subnet.name,
        ips: [...this.props.ips],
        namespaces: nonEmpty(this.props.namespaces ?? []),
        enableAddressSet: this.props.enableAddressSet,
      }),
    };
  }
}
