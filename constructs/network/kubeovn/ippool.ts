/** Kube-OVN IPPool: a slice of a Subnet reserved for some namespaces. */
import type { Construct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../../core';
import { compact, nonEmpty } from '../../core/compact';
import { kubeOvnChecks } from './checks';
import type { Subnet } from './subnet';

/** Props of an IPPool. */
export interface IPPoolProps extends ObjectMetaProps {
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
 * @example new IPPool(chart, 'web-pool', { subnet, ips: ['10.20.0.100..10.20.0.150'], namespaces: ['web'] })
 */
export class IPPool extends KubeVirtObject {
  /** Whether `x` is an IPPool construct. */
  public static isIPPool(x: unknown): x is IPPool {
    return typeof x === 'object' && x !== null && POOL_SYMBOL in x;
  }

  /** The subnet of the pool. */
  public readonly subnet: Subnet;
  private readonly props: IPPoolProps;

  public constructor(scope: Construct, id: string, props: IPPoolProps) {
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

  protected renderBody(): { spec: unknown } {
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
