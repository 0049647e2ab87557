/**
 * Kube-OVN Subnet, and connecting VMs to it: on the default network or through a Multus
 * NetworkAttachmentDefinition, with a fixed IP and/or MAC written as VMI template
 * annotations. Addresses are checked against the subnet at synth (see checks.ts).
 */
import type { Construct, IConstruct } from 'constructs';
import { kubeovnV1 } from '../../../api';
import { AppValidation, KubeVirtObject, type ObjectMetaProps } from '../../core';
import { compact, nonEmpty } from '../../core/compact';
import type { InterfaceBinding } from '../../../api/render/network';
import type { AttachNetworkOptions, INetworkAttachment } from '../../vm/network';
import type { NetworkAttachmentDefinition } from '../nad';
import { DEFAULT_NETWORK_PROVIDER, kubeOvnAnnotations } from './annotations';
import { kubeOvnChecks } from './checks';
import type { Vlan } from './vlan';
import type { Vpc } from './vpc';

/** Address family of a subnet. */
export enum SubnetProtocol {
  IPV4 = 'IPv4',
  IPV6 = 'IPv6',
  DUAL = 'Dual',
}

/** How traffic leaves an overlay subnet. */
export enum GatewayType {
  /** From every node. */
  DISTRIBUTED = 'distributed',
  /** Through the gateway nodes. */
  CENTRALIZED = 'centralized',
}

/** Props of a Subnet. */
export interface SubnetProps extends ObjectMetaProps {
  /**
   * Address block (an IPv4 and an IPv6 block separated by a comma for dual stack).
   * @example '10.20.0.0/24'
   */
  readonly cidrBlock: string;
  /**
   * Gateway address.
   * @default - the first address of the block
   * @example '10.20.0.1'
   */
  readonly gateway?: string;
  /**
   * Addresses or `first..last` ranges never handed out.
   * @default - only the gateway
   * @example ['10.20.0.1..10.20.0.10']
   */
  readonly excludeIps?: string[];
  /**
   * Address family.
   * @default - derived from cidrBlock
   * @example SubnetProtocol.IPV4
   */
  readonly protocol?: SubnetProtocol;
  /**
   * Namespaces whose pods take addresses from this subnet.
   * @default - none
   * @example ['web']
   */
  readonly namespaces?: string[];
  /**
   * The VPC construct the subnet belongs to.
   * @default - vpcName, else ovn-cluster
   * @example tenantVpc
   */
  readonly vpc?: Vpc;
  /**
   * Name of a VPC that is not a construct of this app.
   * @default - the name of `vpc`, else ovn-cluster
   * @example 'tenant-a'
   */
  readonly vpcName?: string;
  /**
   * The Vlan construct that makes this an underlay subnet.
   * @default - vlanName, else an overlay subnet
   * @example vlan100
   */
  readonly vlan?: Vlan;
  /**
   * Name of a Vlan that is not a construct of this app.
   * @default - the name of `vlan`, else an overlay subnet
   * @example 'vlan100'
   */
  readonly vlanName?: string;
  /**
   * The NetworkAttachmentDefinition this subnet serves; its Kube-OVN provider becomes spec.provider.
   * @default - provider, else the default network (ovn)
   * @example attachNad
   */
  readonly network?: NetworkAttachmentDefinition;
  /**
   * Provider written as is: `ovn`, `<nad>.<namespace>` or `<nad>.<namespace>.ovn`.
   * @default - from `network`, else ovn
   * @example 'attachnet.default.ovn'
   */
  readonly provider?: string;
  /**
   * NAT traffic leaving the cluster to the node address.
   * @default false
   * @example true
   */
  readonly natOutgoing?: boolean;
  /**
   * Refuse traffic from other subnets (except allowSubnets): Kube-OVN's `spec.private` (not
   * named `private`, a reserved word in Java and C#).
   * @default false
   * @example true
   */
  readonly isPrivate?: boolean;
  /**
   * CIDRs allowed into a private subnet.
   * @default - none
   * @example ['10.16.0.0/16']
   */
  readonly allowSubnets?: string[];
  /**
   * How traffic leaves the subnet.
   * @default GatewayType.DISTRIBUTED
   * @example GatewayType.CENTRALIZED
   */
  readonly gatewayType?: GatewayType;
  /**
   * Gateway nodes of a centralized subnet, comma-separated.
   * @default - none
   * @example 'node-1,node-2'
   */
  readonly gatewayNode?: string;
  /**
   * Use an OVN logical router port as the gateway of an underlay subnet.
   * @default false
   * @example true
   */
  readonly logicalGateway?: boolean;
  /**
   * Serve DHCP on the subnet (for guests that configure themselves by DHCP).
   * @default false
   * @example true
   */
  readonly enableDhcp?: boolean;
  /**
   * MTU of interfaces on the subnet.
   * @default - the cluster MTU
   * @example 1400
   */
  readonly mtu?: number;
}

