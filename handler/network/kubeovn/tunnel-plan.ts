/**
 * The tunnels that join one Subnet's bridges across nodes (pure). Kube-OVN joins the nodes of a
 * Subnet's logical switch with tunnels (Geneve by default, VXLAN as `TUNNEL_TYPE=vxlan`); virtkit's
 * Linux-bridge data plane does the same with one VXLAN device per Subnet bridge, `vkot<8 hex>`
 * (the bridge's `vko<8 hex>` with a `t`), enslaved to the bridge:
 *
 * - every node of the cluster carries the Subnet on the same VNI (`subnetVni`: from the Subnet's
 *   name, 4096 and up so it never meets a VLAN underlay's VNI, which is the VLAN id);
 * - a node's tunnel endpoint is its address and UDP port, published on its Node object in the
 *   annotation `virtkit.io/kube-ovn-tunnel` (`<IPv4>:<port>`);
 * - the device does not learn: it has one all-zeros forwarding entry per peer endpoint, so a frame
 *   for a MAC that is not on this node goes to every other node (head-end replication). The
 *   bridges learn which port a MAC is behind; a guest that migrates announces itself from its
 *   new node (QEMU's self-announce), which moves it in every bridge's table.
 *
 * Local mode's nodes share the host's network namespace and address, so each handler has its
 * own port (a VXLAN device listens on its port; two devices with one VNI need two ports).
 */
import { createHash } from 'crypto';
import { isIPv4 } from 'net';
import { tcpPortOf } from '../../../common/tcp-port';
import { KUBE_OVN_BRIDGE_PREFIX } from './names';

/** Node annotation: the node's Kube-OVN tunnel endpoint, `<IPv4>:<UDP port>`. */
export const KUBE_OVN_TUNNEL_ANNOTATION = 'virtkit.io/kube-ovn-tunnel';
/** The tunnel port of a handler not told otherwise: VXLAN's IANA port, which Kube-OVN's VXLAN mode uses. */
export const DEFAULT_KUBE_OVN_TUNNEL_PORT = 4789;
export const KUBE_OVN_TUNNEL_PREFIX = 'vkot';
/** Overlay VNIs start above every VLAN id (an underlay's VXLAN stand-in uses the VLAN id). */
export const FIRST_OVERLAY_VNI = 4096;
const MAX_VNI = 2 ** 24 - 1;
/** The forwarding entry that floods (broadcast, multicast, unknown unicast) to one peer. */
export const FLOOD_MAC = '00:00:00:00:00:00';

const BRIDGE_NAME = new RegExp(`^${KUBE_OVN_BRIDGE_PREFIX}([0-9a-f]{8})$`);
const TUNNEL_NAME = new RegExp(`^${KUBE_OVN_TUNNEL_PREFIX}[0-9a-f]{8}$`);

export interface TunnelEndpoint {
  readonly ip: string;
  readonly port: number;
}

/** The tunnel device of an overlay Subnet bridge (`vko<h>` -> `vkot<h>`); throws for any other name. */
export function kubeOvnTunnelName(bridge: string): string {
  const m = BRIDGE_NAME.exec(bridge);
  if (!m)
    throw new Error(`${bridge} is not a Kube-OVN Subnet bridge name (${KUBE_OVN_BRIDGE_PREFIX}<8 hex>)`);
  return `${KUBE_OVN_TUNNEL_PREFIX}${m[1]}`;
}

/** Whether `name` has the shape of a tunnel device virtkit makes. */
export function isKubeOvnTunnelName(name: string): boolean {
  return TUNNEL_NAME.test(name);
}

/** The VNI that carries Subnet `subnet` between nodes: the same on every node. */
export function subnetVni(subnet: string): number {
  const h = createHash('sha256').update(`virtkit-kube-ovn-tunnel:${subnet}`).digest().readUInt32BE(0);
  return FIRST_OVERLAY_VNI + (h % (MAX_VNI - FIRST_OVERLAY_VNI + 1));
}

export function formatTunnelEndpoint(e: TunnelEndpoint): string {
  return `${e.ip}:${e.port}`;
}

/** An annotation value as an endpoint; undefined unless it is `<IPv4>:<port 1-65535>`. */
export function parseTunnelEndpoint(value: string | undefined): TunnelEndpoint | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value ?? '');
  if (!m || !isIPv4(m[1])) return undefined;
  const port = tcpPortOf(m[2]);
  return port !== undefined ? { ip: m[1], port } : undefined;
}

/** A port given on the command line: 1-65535, or 0 for one the handler picks and keeps. */
export function tunnelPortOption(value: string): number {
  // UDP ports are written and bounded as TCP ports are: one rule for every layer.
  const port = tcpPortOf(value, 0);
  if (port === undefined)
    throw new Error(
      `--kube-ovn-tunnel-port: ${JSON.stringify(value)} is not a UDP port; give 1-65535, or 0 to let the handler pick one`,
    );
  return port;
}

export interface NodeAnnotations {
  readonly metadata?: { readonly name?: string; readonly annotations?: Readonly<Record<string, string>> };
}

const sameEndpoint = (a: TunnelEndpoint, b: TunnelEndpoint): boolean => a.ip === b.ip && a.port === b.port;
const byEndpoint = (a: TunnelEndpoint, b: TunnelEndpoint): number =>
  a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1;

/**
 * The endpoints of every other node: the Nodes' annotations, without this node's own name or
 * endpoint, without values that are not endpoints, each once, in a stable order.
 */
