/**
 * The handler's CNI runtime with the real reference plugins from Debian's
 * containernetworking-plugins (bridge, host-local, portmap) in real network namespaces: pods get
 * unique addresses from the range and reach each other and the host; tear-down releases the
 * host-local lease, the veth, the namespace and the NAT rules, also from a new handler instance
 * (a restart) and through gc; a missing plugin, malformed JSON, a failing plugin half-way
 * through the list and an exhausted range each give a typed error and leave nothing behind.
 * The secondary networks of NetworkAttachmentDefinitions are attached as Multus does, one
 * interface each, and undone together; one suite reads the NADs and writes network-status
 * through the shared real API server. (Needs root, as the handler does.)
 */
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listCacheRecords } from '../../handler/network/cni/cache';
import { cidrContains, parseCidr, type Cidr } from '../../handler/network/cni/cidr';
import { ensureDefaultNetworkConfig } from '../../handler/network/cni/default-config-writer';
import { CniConfigError, CniError, CniPluginError, PodNetworkError } from '../../handler/network/cni/errors';
import { cidrClashes, hostNetworks } from '../../handler/network/cni/host-networks';
import {
  PodNetwork,
  type NetworkAttachmentRequest,
  type PodNetworkStatus,
} from '../../handler/network/cni/pod-network';
import type { PodIdentity } from '../../handler/network/cni/types';
import { nadNetworkConfig } from '../../handler/network/multus/nad-config';
import { NetworkAttachmentDefinitionNotFoundError } from '../../handler/network/multus/errors';
import { networkStatusAnnotation, networkStatusEntries } from '../../handler/network/multus/network-status';
import { multusNetworksOf } from '../../handler/network/multus/resolve';
import type { PodJson } from '../../handler/pods/pod-types';
import { writePodAnnotations } from '../../handler/pods/pod-writes';
import {
  MULTUS_NETWORK_STATUS_ANNOTATION,
  MULTUS_NETWORKS_ANNOTATION,
} from '../../api/multus/pod-interfaces';
import { NETWORK_ATTACHMENT_DEFINITIONS, PODS } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient } from './support/api';
import { eventually } from './support/eventually';
import { addressesOn, natRulesFor, ping, sh, vethsOn } from './support/host-net';

const RUN = `${process.pid % 100000}`;
const NETWORK = `it-cni-${RUN}`;
const PLUGIN_DIR = '/usr/lib/cni';

let root: string;
const bridges: string[] = [];
const networks: PodNetwork[] = [];
const namespacesToDelete: string[] = [];

function pod(name: string): PodIdentity {
  return { namespace: 'it-cni', name: `${name}-${RUN}`, uid: randomUUID() };
}

/** A /prefix range in 10.128.0.0/9 that nothing on this host uses. */
async function freeRange(prefix: number): Promise<string> {
  const host = await hostNetworks();
  for (let i = 0; i < 200; i++) {
    const b = 128 + Math.floor(Math.random() * 127);
    // 10.244.0.0/16 is where handlers of other suites claim their pod ranges.
    if (b === 244) continue;
    const c = Math.floor(Math.random() * 256);
    const text = `10.${b}.${c}.0/${prefix}`;
    if (cidrClashes(parseCidr(text) as Cidr, host, '').length === 0) return text;
  }
  throw new Error('no free range in 10.128.0.0/9');
}

/** A PodNetwork with its own state dir, bridge and range, the default network written. */
async function network(
  label: string,
  prefix = 24,
): Promise<{ net: PodNetwork; stateDir: string; bridge: string; cidr: string }> {
  const stateDir = path.join(root, label);
  const bridge = `vk${label.slice(0, 4)}${RUN}`.slice(0, 15);
  const cidr = await freeRange(prefix);
  bridges.push(bridge);
  const net = new PodNetwork({ stateDir, pluginDirs: [PLUGIN_DIR] });
  networks.push(net);
  await ensureDefaultNetworkConfig({
    confDir: net.confDir,
    ipamDataDir: net.paths.ipamDataDir,
    name: NETWORK,
    bridge,
    podCidr: cidr,
  });
  return { net, stateDir, bridge, cidr };
}

function leaseFile(net: PodNetwork, ip: string): string {
  return path.join(net.paths.ipamDataDir, NETWORK, ip);
}

