/**
 * CNI plugin configurations for NetworkAttachmentDefinitions: one factory per plugin the
 * library supports, each rendering the fields that plugin reads (names as the plugins
 * spell them). A plugin carries its IPAM block, if any.
 */
import { compact as defined } from '../../core/compact';
import {
  Ipam,
  KUBE_OVN_DAEMON_SOCKET,
  kubeOvnIpamProvider,
  kubeOvnPluginProvider,
  type CniRenderContext,
} from './ipam';

type Json = Record<string, unknown>;

/** How macvlan interfaces talk to each other and the parent. */
export enum MacvlanMode {
  /** Interfaces on one parent reach each other directly. */
  BRIDGE = 'bridge',
  /** Interfaces on one parent never reach each other. */
  PRIVATE = 'private',
  /** Traffic between interfaces goes out to the external switch and back. */
  VEPA = 'vepa',
  /** One interface takes over the parent. */
  PASSTHRU = 'passthru',
}

/** At which layer ipvlan switches. */
export enum IpvlanMode {
  /** Layer 2: the parent switches frames. */
  L2 = 'l2',
  /** Layer 3: the parent routes packets. */
  L3 = 'l3',
  /** Layer 3 with netfilter on the parent (conntrack, iptables). */
  L3S = 'l3s',
}

/** Settings of the bridge plugin: attachments joined to a Linux bridge on the node. */
export interface BridgePluginProps {
  /**
   * Name of the Linux bridge on the node; created when missing.
   * @default 'cni0'
   * @example 'br1'
   */
  readonly bridge?: string;
  /**
   * Give the bridge the gateway address of the IPAM range.
   * @default false
   * @example true
   */
  readonly isGateway?: boolean;
  /**
   * Masquerade traffic leaving the range through the node.
   * @default false
   * @example true
   */
  readonly ipMasq?: boolean;
  /**
   * Let a port send frames back out of the port they came in on.
   * @default false
   * @example true
   */
  readonly hairpinMode?: boolean;
  /**
   * VLAN tag set on the bridge port.
   * @default - untagged
   * @example 100
   */
  readonly vlan?: number;
  /**
   * MTU of the interfaces.
   * @default - the kernel default
   * @example 9000
   */
  readonly mtu?: number;
  /**
   * Drop frames whose source MAC is not the interface's own.
   * @default false
   * @example true
   */
  readonly macspoofchk?: boolean;
  /**
   * Who assigns addresses; KubeVirt bridge bindings usually leave addressing to the guest.
   * @default - no IPAM (layer 2 only)
   * @example Ipam.hostLocal({ ranges: [{ subnet: '192.168.10.0/24' }] })
   */
  readonly ipam?: Ipam;
}

/** Settings of the macvlan plugin: attachments as MAC-level children of a node interface. */
export interface MacvlanPluginProps {
  /**
   * Parent interface on the node.
   * @default - the interface of the node's default route
   * @example 'eth1'
   */
  readonly master?: string;
  /**
   * Switching mode.
   * @default MacvlanMode.BRIDGE
   * @example MacvlanMode.PRIVATE
   */
  readonly mode?: MacvlanMode;
  /**
   * MTU of the interfaces.
   * @default - the parent's MTU
   * @example 1500
   */
  readonly mtu?: number;
  /**
   * Who assigns addresses.
   * @default - no IPAM
   * @example Ipam.whereabouts({ range: '192.168.20.0/24' })
   */
  readonly ipam?: Ipam;
}

/** Settings of the ipvlan plugin: attachments sharing the MAC of a node interface. */
export interface IpvlanPluginProps {
  /**
   * Parent interface on the node.
   * @default - the interface of the node's default route
   * @example 'eth1'
   */
  readonly master?: string;
  /**
   * Switching layer.
   * @default IpvlanMode.L2
   * @example IpvlanMode.L3
   */
  readonly mode?: IpvlanMode;
  /**
   * MTU of the interfaces.
   * @default - the parent's MTU
   * @example 1500
   */
  readonly mtu?: number;
  /**
   * Who assigns addresses; ipvlan needs one since the MAC is shared.
   * @default - no IPAM
   * @example Ipam.staticAddresses({ addresses: [{ address: '10.0.0.5/24' }] })
   */
  readonly ipam?: Ipam;
}

/** Settings of the host-device plugin: move a whole node device into the attachment. Set exactly one selector. */
export interface HostDevicePluginProps {
  /**
   * Node interface name.
   * @default - select by another field
   * @example 'eth2'
   */
  readonly device?: string;
  /**
   * MAC address of the node interface.
   * @default - select by another field
   * @example '52:54:00:12:34:56'
   */
  readonly hwaddr?: string;
  /**
   * Kernel device path of the interface.
   * @default - select by another field
   * @example '/sys/devices/pci0000:00/0000:00:1f.6'
   */
  readonly kernelpath?: string;
  /**
   * PCI address of the device.
   * @default - select by another field
   * @example '0000:3b:00.1'
   */
  readonly pciBusID?: string;
  /**
   * Who assigns addresses.
   * @default - no IPAM
   * @example Ipam.staticAddresses({ addresses: [{ address: '10.0.0.5/24' }] })
   */
  readonly ipam?: Ipam;
}