/** A VM (or pool) that can be connected to a Kube-OVN subnet. */
export interface IKubeOvnConnectable extends IConstruct {
  /** Adds an annotation to the VMI template. */
  addTemplateAnnotation(key: string, value: string): void;
  /** Adds an interface and a Multus network referring to `network`. */
  attachNetwork(name: string, network: INetworkAttachment, options?: AttachNetworkOptions): void;
}

/** Fixed addressing of a connection. */
export interface KubeOvnConnectionOptions {
  /**
   * Fixed IP address inside the subnet (comma-separated IPv4,IPv6 for dual stack).
   * @default - allocated by Kube-OVN (and kept for the VM's life)
   * @example '10.20.0.15'
   */
  readonly ipAddress?: string;
  /**
   * Fixed MAC address.
   * @default - allocated by Kube-OVN
   * @example '00:00:00:53:6B:B6'
   */
  readonly macAddress?: string;
}

/** Options of attaching a VM to a subnet through a NAD. */
export interface KubeOvnAttachmentOptions extends KubeOvnConnectionOptions {
  /**
   * Name of the VM interface and network.
   * @default - the NAD's name
   * @example 'underlay'
   */
  readonly interfaceName?: string;
  /**
   * How the interface connects.
   * @default InterfaceBinding.bridge()
   */
  readonly binding?: InterfaceBinding;
}

/** A fixed address (or MAC) requested on this subnet, recorded for the synth-time checks. */
export interface SubnetBinding {
  /** The VM construct. */
  readonly vm: IConstruct;
  /** Annotation prefix used (`ovn` or the NAD provider). */
  readonly provider: string;
  /** The NAD when attached through Multus. */
  readonly network?: NetworkAttachmentDefinition;
  readonly ipAddress?: string;
  readonly macAddress?: string;
}

const SUBNET_SYMBOL = Symbol.for('virtkit.kubeovn.Subnet');

/**
 * A Kube-OVN subnet (cluster-scoped).
 *
 * @example
 * const subnet = new Subnet(chart, 'underlay', { name: 'underlay', cidrBlock: '192.168.100.0/24', vlan: vlan100 });
 * subnet.connectDefaultNetwork(vm, { ipAddress: '192.168.100.20' });
 */
export class Subnet extends KubeVirtObject {
  /** Whether `x` is a Subnet construct. */
  public static isSubnet(x: unknown): x is Subnet {
    return typeof x === 'object' && x !== null && SUBNET_SYMBOL in x;
  }

  /** Fixed addresses requested on this subnet. */
  public readonly bindings: SubnetBinding[] = [];
  private readonly props: SubnetProps;

  public constructor(scope: Construct, id: string, props: SubnetProps) {
    super(scope, id, kubeovnV1.SubnetKind, props);
    Object.defineProperty(this, SUBNET_SYMBOL, { value: true });
    const pairs: [string, unknown, unknown][] = [
      ['vpc', props.vpc, props.vpcName],
      ['vlan', props.vlan, props.vlanName],
      ['network', props.network, props.provider],
    ];
    for (const [what, ref, name] of pairs) {
      if (ref !== undefined && name !== undefined) {
        const other = what === 'network' ? 'provider' : `${what}Name`;
        throw new Error(`${this.node.path}: set ${what} or ${other}, not both`);
      }
    }
    this.props = props;
    AppValidation.of(this).addCheck(kubeOvnChecks);
  }