function leases(net: PodNetwork): string[] {
  const dir = path.join(net.paths.ipamDataDir, NETWORK);
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^[0-9.]+$/.test(f)) : [];
}

/** The IPv4 addresses on eth0 inside namespace `ns`, read with `ip -n ns -j addr`. */
function addressesIn(ns: string): string[] {
  return addressesOn(ns, 'eth0');
}

/** GET `url`, retried for a few seconds while the server starts. */
async function httpGet(url: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return await res.text();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${url}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function inRange(cidr: string, ip: string): boolean {
  return cidrContains(parseCidr(cidr) as Cidr, ip);
}

async function failure(p: Promise<unknown>): Promise<PodNetworkError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PodNetworkError);
  return e as PodNetworkError;
}

function expectNothingLeft(
  net: PodNetwork,
  p: PodIdentity,
  bridge: string,
  vethsBefore: number,
  leasesBefore: number,
) {
  expect(net.namespaces()).not.toContain(net.netnsName(p.uid));
  expect(fs.existsSync(`/run/netns/${net.netnsName(p.uid)}`)).toBe(false);
  expect(vethsOn(bridge)).toHaveLength(vethsBefore);
  expect(leases(net)).toHaveLength(leasesBefore);
  expect(net.status(p)).toBeUndefined();
  expect(listCacheRecords(net.paths.cacheDir).records.filter((r) => r.record.pod.uid === p.uid)).toEqual([]);
  expect(natRulesFor(p.uid)).toEqual([]);
}

beforeAll(() => {
  if (process.getuid?.() !== 0)
    throw new Error('the CNI suite needs root (network namespaces, bridges), as the handler does');
  if (!fs.existsSync(path.join(PLUGIN_DIR, 'bridge')))
    throw new Error(
      `${PLUGIN_DIR}/bridge is missing: run scripts/setup/launcher.sh (containernetworking-plugins)`,
    );
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-cni-it-'));
});

/**
 * Removes NAT rules and chains the plugins made for this run's network (only a failed run
 * leaves any: the tests assert none remain).
 */
function sweepNatRules(): void {
  const lines = sh('iptables-save', ['-t', 'nat']).split('\n');
  const mine = lines.filter((l) => l.startsWith('-A ') && l.includes(`name: \\"${NETWORK}\\"`));
  const chains = new Set<string>();
  for (const l of mine) {
    const jump = / -j (CNI-(?:DN-)?[0-9a-f]+)$/.exec(l);
    if (jump) chains.add(jump[1]);
  }
  for (const l of lines.filter(
    (x) => x.startsWith('-A ') && (mine.includes(x) || [...chains].some((c) => x.startsWith(`-A ${c} `))),
  )) {
    const args = (l.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []).map((a) =>
      a.startsWith('"') ? JSON.parse(a) : a,
    );
    try {
      sh('iptables', ['-t', 'nat', '-D', ...args.slice(1)]);
    } catch {
      // gone already
    }
  }
  for (const c of chains) {
    try {
      sh('iptables', ['-t', 'nat', '-X', c]);
    } catch {
      // gone already
    }
  }
}

