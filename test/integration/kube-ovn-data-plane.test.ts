/**
 * The handler's Kube-OVN data plane with the real CNI plugins from Debian (bridge, static,
 * tuning) in real network namespaces: pods carrying Kube-OVN's allocation annotations get
 * exactly the annotated address and MAC on their Subnet's `vko<hash>` bridge, the host reaches
 * them through the gateway on the bridge, pods of one Subnet reach each other; a kube-ovn
 * NetworkAttachmentDefinition (read through the shared real API server) becomes net1 without a
 * default route; with the switch off it fails as a missing plugin. A missing allocation, an
 * address outside the CIDR, VLAN 0 and an unusable ProviderNetwork are typed errors that leave
 * nothing behind; tear-down and the node's release remove veths, namespaces, tuning's backups and
 * the bridges. Two handlers' bridges of one Subnet are joined by their VXLAN tunnels: a pod
 * moved from one node to the other with its address and MAC (a migration's hand-over) is
 * reached there. VLAN underlays run against a fake physical network: a veth whose host end is the
 * ProviderNetwork's NIC and whose other end is in a namespace playing the switch and router
 * (the VLANs' segments, VXLAN where the kernel has no 802.1Q, and their gateways): a pod reaches
 * its physical gateway only through its VLAN's uplink, VLANs are isolated, and the release
 * removes the VLAN bridges and uplinks. (Needs root, as the handler does.)
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listCacheRecords } from '../../handler/network/cni/cache';
import { parseCidr, type Cidr } from '../../handler/network/cni/cidr';
import { ensureDefaultNetworkConfig } from '../../handler/network/cni/default-config-writer';
import { PodNetworkError } from '../../handler/network/cni/errors';
import { cidrClashes, hostNetworks } from '../../handler/network/cni/host-networks';
import { nodeNetworkLeftovers, releaseNodeNetwork } from '../../handler/network/cni/node-network';
import { PodNetwork, type PodNetworkStatus } from '../../handler/network/cni/pod-network';
import type { PodIdentity } from '../../handler/network/cni/types';
import {
  AddressNotAllocatedError,
  KubeOvnAllocationError,
  ProviderNetworkUnavailableError,
  UnsupportedUnderlayError,
} from '../../handler/network/kubeovn/errors';
import {
  kubeOvnBridgeName,
  kubeOvnUplinkName,
  kubeOvnVlanBridgeName,
} from '../../handler/network/kubeovn/names';
import { vxlanGroup } from '../../handler/network/kubeovn/underlay';
import { kernelHasDot1q } from '../../handler/network/kubeovn/uplinks';
import type { Logger } from '../../common/log';
import { kubeOvnPaths } from '../../handler/network/kubeovn/paths';
import { recordedKubeOvnBridges, releaseKubeOvnDataPlane } from '../../handler/network/kubeovn/bridges';
import { podNetworksOf, type PodNetworksJson } from '../../handler/network/kubeovn/resolve';
import { kubeOvnTunnelName, subnetVni } from '../../handler/network/kubeovn/tunnel-plan';
import { kubeOvnTunnelPort, syncKubeOvnTunnels } from '../../handler/network/kubeovn/tunnels';
import { networkStatusEntries } from '../../handler/network/multus/network-status';
import type { PodJson } from '../../handler/pods/pod-types';
import { MULTUS_NETWORKS_ANNOTATION } from '../../api/multus/pod-interfaces';
import {
  KUBE_OVN_PROVIDER_NETWORKS,
  NETWORK_ATTACHMENT_DEFINITIONS,
  PODS,
  type KubeClient,
} from '../../kube';
import { createNamespace, deleteNamespace, sharedClient } from './support/api';
import { eventually } from './support/eventually';
import { addressesOn, natRulesFor, ping, sh, vethsOn } from './support/host-net';

const RUN = `${process.pid % 100000}`;
const PLUGIN_DIR = '/usr/lib/cni';

let root: string;
const stateDirs: string[] = [];
const networks: PodNetwork[] = [];
const extraBridges: string[] = [];
const namespacesToDelete: string[] = [];
const providerNetworksToDelete: string[] = [];
/** Host ends of fake physical networks (deleting one deletes its pair) and their namespaces. */
const physLinks: string[] = [];
const physNamespaces: string[] = [];

/** A free 10.<second>.<random>.0/24 (never 10.244.0.0/16, where other suites' handlers take ranges). */
async function freeRange(taken: string[] = [], second = 250): Promise<string> {
  const host = await hostNetworks();
  for (let i = 0; i < 200; i++) {
    const text = `10.${second}.${Math.floor(Math.random() * 256)}.0/24`;
    if (!taken.includes(text) && cidrClashes(parseCidr(text) as Cidr, host, '').length === 0) return text;
  }
  throw new Error(`no free /24 in 10.${second}.0.0/16`);
}