/** Settings of the sriov plugin: an SR-IOV virtual function for the attachment. */
export interface SriovPluginProps {
  /**
   * Extended resource of the device plugin that hands out the VFs; written as the
   * `k8s.v1.cni.cncf.io/resourceName` annotation so pods request one.
   * @example 'intel.com/sriov_netdevice'
   */
  readonly resourceName: string;
  /**
   * VLAN tag of the VF.
   * @default 0 (untagged)
   * @example 100
   */
  readonly vlan?: number;
  /**
   * MAC spoof checking on the VF.
   * @default - the driver default
   * @example 'on'
   */
  readonly spoofchk?: string;
  /**
   * Trust mode of the VF (lets the guest change its MAC or use promiscuous mode).
   * @default - the driver default
   * @example 'on'
   */
  readonly trust?: string;
  /**
   * Who assigns addresses; KubeVirt guests usually configure the VF themselves.
   * @default - no IPAM
   * @example Ipam.hostLocal({ ranges: [{ subnet: '10.56.217.0/24' }] })
   */
  readonly ipam?: Ipam;
}

/** Settings of the kube-ovn plugin: an attachment on a Kube-OVN logical switch. */
export interface KubeOvnPluginProps {
  /**
   * Socket of the kube-ovn daemon on the node.
   * @default '/run/openvswitch/kube-ovn-daemon.sock'
   * @example '/run/openvswitch/kube-ovn-daemon.sock'
   */
  readonly serverSocket?: string;
}

/** A CNI plugin configuration; build one with the static factories. */
export class CniPlugin {
  /** The containernetworking `bridge` plugin. */
  public static bridge(props: BridgePluginProps = {}): CniPlugin {
    return new CniPlugin('bridge', props.ipam, {}, () => ({
      bridge: props.bridge ?? 'cni0',
      isGateway: props.isGateway,
      ipMasq: props.ipMasq,
      hairpinMode: props.hairpinMode,
      vlan: props.vlan,
      mtu: props.mtu,
      macspoofchk: props.macspoofchk,
    }));
  }

  /** The containernetworking `macvlan` plugin. */
  public static macvlan(props: MacvlanPluginProps = {}): CniPlugin {
    return new CniPlugin('macvlan', props.ipam, {}, () => ({
      master: props.master,
      mode: props.mode ?? MacvlanMode.BRIDGE,
      mtu: props.mtu,
    }));
  }

  /** The containernetworking `ipvlan` plugin. */
  public static ipvlan(props: IpvlanPluginProps = {}): CniPlugin {
    return new CniPlugin('ipvlan', props.ipam, {}, () => ({
      master: props.master,
      mode: props.mode ?? IpvlanMode.L2,
      mtu: props.mtu,
    }));
  }

  /** The containernetworking `host-device` plugin. */
  public static hostDevice(props: HostDevicePluginProps): CniPlugin {
    const selectors = [props.device, props.hwaddr, props.kernelpath, props.pciBusID].filter(
      (s) => s !== undefined,
    );
    if (selectors.length !== 1) {
      throw new Error(
        `CniPlugin.hostDevice needs exactly one of device, hwaddr, kernelpath and pciBusID, got ${selectors.length}; for example CniPlugin.hostDevice({ device: 'eth2' })`,
      );
    }
    return new CniPlugin('host-device', props.ipam, {}, () => ({
      device: props.device,
      hwaddr: props.hwaddr,
      kernelpath: props.kernelpath,
      pciBusID: props.pciBusID,
    }));
  }

  /** The SR-IOV CNI `sriov` plugin; the NAD also gets the device plugin resource annotation. */
  public static sriov(props: SriovPluginProps): CniPlugin {
    return new CniPlugin(
      'sriov',
      props.ipam,
      { 'k8s.v1.cni.cncf.io/resourceName': props.resourceName },
      () => ({ vlan: props.vlan ?? 0, spoofchk: props.spoofchk, trust: props.trust }),
    );
  }

  /** The Kube-OVN plugin: the attachment joins the Subnet whose provider is `<nad>.<namespace>.ovn`. */
  public static kubeOvn(props: KubeOvnPluginProps = {}): CniPlugin {
    return new CniPlugin('kube-ovn', undefined, {}, (ctx) => ({
      server_socket: props.serverSocket ?? KUBE_OVN_DAEMON_SOCKET,
      provider: kubeOvnPluginProvider(ctx),
    }));
  }

  /**
   * Any other plugin, for example `tuning` in a chain; `fields` are written as given next to `type`.
   * @example CniPlugin.custom('tuning', { sysctl: { 'net.ipv4.conf.all.log_martians': '1' } })
   */
  public static custom(type: string, fields: { [key: string]: unknown } = {}, ipam?: Ipam): CniPlugin {
    return new CniPlugin(type, ipam, {}, () => ({ ...fields }));
  }

  private constructor(
    /** The plugin binary, for example `bridge`. */
    public readonly type: string,
    /** The IPAM block, if the plugin has one. */
    public readonly ipam: Ipam | undefined,
    /** Annotations the NetworkAttachmentDefinition must carry for this plugin. */
    public readonly nadAnnotations: { [key: string]: string },
    private readonly fields: (ctx: CniRenderContext) => Json,
  ) {}

  /**
   * The Kube-OVN provider string of a NAD with this plugin, or undefined when Kube-OVN
   * does not manage its addresses: `<name>.<namespace>.ovn` for the kube-ovn plugin,
   * `<name>.<namespace>` for another plugin with kube-ovn IPAM.
   */
  public kubeOvnProvider(ctx: CniRenderContext): string | undefined {
    if (this.type === 'kube-ovn') return kubeOvnPluginProvider(ctx);
    if (this.ipam?.usesKubeOvn) return kubeOvnIpamProvider(ctx);
    return undefined;
  }

  /** The plugin object of the CNI configuration (without cniVersion and name). */
  public render(ctx: CniRenderContext): Json {
    return defined({ type: this.type, ...this.fields(ctx), ipam: this.ipam?.render(ctx) });
  }
}