export function tunnelPeers(
  nodes: readonly NodeAnnotations[],
  self: { readonly nodeName: string; readonly endpoint: TunnelEndpoint },
): TunnelEndpoint[] {
  const out: TunnelEndpoint[] = [];
  for (const n of nodes) {
    if (n.metadata?.name === self.nodeName) continue;
    const e = parseTunnelEndpoint(n.metadata?.annotations?.[KUBE_OVN_TUNNEL_ANNOTATION]);
    if (!e || sameEndpoint(e, self.endpoint) || out.some((o) => sameEndpoint(o, e))) continue;
    out.push(e);
  }
  return out.sort(byEndpoint);
}

/** A tunnel device as `ip -d -j link show` and `bridge -j fdb show` describe it. */
export interface TunnelDeviceState {
  readonly vni?: number;
  readonly local?: string;
  readonly port?: number;
  readonly learning?: boolean;
  readonly master?: string;
  readonly mtu?: number;
  readonly up: boolean;
  /** Its all-zeros (flooding) forwarding entries. */
  readonly floodTo: readonly TunnelEndpoint[];
}

export interface TunnelDesired {
  /** The Subnet bridge (`vko<h>`) the tunnel joins. */
  readonly bridge: string;
  readonly subnet: string;
  /** This node's endpoint: the device's local address and port. */
  readonly local: TunnelEndpoint;
  /** The bridge's MTU: the tunnel port must not lower it. */
  readonly mtu: number;
  readonly peers: readonly TunnelEndpoint[];
}

/** One command of a plan: which iproute2 program, and its arguments. */
export interface TunnelCommand {
  readonly program: 'ip' | 'bridge';
  readonly args: readonly string[];
}

const ip = (...args: (string | number)[]): TunnelCommand => ({ program: 'ip', args: args.map(String) });
const bridge = (...args: (string | number)[]): TunnelCommand => ({
  program: 'bridge',
  args: args.map(String),
});

function flood(op: 'append' | 'del', dev: string, e: TunnelEndpoint): TunnelCommand {
  return bridge('fdb', op, FLOOD_MAC, 'dev', dev, 'dst', e.ip, 'port', e.port);
}

/**
 * The commands that bring the tunnel of `d.bridge` from `actual` (undefined: no such device) to
 * what `d` says. A device with another VNI, address, port or with learning on is made again;
 * otherwise only what differs is changed. No commands: it is as it should be.
 */
export function tunnelCommands(d: TunnelDesired, actual: TunnelDeviceState | undefined): TunnelCommand[] {
  const dev = kubeOvnTunnelName(d.bridge);
  const vni = subnetVni(d.subnet);
  const out: TunnelCommand[] = [];
  let have = actual;
  if (
    have &&
    (have.vni !== vni || have.local !== d.local.ip || have.port !== d.local.port || have.learning !== false)
  ) {
    out.push(ip('link', 'delete', dev));
    have = undefined;
  }
  if (!have) {
    out.push(
      ip(
        'link',
        'add',
        dev,
        'type',
        'vxlan',
        'id',
        vni,
        'local',
        d.local.ip,
        'dstport',
        d.local.port,
        'nolearning',
      ),
    );
  }
  if (have?.mtu !== d.mtu) out.push(ip('link', 'set', dev, 'mtu', d.mtu));
  if (have?.master !== d.bridge) out.push(ip('link', 'set', dev, 'master', d.bridge));
  if (!have?.up) out.push(ip('link', 'set', dev, 'up'));
  const current = have?.floodTo ?? [];
  for (const e of current) if (!d.peers.some((p) => sameEndpoint(p, e))) out.push(flood('del', dev, e));
  for (const p of d.peers) if (!current.some((e) => sameEndpoint(p, e))) out.push(flood('append', dev, p));
  return out;
}

interface LinkJson {
  readonly mtu?: number;
  readonly master?: string;
  readonly flags?: readonly string[];
  readonly linkinfo?: {
    readonly info_kind?: string;
    readonly info_data?: {
      readonly id?: number;
      readonly local?: string;
      readonly port?: number;
      readonly learning?: boolean;
    };
  };
}

interface FdbJson {
  readonly mac?: string;
  readonly dst?: string;
  readonly port?: number;
}

/**
 * A device's state from `ip -d -j link show dev D` and `bridge -j fdb show dev D` output.
 * undefined when the link is not a VXLAN device (so it is made again).
 */
export function parseTunnelState(linkJson: string, fdbJson: string): TunnelDeviceState | undefined {
  const links = JSON.parse(linkJson) as LinkJson[];
  const link = links[0];
  const data = link?.linkinfo?.info_data;
  if (!link || link.linkinfo?.info_kind !== 'vxlan' || !data) return undefined;
  const entries = (JSON.parse(fdbJson || '[]') as FdbJson[]).filter((e) => e.mac === FLOOD_MAC && e.dst);
  return {
    ...(data.id !== undefined ? { vni: data.id } : {}),
    ...(data.local !== undefined ? { local: data.local } : {}),
    ...(data.port !== undefined ? { port: data.port } : {}),
    ...(data.learning !== undefined ? { learning: data.learning } : {}),
    ...(link.master !== undefined ? { master: link.master } : {}),
    ...(link.mtu !== undefined ? { mtu: link.mtu } : {}),
    up: (link.flags ?? []).includes('UP'),
    // An entry to the device's own port is listed without one.
    floodTo: entries.map((e) => ({ ip: e.dst ?? '', port: e.port ?? data.port ?? 0 })),
  };
}
