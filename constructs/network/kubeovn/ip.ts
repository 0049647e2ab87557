/**
 * Kube-OVN IP: an address reservation on a Subnet. Kube-OVN creates these for running
 * pods; declaring one reserves an address for a workload before it starts.
 */
import type { Construct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../../core';
import { compact } from '../../core/compact';
import { kubeOvnChecks } from './checks';
import type { Subnet } from './subnet';

/** Props of an Ip (a Kube-OVN IP). */
export interface IpProps extends ObjectMetaProps {
  /**
   * The Subnet construct the address belongs to.
   * @example underlay
   */
  readonly subnet: Subnet;
  /**
   * IPv4 address.
   * @default - none
   * @example '10.20.0.15'
   */
  readonly v4IpAddress?: string;
  /**
   * IPv6 address.
   * @default - none
   * @example 'fd00:20::15'
   */
  readonly v6IpAddress?: string;
  /**
   * MAC address.
   * @default - none
   * @example '00:00:00:53:6B:B6'
   */
  readonly macAddress?: string;
  /**
   * Pod (or VM) the address is for.
   * @default - none
   * @example 'db'
   */
  readonly podName?: string;
  /**
   * Namespace of that pod.
   * @default - none
   * @example 'prod'
   */
  readonly podNamespace?: string;
  /**
   * Kind of workload; `VirtualMachine` for KubeVirt VMs.
   * @default - none
   * @example 'VirtualMachine'
   */
  readonly podType?: string;
}

const IP_SYMBOL = Symbol.for('virtkit.kubeovn.IP');

/**
 * A Kube-OVN IP (cluster-scoped).
 *
 * @example new Ip(chart, 'db-ip', { subnet, v4IpAddress: '10.20.0.15', podName: 'db', podNamespace: 'prod', podType: 'VirtualMachine' })
 */
export class Ip extends KubeVirtObject {
  /** Whether `x` is an IP construct. */
  public static isIp(x: unknown): x is Ip {
    return typeof x === 'object' && x !== null && IP_SYMBOL in x;
  }

  /** The subnet of the address. */
  public readonly subnet: Subnet;
  private readonly props: IpProps;

  public constructor(scope: Construct, id: string, props: IpProps) {
    super(scope, id, kubeovnV1.IPKind, props);
    Object.defineProperty(this, IP_SYMBOL, { value: true });
    this.props = props;
    this.subnet = props.subnet;
    AppValidation.of(this).addCheck(kubeOvnChecks);
  }

  /** The addresses of the object (v4 then v6, when set). */
  public get addresses(): string[] {
    return [this.props.v4IpAddress, this.props.v6IpAddress].filter((a): a is string => a !== undefined);
  }

  protected renderBody(): { [key: string]: unknown } {
    const p = this.props;
    return {
      spec: compact({
        subnet: this.subnet.name,
        v4IpAddress: p.v4IpAddress,
        v6IpAddress: p.v6IpAddress,
        macAddress: p.macAddress,
        podName: p.podName,
        namespace: p.podNamespace,
        podType: p.podType,
      }),
    };
  }
}
