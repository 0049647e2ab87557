/**
 * IPAM blocks of a CNI configuration: who gives the attachment its address. Each factory
 * renders the JSON its IPAM plugin reads; kube-ovn IPAM also needs the name and namespace
 * of the NetworkAttachmentDefinition, so rendering takes them as context.
 */
import { compact as defined } from '../../core/compact';

/** Where a rendered CNI block will live: the NetworkAttachmentDefinition's identity. */
export interface CniRenderContext {
  /** Name of the NetworkAttachmentDefinition. */
  readonly name: string;
  /** Namespace of the NetworkAttachmentDefinition. */
  readonly namespace: string;
}

/** A route an IPAM plugin installs in the attachment. */
export interface CniRoute {
  /**
   * Destination CIDR.
   * @example '0.0.0.0/0'
   */
  readonly dst: string;
  /**
   * Next hop; the IPAM gateway when left out.
   * @default - the gateway of the range
   * @example '192.168.10.1'
   */
  readonly gw?: string;
}

/** One address range of host-local IPAM. */
export interface HostLocalRange {
  /**
   * CIDR to allocate from.
   * @example '192.168.10.0/24'
   */
  readonly subnet: string;
  /**
   * First address handed out.
   * @default - the second address of the subnet
   * @example '192.168.10.100'
   */
  readonly rangeStart?: string;
  /**
   * Last address handed out.
   * @default - the last host address of the subnet
   * @example '192.168.10.200'
   */
  readonly rangeEnd?: string;
  /**
   * Gateway of the range.
   * @default - the first address of the subnet
   * @example '192.168.10.1'
   */
  readonly gateway?: string;
}

/** Settings of host-local IPAM: addresses allocated by each node from local files. */
export interface HostLocalIpamProps {
  /**
   * Address ranges; several ranges give the attachment one address from each.
   * @example [{ subnet: '192.168.10.0/24' }]
   */
  readonly ranges: HostLocalRange[];
  /**
   * Routes to install.
   * @default - none
   * @example [{ dst: '0.0.0.0/0' }]
   */
  readonly routes?: CniRoute[];
  /**
   * Directory where allocations are kept on the node.
   * @default - /var/lib/cni/networks
   * @example '/run/cni/ipam'
   */
  readonly dataDir?: string;
}

/** One fixed address of static IPAM. */
export interface StaticAddress {
  /**
   * Address with its prefix length.
   * @example '10.10.0.5/24'
   */
  readonly address: string;
  /**
   * Gateway for this address.
   * @default - none
   * @example '10.10.0.1'
   */
  readonly gateway?: string;
}

/** Settings of static IPAM: the same fixed addresses for every attachment. */
export interface StaticIpamProps {
  /**
   * The addresses to assign.
   * @example [{ address: '10.10.0.5/24', gateway: '10.10.0.1' }]
   */
  readonly addresses: StaticAddress[];
  /**
   * Routes to install.
   * @default - none
   * @example [{ dst: '0.0.0.0/0', gw: '10.10.0.1' }]
   */
  readonly routes?: CniRoute[];
}

/** Settings of whereabouts IPAM: cluster-wide allocation kept in Kubernetes objects. */
export interface WhereaboutsIpamProps {
  /**
   * CIDR to allocate from.
   * @example '192.168.20.0/24'
   */
  readonly range: string;
  /**
   * First address handed out.
   * @default - the first host address of range
   * @example '192.168.20.10'
   */
  readonly rangeStart?: string;
  /**
   * Last address handed out.
   * @default - the last host address of range
   * @example '192.168.20.200'
   */
  readonly rangeEnd?: string;
  /**
   * CIDRs or addresses never handed out.
   * @default - none
   * @example ['192.168.20.1/32']
   */
  readonly exclude?: string[];
  /**
   * Gateway reported to the attachment.
   * @default - none
   * @example '192.168.20.1'
   */
  readonly gateway?: string;
  /**
   * Routes to install.
   * @default - none
   * @example [{ dst: '10.0.0.0/8' }]
   */
  readonly routes?: CniRoute[];
}