afterAll(async () => {
  if (namespacesToDelete.length > 0) {
    const client = await sharedClient();
    for (const ns of namespacesToDelete) await deleteNamespace(client, ns).catch(() => undefined);
  }
  for (const net of networks) {
    await net.gc([]).catch(() => undefined);
    for (const ns of net.namespaces()) sh('ip', ['netns', 'delete', ns]);
  }
  sweepNatRules();
  for (const b of bridges) {
    try {
      sh('ip', ['link', 'delete', b]);
    } catch {
      // never made
    }
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('pod networks with the real CNI plugins', () => {
  it('gives two pods unique addresses they and the host reach; tear-down releases lease, veth, namespace and NAT rules', async () => {
    const { net, stateDir, bridge, cidr } = await network('main');
    const a = pod('a');
    const b = pod('b');
    const hostPort = 30000 + (process.pid % 20000);
    // Both at once, as the handler starts pods: the bridge and host-local's lock cope.
    const [sa, sb] = await Promise.all([
      net.setUp(a),
      net.setUp(b, { portMappings: [{ hostPort, containerPort: 80, protocol: 'tcp' }] }),
    ]);

    for (const [p, s] of [
      [a, sa],
      [b, sb],
    ] as [PodIdentity, PodNetworkStatus][]) {
      expect(s.netns).toBe(net.netnsName(p.uid));
      expect(s.netnsPath).toBe(`/run/netns/${s.netns}`);
      expect(s.ifName).toBe('eth0');
      expect(s.podIPs).toHaveLength(1);
      expect(s.podIP).toBe(s.podIPs[0]);
      expect(inRange(cidr, s.podIP as string)).toBe(true);
      expect(s.interfaces.map((i) => i.name)).toEqual(['eth0']);
      // The address is really on the pod's eth0, inside its namespace.
      expect(addressesIn(s.netns)).toEqual([`${s.podIP}/24`]);
      expect(fs.readFileSync(leaseFile(net, s.podIP as string), 'utf8')).toContain(p.uid);
      expect(natRulesFor(p.uid).length).toBeGreaterThan(0);
    }
    expect(sa.podIP).not.toBe(sb.podIP);
    // portmap got b's port mapping (the portMappings capability) and nothing for a.
    expect(natRulesFor(b.uid).some((l) => l.includes(`--dports ${hostPort}`))).toBe(true);
    expect(natRulesFor(a.uid).some((l) => l.includes('--dports'))).toBe(false);
    expect(vethsOn(bridge)).toHaveLength(2);
    expect(net.namespaces()).toEqual([sa.netns, sb.netns].sort());

    expect(ping(sa.podIP as string)).toBe(true);
    expect(ping(sb.podIP as string)).toBe(true);
    expect(ping(sb.podIP as string, sa.netns)).toBe(true);
    expect(ping(sa.podIP as string, sb.netns)).toBe(true);

    // TCP: a web server in b, reached from the host at its pod IP and through the hostPort on
    // the gateway (a host address), and from a.
    const www = path.join(root, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'index.html'), `hello from ${b.name}\n`);
    const httpd = spawn('ip', ['netns', 'exec', sb.netns, 'busybox', 'httpd', '-f', '-p', '80', '-h', www], {
      stdio: 'ignore',
    });
    try {
      const gateway = sb.result.ips[0].gateway as string;
      expect(await httpGet(`http://${sb.podIP}:80/index.html`)).toBe(`hello from ${b.name}\n`);
      expect(await httpGet(`http://${gateway}:${hostPort}/index.html`)).toBe(`hello from ${b.name}\n`);
      expect(
        sh('ip', [
          'netns',
          'exec',
          sa.netns,
          'busybox',
          'wget',
          '-q',
          '-O',
          '-',
          `http://${sb.podIP}/index.html`,
        ]),
      ).toBe(`hello from ${b.name}\n`);
    } finally {
      httpd.kill('SIGKILL');
    }

    // Set up again: the same network, nothing run again; CHECK agrees with the cache.
    expect((await net.setUp(a)).podIP).toBe(sa.podIP);
    expect(vethsOn(bridge)).toHaveLength(2);
    await expect(net.check(a)).resolves.toBe(true);

    await net.tearDown(b);
    expect(fs.existsSync(leaseFile(net, sb.podIP as string))).toBe(false);
    expectNothingLeft(net, b, bridge, 1, 1);
    await net.tearDown(b); // idempotent
    expect(ping(sa.podIP as string)).toBe(true);

    // A handler restart with another configuration in the directory: tear-down still runs DEL
    // with the configuration ADD used (the lease is in the original network's data dir).
    fs.writeFileSync(
      path.join(net.confDir, '00-changed.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'changed',
        plugins: [{ type: 'ptp', ipam: { type: 'host-local', subnet: '10.1.2.0/24' } }],
      }),
    );
    const restarted = new PodNetwork({ stateDir, pluginDirs: [PLUGIN_DIR] });
    expect(restarted.status(a)?.podIP).toBe(sa.podIP);
    await restarted.tearDown(a);
    expect(fs.existsSync(leaseFile(net, sa.podIP as string))).toBe(false);
    expectNothingLeft(restarted, a, bridge, 0, 0);
  });

  it('gc tears down pods that are not live (DEL after a crash, also one mid-ADD) and removes orphan namespaces', async () => {
    const { net, stateDir, bridge } = await network('gc');
    const live = pod('live');
    const gone = pod('gone');
    const midAdd = pod('midadd');
    await net.setUp(live);
    const sg = await net.setUp(gone);
    const sm = await net.setUp(midAdd);
    // A crash after the plugins ran but before the result was cached: only the intent record.
    const [{ file, record }] = listCacheRecords(net.paths.cacheDir).records.filter(
      (r) => r.record.pod.uid === midAdd.uid,
    );
    const { result: _result, ...intent } = record;
    fs.writeFileSync(file, JSON.stringify(intent));
    // A namespace made just before a crash, no record written.
    const orphan = net.netnsName(randomUUID());
    sh('ip', ['netns', 'add', orphan]);
    expect(vethsOn(bridge)).toHaveLength(3);

    const restarted = new PodNetwork({ stateDir, pluginDirs: [PLUGIN_DIR] });
    const report = await restarted.gc([live.uid]);
    expect(report.errors).toEqual([]);
    expect(report.tornDown.map((p) => p.uid).sort()).toEqual([gone.uid, midAdd.uid].sort());
    expect(report.orphanNamespaces).toEqual([orphan]);
    expect(fs.existsSync(leaseFile(net, sg.podIP as string))).toBe(false);
    expect(fs.existsSync(leaseFile(net, sm.podIP as string))).toBe(false);
    expectNothingLeft(restarted, gone, bridge, 1, 1);
    expectNothingLeft(restarted, midAdd, bridge, 1, 1);
    expect(restarted.namespaces()).toEqual([net.netnsName(live.uid)]);
    expect(restarted.status(live)?.podIP).toBeDefined();
    expect(ping(restarted.status(live)?.podIP as string)).toBe(true);

    await restarted.gc([]);
    expect(restarted.namespaces()).toEqual([]);
    expect(leases(restarted)).toEqual([]);
    expect(vethsOn(bridge)).toEqual([]);
  });

  it('a missing plugin is a typed error naming it and the plugin directory, and nothing is made', async () => {
    const { net, bridge } = await network('miss');
    fs.writeFileSync(
      path.join(net.confDir, '00-missing.conflist'),
      JSON.stringify({
        cniVersion: '1.0.0',
        name: NETWORK,
        plugins: [
          {
            type: 'bridge',
            bridge,
            ipam: { type: 'host-local', subnet: '10.1.3.0/24', dataDir: net.paths.ipamDataDir },
          },
          { type: 'foo' },
        ],
      }),
    );
    const p = pod('missing');
    const e = await failure(net.setUp(p));
    expect(e.reason).toBe('PluginNotFound');
    expect(e.message).toContain(
      `plugin "foo" of network "${NETWORK}" not found in ${PLUGIN_DIR}; install containernetworking-plugins`,
    );
    expectNothingLeft(net, p, bridge, 0, 0);
  });

  it('malformed JSON is a typed error naming the file, and nothing is made', async () => {
    const { net, bridge } = await network('json');
    const file = path.join(net.confDir, '00-broken.conflist');
    fs.writeFileSync(file, '{"cniVersion": "1.0.0", "name": "x", "plugins": [ {"type": "bridge" ]}');
    const p = pod('malformed');
    const e = await failure(net.setUp(p));
    expect(e.reason).toBe('InvalidNetworkConfig');
    expect(e.message).toContain(`invalid CNI network configuration ${file}: $: is not valid JSON`);
    expect(e.message).toContain(`pod it-cni/${p.name}`);
    expectNothingLeft(net, p, bridge, 0, 0);
  });

  it('a plugin failing after bridge succeeded: DEL undoes bridge and IPAM, nothing is left', async () => {
    const { net, stateDir, bridge } = await network('half');
    const extra = path.join(stateDir, 'plugins');
    fs.mkdirSync(extra, { recursive: true });
    fs.writeFileSync(
      path.join(extra, 'refuser'),
      '#!/bin/sh\nif [ "$CNI_COMMAND" = ADD ]; then echo \'{"code":7,"msg":"refusing on purpose"}\'; exit 1; fi\nexit 0\n',
      { mode: 0o755 },
    );
    const conf = JSON.parse(fs.readFileSync(path.join(net.confDir, '10-virtkit.conflist'), 'utf8')) as {
      plugins: object[];
    };
    conf.plugins.push({ type: 'refuser' });
    fs.writeFileSync(path.join(net.confDir, '10-virtkit.conflist'), JSON.stringify(conf));
    const withExtra = new PodNetwork({ stateDir, pluginDirs: [extra, PLUGIN_DIR] });
    networks.push(withExtra);
    const p = pod('half');
    const e = await failure(withExtra.setUp(p));
    expect(e.cause).toBeInstanceOf(CniPluginError);
    expect(e.cause).toMatchObject({
      code: 7,
      msg: 'refusing on purpose',
      plugin: 'refuser',
      network: NETWORK,
    });
    expectNothingLeft(withExtra, p, bridge, 0, 0);
  });

  it('an exhausted range (a /30 holds one pod) is a typed error, the second pod leaves nothing behind', async () => {
    const { net, bridge } = await network('full', 30);
    const first = pod('first');
    const second = pod('second');
    const s1 = await net.setUp(first);
    const e = await failure(net.setUp(second));
    expect(e.reason).toBe('PluginFailed');
    expect(e.cause).toBeInstanceOf(CniPluginError);
    expect(e.message).toMatch(
      /plugin "bridge" failed \(code \d+\): failed to allocate for range 0: no IP addresses available in range set/,
    );
    expectNothingLeft(net, second, bridge, 1, 1);
    expect(leases(net)).toEqual([s1.podIP]);
    expect(net.namespaces()).toEqual([s1.netns]);
    await net.tearDown(first);
    expectNothingLeft(net, first, bridge, 0, 0);
  });
});

/**
 * Multus's delegation: the default network on eth0, then the networks of
 * NetworkAttachmentDefinitions (given here as the configurations nadNetworkConfig reads from
 * their spec.config), each on its own interface, each with its own cached record.
 */
describe('secondary networks of NetworkAttachmentDefinitions with the real CNI plugins', () => {
  function macOf(ns: string, dev: string): string {
    return (JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev])) as { address: string }[])[0]
      .address;
  }

  function nadLeases(dataDir: string, network: string): string[] {
    const dir = path.join(dataDir, network);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^[0-9.]+$/.test(f)) : [];
  }

  function recordsOf(net: PodNetwork, p: PodIdentity) {
    return listCacheRecords(net.paths.cacheDir).records.filter((r) => r.record.pod.uid === p.uid);
  }

  /**
   * The networks of two NADs: `static` (a configuration list: bridge with static IPAM from the
   * `ips` capability, tuning for the `mac` capability) and `dynamic` (a single bridge plugin with
   * host-local, in a range of `size` addresses from rangeStart), on bridges of their own.
   */
  async function nads(label: string, stateDir: string, size = 50) {
    const staticBridge = `vkms${label.slice(0, 2)}${RUN}`.slice(0, 15);
    const dynamicBridge = `vkmh${label.slice(0, 2)}${RUN}`.slice(0, 15);
    bridges.push(staticBridge, dynamicBridge);
    const staticCidr = await freeRange(24);
    const dynamicCidr = await freeRange(24);
    const dataDir = path.join(stateDir, 'nad-ipam');
    const dynamicNetwork = `it-dyn-${RUN}`;
    const base = dynamicCidr.replace(/\.0\/24$/, '');
    const staticConfig = JSON.stringify({
      cniVersion: '1.0.0',
      name: `it-static-${RUN}`,
      plugins: [
        { type: 'bridge', bridge: staticBridge, capabilities: { ips: true }, ipam: { type: 'static' } },
        { type: 'tuning', capabilities: { mac: true } },
      ],
    });
    const dynamicConfig = JSON.stringify({
      cniVersion: '0.3.1',
      name: dynamicNetwork,
      type: 'bridge',
      bridge: dynamicBridge,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: dynamicCidr, rangeStart: `${base}.10`, rangeEnd: `${base}.${9 + size}` }]],
        dataDir,
      },
    });
    const staticList = nadNetworkConfig(
      { spec: { config: staticConfig } },
      { namespace: 'rt-multus', name: 'br-static-a' },
    );
    const dynamicList = nadNetworkConfig(
      { spec: { config: dynamicConfig } },
      { namespace: 'rt-multus', name: 'br-dynamic' },
    );
    const staticAddress = (host: number) => staticCidr.replace(/\.0\/24$/, `.${host}/24`);
    return {
      staticConfig,
      dynamicConfig,
      staticBridge,
      dynamicBridge,
      staticCidr,
      dynamicCidr,
      dataDir,
      dynamicNetwork,
      staticAddress,
      attachments: (host: number, mac: string): NetworkAttachmentRequest[] => [
        {
          name: 'rt-multus/br-static-a',
          list: staticList,
          ifName: 'pod3f2a91c0',
          capabilityArgs: { ips: [staticAddress(host)], mac },
        },
        { name: 'rt-multus/br-dynamic', list: dynamicList, ifName: 'net2' },
      ],
    };
  }

  it('attaches the default network and two NADs on their interfaces; tear-down leaves nothing', async () => {
    const { net, stateDir, bridge, cidr } = await network('multi');
    const n = await nads('mu', stateDir);
    const p = pod('multi');
    const mac = '02:00:0a:00:00:0a';
    const s = await net.setUp(p, { attachments: n.attachments(10, mac) });

    // eth0 is the default network's, and only it gives status.podIP(s).
    expect(inRange(cidr, s.podIP as string)).toBe(true);
    expect(s.podIPs).toEqual([s.podIP]);
    expect(addressesIn(s.netns)).toEqual([`${s.podIP}/24`]);
    expect(s.attachments.map((a) => [a.name, a.ifName, a.default])).toEqual([
      [NETWORK, 'eth0', true],
      ['rt-multus/br-static-a', 'pod3f2a91c0', false],
      ['rt-multus/br-dynamic', 'net2', false],
    ]);
    const [, sa, da] = s.attachments;
    expect(sa.ips).toEqual([n.staticAddress(10).split('/')[0]]);
    expect(addressesOn(s.netns, 'pod3f2a91c0')).toEqual([n.staticAddress(10)]);
    expect(macOf(s.netns, 'pod3f2a91c0')).toBe(mac);
    expect(sa.mac).toBe(mac);
    expect(da.ips).toHaveLength(1);
    expect(inRange(n.dynamicCidr, da.ips[0])).toBe(true);
    expect(addressesOn(s.netns, 'net2')).toEqual([`${da.ips[0]}/24`]);
    expect(da.mac).toBe(macOf(s.netns, 'net2'));
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toEqual([da.ips[0]]);
    expect(vethsOn(n.staticBridge)).toHaveLength(1);
    expect(vethsOn(n.dynamicBridge)).toHaveLength(1);
    expect(
      recordsOf(net, p)
        .map((r) => r.record.ifName)
        .sort(),
    ).toEqual(['eth0', 'net2', 'pod3f2a91c0']);

    // Multus's network-status, from the results.
    expect(networkStatusEntries(s)).toEqual([
      { name: NETWORK, interface: 'eth0', ips: [s.podIP], mac: s.attachments[0].mac, default: true, dns: {} },
      { name: 'rt-multus/br-static-a', interface: 'pod3f2a91c0', ips: sa.ips, mac, dns: {} },
      { name: 'rt-multus/br-dynamic', interface: 'net2', ips: da.ips, mac: da.mac, dns: {} },
    ]);

    // Set up again: the cached status, nothing run; a restarted handler reads the same; CHECK agrees.
    expect(await net.setUp(p, { attachments: n.attachments(10, mac) })).toEqual(s);
    expect(new PodNetwork({ stateDir, pluginDirs: [PLUGIN_DIR] }).status(p)).toEqual(s);
    await expect(net.check(p)).resolves.toBe(true);

    await net.tearDown(p);
    expectNothingLeft(net, p, bridge, 0, 0);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toEqual([]);
    expect(vethsOn(n.staticBridge)).toEqual([]);
    expect(vethsOn(n.dynamicBridge)).toEqual([]);
  });

  it('a NAD whose plugin is not installed (calico-ipam) is PluginNotFound naming it and the NAD; nothing is made', async () => {
    const { net, bridge } = await network('wab');
    const list = nadNetworkConfig(
      {
        spec: {
          config: JSON.stringify({
            cniVersion: '0.3.1',
            type: 'macvlan',
            master: 'lo',
            ipam: { type: 'calico-ipam' },
          }),
        },
      },
      { namespace: 'rt-multus', name: 'wb' },
    );
    const p = pod('wab');
    const e = await failure(net.setUp(p, { attachments: [{ name: 'rt-multus/wb', list, ifName: 'net1' }] }));
    expect(e.reason).toBe('PluginNotFound');
    expect(e.message).toContain(`pod it-cni/${p.name}`);
    expect(e.message).toContain(
      'network rt-multus/wb (interface net1): plugin "calico-ipam" of network "wb"',
    );
    expectNothingLeft(net, p, bridge, 0, 0);
  });

  it('a failing second attachment (an exhausted one-address range) undoes the first and the default network', async () => {
    const { net, stateDir, bridge } = await network('undo');
    const n = await nads('un', stateDir, 1);
    const first = pod('first');
    const second = pod('second');
    const s1 = await net.setUp(first, { attachments: n.attachments(10, '02:00:0a:00:00:0a') });
    const e = await failure(net.setUp(second, { attachments: n.attachments(11, '02:00:0a:00:00:0b') }));
    expect(e.reason).toBe('PluginFailed');
    expect(e.cause).toBeInstanceOf(CniPluginError);
    expect(e.message).toContain(
      `network rt-multus/br-dynamic (interface net2): CNI ADD of network "${n.dynamicNetwork}"`,
    );
    expect(e.message).toMatch(/no IP addresses available in range set/);
    // Nothing of the second pod: no namespace, no lease of the default network, no veth on any bridge.
    expectNothingLeft(net, second, bridge, 1, 1);
    expect(vethsOn(n.staticBridge)).toHaveLength(1);
    expect(vethsOn(n.dynamicBridge)).toHaveLength(1);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toEqual([s1.attachments[2].ips[0]]);

    await net.tearDown(first);
    expectNothingLeft(net, first, bridge, 0, 0);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toEqual([]);
  });

  it('gc after a restart DELs every attachment of pods that went while the handler was down', async () => {
    const { net, stateDir, bridge } = await network('mgc');
    const n = await nads('gc', stateDir);
    const live = pod('live');
    const gone = pod('gone');
    await net.setUp(live, { attachments: n.attachments(20, '02:00:0a:00:00:14') });
    const sg = await net.setUp(gone, { attachments: n.attachments(21, '02:00:0a:00:00:15') });
    expect(vethsOn(n.dynamicBridge)).toHaveLength(2);

    const restarted = new PodNetwork({ stateDir, pluginDirs: [PLUGIN_DIR] });
    networks.push(restarted);
    const report = await restarted.gc([live.uid]);
    expect(report.errors).toEqual([]);
    expect(report.tornDown.map((x) => x.uid)).toEqual([gone.uid]);
    expectNothingLeft(restarted, gone, bridge, 1, 1);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).not.toContain(sg.attachments[2].ips[0]);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toHaveLength(1);
    expect(vethsOn(n.staticBridge)).toHaveLength(1);
    expect(vethsOn(n.dynamicBridge)).toHaveLength(1);
    expect(recordsOf(restarted, live)).toHaveLength(3);

    await restarted.gc([]);
    expectNothingLeft(restarted, live, bridge, 0, 0);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toEqual([]);
    expect(vethsOn(n.staticBridge)).toEqual([]);
    expect(vethsOn(n.dynamicBridge)).toEqual([]);
  });
  it('from the pod annotations through the real API server: NADs read and attached, network-status on the pod, DEL after the NAD is gone', async () => {
    const client = await sharedClient();
    const ns = await createNamespace(client, `it-multus-${RUN}`);
    namespacesToDelete.push(ns);
    const { net, stateDir, bridge } = await network('kube');
    const n = await nads('ku', stateDir);
    const nad = (name: string, config: string) => ({
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name, namespace: ns },
      spec: { config },
    });
    await client.create(NETWORK_ATTACHMENT_DEFINITIONS, ns, nad('br-static-a', n.staticConfig));
    await client.create(NETWORK_ATTACHMENT_DEFINITIONS, ns, nad('br-dynamic', n.dynamicConfig));
    await client.create(
      NETWORK_ATTACHMENT_DEFINITIONS,
      ns,
      nad('broken', '{"cniVersion": "1.0.0", "type": '),
    );
    const mac = '02:00:0a:00:00:1e';
    // The pod's default service account appears shortly after its namespace.
    const created = await eventually('the pod to be created', () =>
      client.create<PodJson>(PODS, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'virt-launcher-multus',
          annotations: {
            [MULTUS_NETWORKS_ANNOTATION]: JSON.stringify([
              { name: 'br-static-a', interface: 'pod3f2a91c0', ips: [n.staticAddress(30)], mac },
              { name: 'br-dynamic', namespace: ns },
            ]),
          },
        },
        spec: { containers: [{ name: 'compute', image: 'virtkit/launcher' }] },
      }),
    );
    const id: PodIdentity = { namespace: ns, name: 'virt-launcher-multus', uid: created.metadata?.uid ?? '' };

    const s = await net.setUp(id, await multusNetworksOf(client, created));
    expect(s.attachments.map((a) => [a.name, a.ifName])).toEqual([
      [NETWORK, 'eth0'],
      [`${ns}/br-static-a`, 'pod3f2a91c0'],
      [`${ns}/br-dynamic`, 'net2'],
    ]);
    expect(addressesOn(s.netns, 'pod3f2a91c0')).toEqual([n.staticAddress(30)]);
    expect(macOf(s.netns, 'pod3f2a91c0')).toBe(mac);

    await writePodAnnotations(client, created, {
      [MULTUS_NETWORK_STATUS_ANNOTATION]: networkStatusAnnotation(networkStatusEntries(s)),
    });
    const back = await client.get<PodJson>(PODS, ns, 'virt-launcher-multus');
    expect(back.metadata?.annotations?.[MULTUS_NETWORKS_ANNOTATION]).toBeDefined();
    expect(JSON.parse(back.metadata?.annotations?.[MULTUS_NETWORK_STATUS_ANNOTATION] ?? '')).toEqual([
      { name: NETWORK, interface: 'eth0', ips: s.podIPs, mac: s.attachments[0].mac, default: true, dns: {} },
      {
        name: `${ns}/br-static-a`,
        interface: 'pod3f2a91c0',
        ips: [n.staticAddress(30).split('/')[0]],
        mac,
        dns: {},
      },
      {
        name: `${ns}/br-dynamic`,
        interface: 'net2',
        ips: s.attachments[2].ips,
        mac: s.attachments[2].mac,
        dns: {},
      },
    ]);

    // DEL runs with the configuration ADD used, after the NAD is gone.
    await client.delete(NETWORK_ATTACHMENT_DEFINITIONS, ns, 'br-dynamic');
    await net.tearDown(id);
    expectNothingLeft(net, id, bridge, 0, 0);
    expect(nadLeases(n.dataDir, n.dynamicNetwork)).toEqual([]);
    expect(vethsOn(n.dynamicBridge)).toEqual([]);

    // A NAD that does not exist, a malformed spec.config and a bad annotation: typed errors.
    const withNetworks = (networks: string) => ({
      metadata: { namespace: ns, annotations: { [MULTUS_NETWORKS_ANNOTATION]: networks } },
    });
    const missing = await multusNetworksOf(client, withNetworks('br-dynamic')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NetworkAttachmentDefinitionNotFoundError);
    expect((missing as Error).message).toBe(
      `network-attachment-definitions.k8s.cni.cncf.io "br-dynamic" not found in namespace "${ns}": ` +
        "create it or fix the VMI's spec.networks[].multus.networkName",
    );
    const broken = await multusNetworksOf(client, withNetworks(`${ns}/broken@net7`)).catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(CniConfigError);
    expect((broken as CniConfigError).reason).toBe('InvalidNetworkConfig');
    expect((broken as Error).message).toContain(
      `invalid CNI network configuration NetworkAttachmentDefinition ${ns}/broken spec.config: $: is not valid JSON`,
    );
    const bad = await multusNetworksOf(client, withNetworks('[{"interface": "x"}]')).catch((e: unknown) => e);
    expect((bad as CniError).reason).toBe('InvalidNetworkSelection');
  });
});