const at = (cidr: string, host: number): string => cidr.replace(/\.0\/24$/, `.${host}`);

/** A handler's pod network with its own state dir (and the node's default network written). */
async function handler(label: string): Promise<{ net: PodNetwork; stateDir: string; defaultBridge: string }> {
  const stateDir = path.join(root, label);
  stateDirs.push(stateDir);
  const net = new PodNetwork({ stateDir, pluginDirs: [PLUGIN_DIR] });
  networks.push(net);
  const defaultBridge = `vkit${label.slice(0, 4)}${RUN}`.slice(0, 15);
  extraBridges.push(defaultBridge);
  await ensureDefaultNetworkConfig({
    confDir: net.confDir,
    ipamDataDir: net.paths.ipamDataDir,
    name: `it-kovn-default-${RUN}`,
    bridge: defaultBridge,
    podCidr: await freeRange(),
  });
  return { net, stateDir, defaultBridge };
}

/** Kube-OVN's allocation annotations of one provider. */
function allocation(
  provider: string,
  o: { subnet: string; cidr: string; ip: string; mac: string; extra?: Record<string, string> },
): Record<string, string> {
  const k = (key: string): string => `${provider}.kubernetes.io/${key}`;
  const out: Record<string, string> = {
    [k('allocated')]: 'true',
    [k('ip_address')]: o.ip,
    [k('mac_address')]: o.mac,
    [k('cidr')]: o.cidr,
    [k('gateway')]: at(o.cidr, 1),
    [k('logical_switch')]: o.subnet,
  };
  for (const [key, v] of Object.entries(o.extra ?? {})) out[k(key)] = v;
  return out;
}

function podJson(name: string, annotations: Record<string, string>): PodNetworksJson & { id: PodIdentity } {
  const id = { namespace: 'it-kube-ovn', name: `${name}-${RUN}`, uid: randomUUID() };
  return { id, metadata: { namespace: id.namespace, name: id.name, annotations } };
}

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

function macOf(ns: string, dev: string): string {
  return (JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev])) as { address: string }[])[0]
    .address;
}

function defaultRoutes(ns: string): { gateway?: string; dev: string }[] {
  return JSON.parse(sh('ip', ['-n', ns, '-j', '-4', 'route', 'show', 'default'])) as {
    gateway?: string;
    dev: string;
  }[];
}

function tuningBackups(stateDir: string): string[] {
  const dir = kubeOvnPaths(stateDir).tuningDataDir;
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** Nothing of pod `p` is left on the machine or in the handler's state. */
function expectPodGone(net: PodNetwork, stateDir: string, p: PodIdentity): void {
  expect(net.namespaces()).not.toContain(net.netnsName(p.uid));
  expect(fs.existsSync(`/run/netns/${net.netnsName(p.uid)}`)).toBe(false);
  expect(net.status(p)).toBeUndefined();
  expect(listCacheRecords(net.paths.cacheDir).records.filter((r) => r.record.pod.uid === p.uid)).toEqual([]);
  expect(natRulesFor(p.uid)).toEqual([]);
  expect(tuningBackups(stateDir).filter((f) => f.includes(p.uid))).toEqual([]);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

let client: KubeClient;

/** A ProviderNetwork in the shared API server (retried: its CRD may be new to the server). */
async function createProviderNetwork(name: string, spec: object): Promise<void> {
  providerNetworksToDelete.push(name);
  await eventually(`ProviderNetwork ${name} to be created`, () =>
    client.create(KUBE_OVN_PROVIDER_NETWORKS, undefined, {
      apiVersion: 'kubeovn.io/v1',
      kind: 'ProviderNetwork',
      metadata: { name },
      spec,
    }),
  );
}

beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error(
      'the Kube-OVN data plane suite needs root (network namespaces, bridges), as the handler does',
    );
  for (const plugin of ['bridge', 'static', 'tuning'])
    if (!fs.existsSync(path.join(PLUGIN_DIR, plugin)))
      throw new Error(
        `${PLUGIN_DIR}/${plugin} is missing: run scripts/setup/launcher.sh (containernetworking-plugins)`,
      );
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kube-ovn-it-'));
  client = await sharedClient();
});