/** Settings of kube-ovn IPAM: addresses from the Kube-OVN Subnet whose provider is `<nad>.<namespace>`. */
export interface KubeOvnIpamProps {
  /**
   * Socket of the kube-ovn daemon on the node.
   * @default '/run/openvswitch/kube-ovn-daemon.sock'
   * @example '/run/openvswitch/kube-ovn-daemon.sock'
   */
  readonly serverSocket?: string;
}

/** The socket kube-ovn-cni listens on by default. */
export const KUBE_OVN_DAEMON_SOCKET = '/run/openvswitch/kube-ovn-daemon.sock';

type Json = Record<string, unknown>;

function routes(list: readonly CniRoute[] | undefined): Json[] | undefined {
  return list?.length ? list.map((r) => defined({ dst: r.dst, gw: r.gw })) : undefined;
}

/** An IPAM configuration; build one with the static factories. */
export class Ipam {
  /** Per-node allocation from files (the containernetworking `host-local` plugin). */
  public static hostLocal(props: HostLocalIpamProps): Ipam {
    return new Ipam('host-local', false, () =>
      defined({
        type: 'host-local',
        ranges: props.ranges.map((r) => [
          defined({ subnet: r.subnet, rangeStart: r.rangeStart, rangeEnd: r.rangeEnd, gateway: r.gateway }),
        ]),
        routes: routes(props.routes),
        dataDir: props.dataDir,
      }),
    );
  }

  /** Fixed addresses (the containernetworking `static` plugin). */
  public static staticAddresses(props: StaticIpamProps): Ipam {
    return new Ipam('static', false, () =>
      defined({
        type: 'static',
        addresses: props.addresses.map((a) => defined({ address: a.address, gateway: a.gateway })),
        routes: routes(props.routes),
      }),
    );
  }

  /** Cluster-wide allocation (the `whereabouts` plugin). */
  public static whereabouts(props: WhereaboutsIpamProps): Ipam {
    return new Ipam('whereabouts', false, () =>
      defined({
        type: 'whereabouts',
        range: props.range,
        range_start: props.rangeStart,
        range_end: props.rangeEnd,
        exclude: props.exclude?.length ? [...props.exclude] : undefined,
        gateway: props.gateway,
        routes: routes(props.routes),
      }),
    );
  }

  /** Addresses from a Kube-OVN Subnet whose spec.provider is `<nad-name>.<nad-namespace>`. */
  public static kubeOvn(props: KubeOvnIpamProps = {}): Ipam {
    return new Ipam('kube-ovn', true, (ctx) => ({
      type: 'kube-ovn',
      server_socket: props.serverSocket ?? KUBE_OVN_DAEMON_SOCKET,
      provider: kubeOvnIpamProvider(ctx),
    }));
  }

  private constructor(
    /** The IPAM plugin binary, for example `host-local`. */
    public readonly type: string,
    /** True when Kube-OVN allocates the addresses (a Subnet must carry the provider). */
    public readonly usesKubeOvn: boolean,
    private readonly renderer: (ctx: CniRenderContext) => Json,
  ) {}

  /** The `ipam` object of the CNI configuration. */
  public render(ctx: CniRenderContext): Json {
    return this.renderer(ctx);
  }
}

/** Provider string of a NAD that uses kube-ovn IPAM under another plugin: `<name>.<namespace>`. */
export function kubeOvnIpamProvider(ctx: CniRenderContext): string {
  return `${ctx.name}.${ctx.namespace}`;
}

/** Provider string of a NAD whose plugin is kube-ovn itself: `<name>.<namespace>.ovn`. */
export function kubeOvnPluginProvider(ctx: CniRenderContext): string {
  return `${ctx.name}.${ctx.namespace}.ovn`;
}