  /** The Vlan construct, when given by reference. */
  public get vlan(): Vlan | undefined {
    return this.props.vlan;
  }

  /** Name of the Vlan (underlay subnets), if any. */
  public get vlanName(): string | undefined {
    return this.props.vlan?.name ?? this.props.vlanName;
  }

  /** The NAD construct this subnet serves, when given by reference. */
  public get network(): NetworkAttachmentDefinition | undefined {
    return this.props.network;
  }

  /** spec.provider as rendered (undefined means the default network, ovn). */
  public get provider(): string | undefined {
    if (this.props.network) {
      return (
        this.props.network.kubeOvnProvider ??
        `${this.props.network.name}.${this.props.network.effectiveNamespace}`
      );
    }
    return this.props.provider;
  }

  /** spec.cidrBlock. */
  public get cidrBlock(): string {
    return this.props.cidrBlock;
  }

  /** spec.excludeIps. */
  public get excludeIps(): string[] {
    return [...(this.props.excludeIps ?? [])];
  }

  /** spec.gateway, if set. */
  public get gateway(): string | undefined {
    return this.props.gateway;
  }

  /**
   * Put the VM's default (pod) network interface on this subnet, optionally with a fixed IP
   * and MAC: writes `ovn.kubernetes.io/logical_switch`, `ip_address` and `mac_address` on the
   * VMI template. Pair it with a bridge-bound pod interface so the guest owns the address.
   */
  public connectDefaultNetwork(vm: IKubeOvnConnectable, options: KubeOvnConnectionOptions = {}): void {
    this.annotate(vm, DEFAULT_NETWORK_PROVIDER, options);
    this.bindings.push({ vm, provider: DEFAULT_NETWORK_PROVIDER, ...options });
  }

  /**
   * Attach the VM to this subnet through a Multus NAD that Kube-OVN serves: adds the interface
   * and network, and writes `<provider>.kubernetes.io/logical_switch`, `ip_address` and
   * `mac_address` on the VMI template, where provider is the NAD's Kube-OVN provider.
   */
  public attachVm(
    vm: IKubeOvnConnectable,
    network: NetworkAttachmentDefinition,
    options: KubeOvnAttachmentOptions = {},
  ): void {
    const provider = network.kubeOvnProvider;
    if (provider === undefined) {
      throw new Error(
        `${vm.node.path}: cannot attach through ${network.node.path} to Kube-OVN subnet ${this.name}: that NetworkAttachmentDefinition does not use Kube-OVN; build it with CniPlugin.kubeOvn() or give its plugin ipam: Ipam.kubeOvn()`,
      );
    }
    vm.attachNetwork(options.interfaceName ?? network.name, network, {
      binding: options.binding,
      macAddress: options.macAddress,
    });
    this.annotate(vm, provider, options);
    this.bindings.push({
      vm,
      provider,
      network,
      ipAddress: options.ipAddress,
      macAddress: options.macAddress,
    });
  }

  private annotate(vm: IKubeOvnConnectable, provider: string, options: KubeOvnConnectionOptions): void {
    const annotations = kubeOvnAnnotations(provider, {
      logicalSwitch: this.name,
      ipAddress: options.ipAddress,
      macAddress: options.macAddress,
    });
    for (const [key, value] of Object.entries(annotations)) vm.addTemplateAnnotation(key, value);
  }

  protected renderBody(): { [key: string]: unknown } {
    const p = this.props;
    return {
      spec: compact({
        cidrBlock: p.cidrBlock,
        gateway: p.gateway,
        excludeIps: nonEmpty(p.excludeIps ?? []),
        protocol: p.protocol,
        namespaces: nonEmpty(p.namespaces ?? []),
        vpc: p.vpc?.name ?? p.vpcName,
        vlan: this.vlanName,
        provider: this.provider,
        natOutgoing: p.natOutgoing,
        private: p.isPrivate,
        allowSubnets: nonEmpty(p.allowSubnets ?? []),
        gatewayType: p.gatewayType,
        gatewayNode: p.gatewayNode,
        logicalGateway: p.logicalGateway,
        enableDHCP: p.enableDhcp,
        mtu: p.mtu,
      }),
    };
  }
}