afterAll(async () => {
  for (const ns of namespacesToDelete) await deleteNamespace(client, ns).catch(() => undefined);
  for (const pn of providerNetworksToDelete)
    await client.delete(KUBE_OVN_PROVIDER_NETWORKS, undefined, pn).catch(() => undefined);
  for (const l of physLinks) if (linkExists(l)) sh('ip', ['link', 'delete', l]);
  for (const ns of physNamespaces) if (fs.existsSync(`/run/netns/${ns}`)) sh('ip', ['netns', 'delete', ns]);
  for (const net of networks) {
    await net.gc([]).catch(() => undefined);
    for (const ns of net.namespaces()) sh('ip', ['netns', 'delete', ns]);
  }
  for (const stateDir of stateDirs) await releaseKubeOvnDataPlane(stateDir);
  for (const b of extraBridges) if (linkExists(b)) sh('ip', ['link', 'delete', b]);
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('Kube-OVN data plane with the real CNI plugins', () => {
  it('two pods of one subnet: exactly the annotated IP and MAC, host and pods reach each other, tear-down and release leave nothing', async () => {
    const { net, stateDir } = await handler('pair');
    const cidr = await freeRange();
    const subnet = `it-ovn-${RUN}`;
    const bridge = kubeOvnBridgeName(net.tag, subnet);
    const a = podJson('a', {
      ...allocation('ovn', {
        subnet,
        cidr,
        ip: at(cidr, 5),
        mac: '00:00:00:1a:2b:3c',
        extra: { nat_outgoing: 'true', mtu: '1400' },
      }),
    });
    const b = podJson('b', {
      ...allocation('ovn', {
        subnet,
        cidr,
        ip: at(cidr, 6),
        mac: '00:00:00:1a:2b:3d',
        extra: { nat_outgoing: 'true', mtu: '1400' },
      }),
    });
    const o = { kubeOvn: true, stateDir, handlerTag: net.tag };
    const [oa, ob] = await Promise.all([podNetworksOf(client, a, o), podNetworksOf(client, b, o)]);
    expect(recordedKubeOvnBridges(stateDir)).toEqual([bridge]);
    const [sa, sb] = await Promise.all([net.setUp(a.id, oa), net.setUp(b.id, ob)]);

    for (const [p, s, host, mac] of [
      [a, sa, 5, '00:00:00:1a:2b:3c'],
      [b, sb, 6, '00:00:00:1a:2b:3d'],
    ] as [typeof a, PodNetworkStatus, number, string][]) {
      expect(s.podIPs).toEqual([at(cidr, host)]);
      expect(addressesOn(s.netns, 'eth0')).toEqual([`${at(cidr, host)}/24`]);
      expect(macOf(s.netns, 'eth0')).toBe(mac);
      // tuning reported the MAC it set, so network-status carries the allocated one.
      expect(networkStatusEntries(s)).toEqual([
        { name: 'kube-ovn', interface: 'eth0', ips: [at(cidr, host)], mac, default: true, dns: {} },
      ]);
      expect(defaultRoutes(s.netns)).toEqual([
        expect.objectContaining({ gateway: at(cidr, 1), dev: 'eth0' }),
      ]);
      expect(natRulesFor(p.id.uid).length).toBeGreaterThan(0);
      expect(
        (JSON.parse(sh('ip', ['-n', s.netns, '-j', 'link', 'show', 'dev', 'eth0'])) as { mtu: number }[])[0]
          .mtu,
      ).toBe(1400);
    }
    // The gateway is on the subnet's bridge in the host namespace.
    expect(addressesOn(undefined, bridge)).toEqual([`${at(cidr, 1)}/24`]);
    expect(vethsOn(bridge)).toHaveLength(2);
    expect(ping(at(cidr, 5))).toBe(true);
    expect(ping(at(cidr, 6))).toBe(true);
    expect(ping(at(cidr, 6), sa.netns)).toBe(true);
    expect(ping(at(cidr, 5), sb.netns)).toBe(true);
    expect(ping(at(cidr, 1), sa.netns)).toBe(true);
    expect(tuningBackups(stateDir)).toHaveLength(2);

    await net.tearDown(a.id);
    expectPodGone(net, stateDir, a.id);
    expect(vethsOn(bridge)).toHaveLength(1);
    expect(ping(at(cidr, 6))).toBe(true);
    await net.tearDown(b.id);
    expectPodGone(net, stateDir, b.id);
    expect(vethsOn(bridge)).toEqual([]);

    // The bridge of a subnet whose last pod went stays until the node's network is released.
    expect(nodeNetworkLeftovers(stateDir).kubeOvnBridges).toEqual([bridge]);
    const released = await releaseNodeNetwork({ stateDir, claimsDir: path.join(root, 'claims') });
    expect(released.errors).toEqual([]);
    expect(released.kubeOvnBridgesRemoved).toEqual([bridge]);
    expect(linkExists(bridge)).toBe(false);
    expect(nodeNetworkLeftovers(stateDir)).toMatchObject({ namespaces: [], records: [], kubeOvnBridges: [] });
    expect(recordedKubeOvnBridges(stateDir)).toEqual([]);
    expect(fs.existsSync(kubeOvnPaths(stateDir).tuningDataDir)).toBe(false);
  });

  it('two nodes of one subnet: tunnels join their bridges, a pod moved to the other node keeps its address and is reached there, release removes the tunnels', async () => {
    const [n1, n2] = [await handler('tun1'), await handler('tun2')];
    const cidr = await freeRange();
    const subnet = `it-tunnel-${RUN}`;
    const [bridge1, bridge2] = [kubeOvnBridgeName(n1.net.tag, subnet), kubeOvnBridgeName(n2.net.tag, subnet)];
    expect(bridge1).not.toBe(bridge2);
    const pod = (name: string, host: number, mac: string) =>
      podJson(name, allocation('ovn', { subnet, cidr, ip: at(cidr, host), mac }));
    const up = async (node: typeof n1, p: ReturnType<typeof pod>): Promise<PodNetworkStatus> =>
      node.net.setUp(
        p.id,
        await podNetworksOf(client, p, { kubeOvn: true, stateDir: node.stateDir, handlerTag: node.net.tag }),
      );
    const a = pod('tun-a', 5, '00:00:00:2a:00:05');
    const b = pod('tun-b', 6, '00:00:00:2a:00:06');
    const sa = await up(n1, a);
    const sb = await up(n2, b);
    // Each node has the subnet's bridge with the gateway; without tunnels the pods do not meet.
    expect(addressesOn(undefined, bridge1)).toEqual([`${at(cidr, 1)}/24`]);
    expect(addressesOn(undefined, bridge2)).toEqual([`${at(cidr, 1)}/24`]);
    expect(ping(at(cidr, 6), sa.netns)).toBe(false);

    // Local mode's nodes share an address: each has a port of its own, kept in its state dir.
    const ends = [
      { ip: '127.0.0.1', port: await kubeOvnTunnelPort(n1.stateDir, 0) },
      { ip: '127.0.0.1', port: await kubeOvnTunnelPort(n2.stateDir, 0) },
    ];
    expect(ends[0].port).not.toBe(ends[1].port);
    expect(await kubeOvnTunnelPort(n1.stateDir, 0)).toBe(ends[0].port);
    const sync = (i: 0 | 1) =>
      syncKubeOvnTunnels({ stateDir: [n1, n2][i].stateDir, local: ends[i], peers: [ends[1 - i]] });
    const first = await Promise.all([sync(0), sync(1)]);
    expect(first.map((r) => [r.changed, r.errors])).toEqual([
      [[kubeOvnTunnelName(bridge1)], []],
      [[kubeOvnTunnelName(bridge2)], []],
    ]);
    const tunnel1 = JSON.parse(sh('ip', ['-d', '-j', 'link', 'show', 'dev', kubeOvnTunnelName(bridge1)])) as {
      master?: string;
      linkinfo: { info_data: { id: number; port: number } };
    }[];
    expect(tunnel1[0].master).toBe(bridge1);
    expect(tunnel1[0].linkinfo.info_data).toMatchObject({ id: subnetVni(subnet), port: ends[0].port });
    // Level-triggered: a second sync finds nothing to do.
    expect((await sync(0)).changed).toEqual([]);
    expect(ping(at(cidr, 6), sa.netns)).toBe(true);
    expect(ping(at(cidr, 5), sb.netns)).toBe(true);
    // The host reaches both, whichever bridge its route to the subnet uses.
    expect(ping(at(cidr, 5))).toBe(true);
    expect(ping(at(cidr, 6))).toBe(true);

    // A migration's hand-over: the pod goes from node 1 and comes up on node 2 with its address and MAC.
    await n1.net.tearDown(a.id);
    const moved = pod('tun-a-target', 5, '00:00:00:2a:00:05');
    const sm = await up(n2, moved);
    await sync(1);
    expect(macOf(sm.netns, 'eth0')).toBe('00:00:00:2a:00:05');
    expect(ping(at(cidr, 5))).toBe(true);
    expect(ping(at(cidr, 5), sb.netns)).toBe(true);
    // A node gone: the other's tunnel stops sending to it.
    await syncKubeOvnTunnels({ stateDir: n2.stateDir, local: ends[1], peers: [] });
    expect(sh('bridge', ['-j', 'fdb', 'show', 'dev', kubeOvnTunnelName(bridge2)])).not.toContain(
      `${ends[0].port}`,
    );

    await n2.net.tearDown(b.id);
    await n2.net.tearDown(moved.id);
    expect(nodeNetworkLeftovers(n1.stateDir).kubeOvnTunnels).toEqual([kubeOvnTunnelName(bridge1)]);
    for (const [node, bridge] of [
      [n1, bridge1],
      [n2, bridge2],
    ] as const) {
      const released = await releaseNodeNetwork({
        stateDir: node.stateDir,
        claimsDir: path.join(root, 'claims'),
      });
      expect(released.errors).toEqual([]);
      expect(released.kubeOvnTunnelsRemoved).toEqual([kubeOvnTunnelName(bridge)]);
      expect(nodeNetworkLeftovers(node.stateDir)).toMatchObject({ kubeOvnBridges: [], kubeOvnTunnels: [] });
    }
  });

  it('a kube-ovn NetworkAttachmentDefinition is net1 with its provider allocation and no default route; with the switch off it is PluginNotFound', async () => {
    const ns = await createNamespace(client, `it-kube-ovn-${RUN}`);
    namespacesToDelete.push(ns);
    const { net, stateDir } = await handler('nad');
    const cidr = await freeRange();
    const subnet = `it-attach-${RUN}`;
    const provider = `attachnet.${ns}.ovn`;
    const bridge = kubeOvnBridgeName(net.tag, subnet);
    await client.create(NETWORK_ATTACHMENT_DEFINITIONS, ns, {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'attachnet', namespace: ns },
      spec: {
        config: JSON.stringify({
          cniVersion: '0.3.1',
          type: 'kube-ovn',
          server_socket: '/run/openvswitch/kube-ovn-daemon.sock',
          provider,
        }),
      },
    });
    const created = await eventually('the pod to be created', () =>
      client.create<PodJson>(PODS, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'virt-launcher-attach',
          annotations: {
            [MULTUS_NETWORKS_ANNOTATION]: JSON.stringify([
              { name: 'attachnet', namespace: ns, interface: 'net1' },
            ]),
            ...allocation(provider, { subnet, cidr, ip: at(cidr, 9), mac: '00:00:00:00:0a:09' }),
          },
        },
        spec: { containers: [{ name: 'compute', image: 'virtkit/launcher' }] },
      }),
    );
    const id: PodIdentity = { namespace: ns, name: 'virt-launcher-attach', uid: created.metadata?.uid ?? '' };

    // Switched off (the real Kube-OVN's CNI wires pods): the NAD's plugin is not installed here.
    const off = await podNetworksOf(client, created, { kubeOvn: false, stateDir, handlerTag: net.tag });
    const offErr = await rejection(net.setUp(id, off));
    expect(offErr).toBeInstanceOf(PodNetworkError);
    expect((offErr as PodNetworkError).reason).toBe('PluginNotFound');
    expect((offErr as Error).message).toContain('plugin "kube-ovn"');
    expectPodGone(net, stateDir, id);
    expect(recordedKubeOvnBridges(stateDir)).toEqual([]);

    const s = await net.setUp(
      id,
      await podNetworksOf(client, created, { kubeOvn: true, stateDir, handlerTag: net.tag }),
    );
    expect(s.attachments.map((x) => [x.name, x.ifName, x.networkName])).toEqual([
      [`it-kovn-default-${RUN}`, 'eth0', `it-kovn-default-${RUN}`],
      [`${ns}/attachnet`, 'net1', `kube-ovn-${subnet}`],
    ]);
    expect(addressesOn(s.netns, 'net1')).toEqual([`${at(cidr, 9)}/24`]);
    expect(macOf(s.netns, 'net1')).toBe('00:00:00:00:0a:09');
    expect(s.attachments[1].mac).toBe('00:00:00:00:0a:09');
    // The default route stays eth0's (the node's network): attachments take none.
    expect(defaultRoutes(s.netns).map((r) => r.dev)).toEqual(['eth0']);
    expect(addressesOn(undefined, bridge)).toEqual([`${at(cidr, 1)}/24`]);
    expect(ping(at(cidr, 9))).toBe(true);
    // No natOutgoing: no masquerade for the attachment's address.
    expect(natRulesFor(id.uid).filter((l) => l.includes(`kube-ovn-${subnet}`))).toEqual([]);

    await net.tearDown(id);
    expectPodGone(net, stateDir, id);
    expect(vethsOn(bridge)).toEqual([]);
    const released = await releaseNodeNetwork({ stateDir, claimsDir: path.join(root, 'claims') });
    expect(released.kubeOvnBridgesRemoved).toEqual([bridge]);
    expect(linkExists(bridge)).toBe(false);
  });

  it('a missing allocation, an address outside the CIDR and a VLAN subnet are typed errors; nothing is made', async () => {
    const ns = await createNamespace(client, `it-kube-ovn-err-${RUN}`);
    namespacesToDelete.push(ns);
    const { net, stateDir } = await handler('errs');
    const cidr = await freeRange();
    const subnet = `it-err-${RUN}`;
    const o = { kubeOvn: true, stateDir, handlerTag: net.tag };
    await client.create(NETWORK_ATTACHMENT_DEFINITIONS, ns, {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: 'attachnet', namespace: ns },
      spec: { config: JSON.stringify({ cniVersion: '0.3.1', type: 'kube-ovn' }) },
    });

    const unallocated = podJson('unallocated', { [MULTUS_NETWORKS_ANNOTATION]: `${ns}/attachnet@net1` });
    const missing = await rejection(podNetworksOf(client, unallocated, o));
    expect(missing).toBeInstanceOf(AddressNotAllocatedError);
    expect((missing as AddressNotAllocatedError).reason).toBe('AddressNotAllocated');
    expect((missing as Error).message).toContain(`annotation attachnet.${ns}.ovn.kubernetes.io/allocated`);

    const outside = podJson(
      'outside',
      allocation('ovn', { subnet, cidr, ip: '10.251.0.5', mac: '00:00:00:00:0b:05' }),
    );
    const bad = await rejection(podNetworksOf(client, outside, o));
    expect(bad).toBeInstanceOf(KubeOvnAllocationError);
    expect((bad as KubeOvnAllocationError).reason).toBe('InvalidAddressAllocation');
    expect((bad as Error).message).toContain(
      `annotation ovn.kubernetes.io/ip_address "10.251.0.5" is outside the subnet's CIDR ${cidr}`,
    );

    const vlan0 = podJson(
      'vlan0',
      allocation('ovn', {
        subnet,
        cidr,
        ip: at(cidr, 5),
        mac: '00:00:00:00:0b:06',
        extra: { vlan_id: '0', provider_network: 'physnet' },
      }),
    );
    const untagged = await rejection(podNetworksOf(client, vlan0, o));
    expect(untagged).toBeInstanceOf(UnsupportedUnderlayError);
    expect((untagged as UnsupportedUnderlayError).reason).toBe('UnsupportedUnderlay');
    expect((untagged as Error).message).toContain(`subnet "${subnet}" is an untagged VLAN underlay`);

    // A VLAN underlay whose ProviderNetwork does not exist, excludes the pod's node, or names an
    // interface this host lacks.
    const pnName = `it-pn-err-${RUN}`;
    await createProviderNetwork(pnName, { defaultInterface: `vkno${RUN}`, excludeNodes: ['node-x'] });
    const vlanPod = (name: string, pn: string, nodeName?: string) => ({
      ...podJson(
        name,
        allocation('ovn', {
          subnet,
          cidr,
          ip: at(cidr, 5),
          mac: '00:00:00:00:0b:07',
          extra: { vlan_id: '100', provider_network: pn },
        }),
      ),
      ...(nodeName ? { spec: { nodeName } } : {}),
    });
    const noPn = vlanPod('nopn', 'physnet-missing');
    const excluded = vlanPod('excluded', pnName, 'node-x');
    const noNic = vlanPod('nonic', pnName, 'node-a');
    const cases: [typeof noPn, string][] = [
      [
        noPn,
        'ProviderNetwork "physnet-missing": no such ProviderNetwork (kubeovn.io/v1); create ProviderNetwork',
      ],
      [excluded, `ProviderNetwork "${pnName}": node "node-x" is in its spec.excludeNodes`],
      [
        noNic,
        `ProviderNetwork "${pnName}" (interface "vkno${RUN}"): this host has no network interface vkno${RUN}`,
      ],
    ];
    for (const [p, text] of cases) {
      const e = await rejection(podNetworksOf(client, p, o));
      expect(e).toBeInstanceOf(ProviderNetworkUnavailableError);
      expect((e as ProviderNetworkUnavailableError).reason).toBe('ProviderNetworkUnavailable');
      expect((e as Error).message).toContain(
        `pod it-kube-ovn/${p.id.name}: subnet "${subnet}" is a VLAN underlay on`,
      );
      expect((e as Error).message).toContain(text);
    }

    // Refused before any ADD: no namespace, record, bridge record or bridge.
    for (const p of [unallocated, outside, vlan0, noPn, excluded, noNic]) expectPodGone(net, stateDir, p.id);
    expect(net.namespaces()).toEqual([]);
    expect(recordedKubeOvnBridges(stateDir)).toEqual([]);
    expect(linkExists(kubeOvnBridgeName(net.tag, subnet))).toBe(false);
    expect(linkExists(kubeOvnUplinkName(kubeOvnVlanBridgeName(net.tag, pnName, 100)))).toBe(false);
  });

  it('VLAN underlays over a fake physical network: a pod reaches its physical gateway only through its VLAN uplink, VLANs are isolated, release removes bridges and uplinks', async () => {
    const { net, stateDir } = await handler('vlan');
    const dot1q = await kernelHasDot1q();
    const cidr100 = await freeRange([], 252);
    const cidr200 = await freeRange([cidr100], 252);
    const link = await freeRange([], 253);
    // The physical network: the provider NIC (host end) and the switch+router namespace.
    const nic = `vkpn${RUN}`;
    const phys = `phys-${RUN}`;
    physLinks.push(nic);
    physNamespaces.push(phys);
    sh('ip', ['netns', 'add', phys]);
    sh('ip', ['link', 'add', 'name', nic, 'type', 'veth', 'peer', 'name', 'uplink0', 'netns', phys]);
    // The VXLAN endpoints' addresses (a node's NIC on the physical network has one).
    sh('ip', ['addr', 'add', `${at(link, 1)}/30`, 'dev', nic]);
    sh('ip', ['link', 'set', 'dev', nic, 'up']);
    sh('ip', ['-n', phys, 'addr', 'add', `${at(link, 2)}/30`, 'dev', 'uplink0']);
    sh('ip', ['-n', phys, 'link', 'set', 'dev', 'uplink0', 'up']);
    sh('ip', ['-n', phys, 'link', 'set', 'dev', 'lo', 'up']);
    // A router answers ARP on the interface that holds the address only, and routes nothing here.
    sh('ip', [
      'netns',
      'exec',
      phys,
      'sysctl',
      '-qw',
      'net.ipv4.conf.all.arp_ignore=1',
      'net.ipv4.ip_forward=0',
    ]);
    for (const [id, cidr] of [
      [100, cidr100],
      [200, cidr200],
    ] as [number, string][]) {
      // The switch's side of the VLAN: the same segment as the handler's uplink, and the router's
      // gateway address on it.
      const seg = `seg${id}`;
      sh(
        'ip',
        dot1q
          ? ['-n', phys, 'link', 'add', 'link', 'uplink0', 'name', seg, 'type', 'vlan', 'id', String(id)]
          : [
              '-n',
              phys,
              'link',
              'add',
              'name',
              seg,
              'type',
              'vxlan',
              'id',
              String(id),
              'dev',
              'uplink0',
              'group',
              vxlanGroup(id),
              'dstport',
              '4789',
              'learning',
            ],
      );
      sh('ip', ['-n', phys, 'link', 'add', 'name', `br${id}`, 'type', 'bridge']);
      sh('ip', ['-n', phys, 'link', 'set', 'dev', seg, 'master', `br${id}`]);
      sh('ip', ['-n', phys, 'link', 'set', 'dev', seg, 'up']);
      sh('ip', ['-n', phys, 'link', 'set', 'dev', `br${id}`, 'up']);
      sh('ip', ['-n', phys, 'addr', 'add', `${at(cidr, 1)}/24`, 'dev', `br${id}`]);
    }
    const pnName = `it-pn-${RUN}`;
    await createProviderNetwork(pnName, { defaultInterface: nic });

    const onVlan = (name: string, id: number, subnet: string, cidr: string, host: number, mac: string) =>
      podJson(
        name,
        allocation('ovn', {
          subnet,
          cidr,
          ip: at(cidr, host),
          mac,
          extra: { vlan_id: String(id), provider_network: pnName, nat_outgoing: 'true' },
        }),
      );
    const a = onVlan('vlan-a', 100, `it-vlan100-${RUN}`, cidr100, 5, '00:00:00:00:64:05');
    const b = onVlan('vlan-b', 200, `it-vlan200-${RUN}`, cidr200, 5, '00:00:00:00:c8:05');
    // On VLAN 200 with an address of VLAN 100's CIDR: were the VLANs one segment, it would reach a.
    const c = onVlan('vlan-c', 200, `it-vlan200x-${RUN}`, cidr100, 7, '00:00:00:00:c8:07');
    const lines: string[] = [];
    const log = { info: (_fields: object, msg: string) => lines.push(msg) } as unknown as Logger;
    const o = { kubeOvn: true, stateDir, handlerTag: net.tag, log };
    const [oa, ob, oc] = await Promise.all([
      podNetworksOf(client, a, o),
      podNetworksOf(client, b, o),
      podNetworksOf(client, c, o),
    ]);
    const br100 = kubeOvnVlanBridgeName(net.tag, pnName, 100);
    const br200 = kubeOvnVlanBridgeName(net.tag, pnName, 200);
    expect(recordedKubeOvnBridges(stateDir)).toEqual([br100, br200].sort());
    // The handler says how each VLAN is carried.
    expect(lines.sort()).toEqual(
      [100, 200].map((id) =>
        dot1q
          ? expect.stringContaining(`VLAN ${id} on ${nic} as 802.1Q sub-interface`)
          : expect.stringContaining(
              `VLAN ${id} on ${nic} carried as VXLAN VNI ${id}: this kernel has no 802.1Q`,
            ),
      ),
    );
    for (const [bridge, id] of [
      [br100, 100],
      [br200, 200],
    ] as [string, number][]) {
      const uplink = kubeOvnUplinkName(bridge);
      const info = (
        JSON.parse(sh('ip', ['-d', '-j', 'link', 'show', 'dev', uplink])) as {
          master?: string;
          link?: string;
          linkinfo: { info_kind: string; info_data: { id: number; group?: string; port?: number } };
        }[]
      )[0];
      expect(info.master).toBe(bridge);
      expect(info.linkinfo.info_kind).toBe(dot1q ? 'vlan' : 'vxlan');
      expect(info.linkinfo.info_data.id).toBe(id);
      if (!dot1q) expect(info.linkinfo.info_data).toMatchObject({ group: vxlanGroup(id), port: 4789 });
    }

    const [sa, sb, sc] = await Promise.all([net.setUp(a.id, oa), net.setUp(b.id, ob), net.setUp(c.id, oc)]);
    expect(addressesOn(sa.netns, 'eth0')).toEqual([`${at(cidr100, 5)}/24`]);
    expect(macOf(sa.netns, 'eth0')).toBe('00:00:00:00:64:05');
    expect(defaultRoutes(sa.netns)).toEqual([
      expect.objectContaining({ gateway: at(cidr100, 1), dev: 'eth0' }),
    ]);
    // The gateway is the physical router's: not on the node, and nothing NATed there.
    expect(addressesOn(undefined, br100)).toEqual([]);
    expect(addressesOn(undefined, br200)).toEqual([]);
    expect(natRulesFor(a.id.uid)).toEqual([]);
    expect(vethsOn(br100)).toContain(kubeOvnUplinkName(br100));
    expect(vethsOn(br100)).toHaveLength(2);
    expect(vethsOn(br200)).toHaveLength(3);

    // Each pod reaches its VLAN's gateway in `phys`, only through its VLAN's uplink.
    expect(ping(at(cidr100, 1), sa.netns)).toBe(true);
    expect(ping(at(cidr200, 1), sb.netns)).toBe(true);
    // and the router sees the pod on its VLAN.
    expect(ping(at(cidr100, 5), phys)).toBe(true);
    // Isolation: on VLAN 200 with an address of VLAN 100's Subnet, c reaches neither VLAN 100's
    // pod nor VLAN 100's gateway (one bridge for both VLANs, or one segment, would let it).
    expect(ping(at(cidr100, 5), sc.netns)).toBe(false);
    expect(ping(at(cidr100, 1), sc.netns)).toBe(false);
    expect(ping(at(cidr100, 7), sa.netns)).toBe(false);

    for (const p of [a, b, c]) {
      await net.tearDown(p.id);
      expectPodGone(net, stateDir, p.id);
    }
    expect(vethsOn(br100)).toEqual([kubeOvnUplinkName(br100)]);
    expect(nodeNetworkLeftovers(stateDir)).toMatchObject({
      kubeOvnBridges: [br100, br200].sort(),
      kubeOvnUplinks: [kubeOvnUplinkName(br100), kubeOvnUplinkName(br200)].sort(),
    });
    const released = await releaseNodeNetwork({ stateDir, claimsDir: path.join(root, 'claims') });
    expect(released.errors).toEqual([]);
    expect([...released.kubeOvnBridgesRemoved].sort()).toEqual([br100, br200].sort());
    expect([...released.kubeOvnUplinksRemoved].sort()).toEqual(
      [kubeOvnUplinkName(br100), kubeOvnUplinkName(br200)].sort(),
    );
    for (const l of [br100, br200, kubeOvnUplinkName(br100), kubeOvnUplinkName(br200)])
      expect(linkExists(l)).toBe(false);
    expect(nodeNetworkLeftovers(stateDir)).toMatchObject({
      namespaces: [],
      records: [],
      kubeOvnBridges: [],
      kubeOvnUplinks: [],
    });
    // The provider NIC is the host's: untouched.
    expect(linkExists(nic)).toBe(true);
  });
});
