/**
 * The handler's CNI runtime with the real reference plugins from Debian's
 * containernetworking-plugins (bridge, host-local, portmap) in real network namespaces: pods get
 * unique addresses from the range and reach each other and the host; tear-down releases the
 * host-local lease, the veth, the namespace and the NAT rules, also from a new handler instance
 * (a restart) and through gc; a missing plugin, malformed JSON, a failing plugin half-way
 * through the list and an exhausted range each give a typed error and leave nothing behind.
 * (Needs root, as the handler does. No Kubernetes object is involved.)
 */
import { execFileSync, spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listCacheRecords } from '../../handler/network/cni/cache';
import { cidrContains, parseCidr, type Cidr } from '../../handler/network/cni/cidr';
import { ensureDefaultNetworkConfig } from '../../handler/network/cni/default-config-writer';
import { CniPluginError, PodNetworkError } from '../../handler/network/cni/errors';
import { cidrClashes, hostNetworks } from '../../handler/network/cni/host-networks';
import { PodNetwork, type PodNetworkStatus } from '../../handler/network/cni/pod-network';
import type { PodIdentity } from '../../handler/network/cni/types';

const RUN = `${process.pid % 100000}`;
const NETWORK = `it-cni-${RUN}`;
const PLUGIN_DIR = '/usr/lib/cni';

let root: string;
const bridges: string[] = [];
const networks: PodNetwork[] = [];

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

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

/** Host-side veths attached to `bridge`. */
function vethsOn(bridge: string): string[] {
  try {
    return (JSON.parse(sh('ip', ['-j', 'link', 'show', 'master', bridge])) as { ifname: string }[]).map(
      (l) => l.ifname,
    );
  } catch {
    return [];
  }
}

/** The IPv4 addresses on eth0 inside namespace `ns`, read with `ip -n ns -j addr`. */
function addressesIn(ns: string): string[] {
  const links = JSON.parse(sh('ip', ['-n', ns, '-j', 'addr', 'show', 'dev', 'eth0'])) as {
    addr_info: { family: string; local: string; prefixlen: number }[];
  }[];
  return links.flatMap((l) =>
    l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  );
}

function ping(ip: string, fromNs?: string): boolean {
  const args = ['ping', '-c', '1', '-W', '3', ip];
  try {
    if (fromNs) sh('ip', ['netns', 'exec', fromNs, 'busybox', ...args]);
    else sh('busybox', args);
    return true;
  } catch {
    return false;
  }
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

function natRulesFor(uid: string): string[] {
  return sh('iptables-save', ['-t', 'nat'])
    .split('\n')
    .filter((l) => l.includes(uid));
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
