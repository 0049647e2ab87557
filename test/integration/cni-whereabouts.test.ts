/**
 * The whereabouts IPAM plugin for NetworkAttachmentDefinitions, as the local-mode handler runs
 * it: the real plugin (scripts/build-whereabouts.sh, found in its build cache folder), the real
 * bridge plugin, the shared real API server. The handler resolves the pods' NADs, points their
 * whereabouts IPAM at its flat file and a kubeconfig of whereabouts' own identity (the client
 * certificate local mode issues, bound only to whereabouts' Role in kube-system), both 0600 under
 * its state dir; the plugin keeps its allocations in an IPPool object. Pods get distinct
 * addresses from the range without the excluded ones, DEL releases them (also the DEL of gc in a
 * restarted handler), and an address freed is given again. (Needs root, as the handler does.)
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MULTUS_NETWORKS_ANNOTATION } from '../../api/multus/pod-interfaces';
import { whereaboutsPluginDir } from '../../cli/local/cni-plugins';
import { componentKubeconfig, layout } from '../../cli/local/layout';
import { installRbac, WHEREABOUTS_USER } from '../../cli/local/rbac';
import { listCacheRecords } from '../../handler/network/cni/cache';
import { parseCidr, type Cidr } from '../../handler/network/cni/cidr';
import { ensureDefaultNetworkConfig } from '../../handler/network/cni/default-config-writer';
import { PodNetworkError } from '../../handler/network/cni/errors';
import { findPlugin } from '../../handler/network/cni/exec';
import { cidrClashes, hostNetworks } from '../../handler/network/cni/host-networks';
import { PodNetwork, type PodNetworkStatus } from '../../handler/network/cni/pod-network';
import type { PodIdentity } from '../../handler/network/cni/types';
import { multusNetworksOf } from '../../handler/network/multus/resolve';
import {
  whereaboutsNetworks,
  writeWhereaboutsFiles,
  type WhereaboutsFiles,
} from '../../handler/network/whereabouts';
import { KubeClient, NETWORK_ATTACHMENT_DEFINITIONS, type ResourceType } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient } from './support/api';
import { addressesOn, sh, vethsOn } from './support/host-net';
import { readShared } from './support/shared-controlplane';

const RUN = `${process.pid % 100000}`;
const NS = `it-wb-${RUN}`;
const NAD = 'wb-net';
const IFNAME = 'net1';
const WHEREABOUTS_IPPOOLS: ResourceType = {
  apiVersion: 'whereabouts.cni.cncf.io/v1alpha1',
  kind: 'IPPool',
  plural: 'ippools',
  namespaced: true,
};

interface WhereaboutsPool {
  metadata: { name: string };
  spec: { range: string; allocations: Record<string, { id: string; podref: string; ifname?: string }> };
}

let root: string;
let admin: KubeClient;
let stateDir: string;
let files: WhereaboutsFiles;
let net: PodNetwork;
let wbCidr: string;
let base: string;
const pluginDirs = ['/usr/lib/cni', whereaboutsPluginDir()];
const bridges: string[] = [];

/** A /24 in 10.128.0.0/9 that nothing on this host uses. */
async function freeRange(): Promise<string> {
  const host = await hostNetworks();
  for (let i = 0; i < 200; i++) {
    const b = 128 + Math.floor(Math.random() * 127);
    if (b === 244) continue;
    const text = `10.${b}.${Math.floor(Math.random() * 256)}.0/24`;
    if (cidrClashes(parseCidr(text) as Cidr, host, '').length === 0) return text;
  }
  throw new Error('no free range in 10.128.0.0/9');
}

function pod(name: string): PodIdentity & { json: Record<string, unknown> } {
  const p = { namespace: NS, name: `${name}-${RUN}`, uid: randomUUID() };
  return {
    ...p,
    json: {
      metadata: {
        namespace: NS,
        name: p.name,
        annotations: { [MULTUS_NETWORKS_ANNOTATION]: JSON.stringify([{ name: NAD, interface: IFNAME }]) },
      },
    },
  };
}

/** What the handler does for a launcher pod: resolve its NADs, hand whereabouts the node's files, ADD. */
async function setUp(p: ReturnType<typeof pod>): Promise<PodNetworkStatus> {
  const networks = whereaboutsNetworks(await multusNetworksOf(admin, p.json), files);
  return net.setUp(p, networks);
}

/** The address whereabouts gave the pod on net1, without its prefix. */
function wbAddress(s: PodNetworkStatus): string {
  const a = s.attachments.find((x) => x.ifName === IFNAME);
  expect(a?.ips).toHaveLength(1);
  return (a?.ips[0] ?? '').split('/')[0];
}

async function pool(): Promise<WhereaboutsPool> {
  const list = await admin.list<WhereaboutsPool>(WHEREABOUTS_IPPOOLS, 'kube-system');
  const found = list.items.filter((p) => p.spec.range === wbCidr);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The pool's allocations as address -> podref. */
async function allocations(): Promise<Record<string, string>> {
  const p = await pool();
  const out: Record<string, string> = {};
  for (const [offset, a] of Object.entries(p.spec.allocations ?? {})) out[`${base}.${offset}`] = a.podref;
  return out;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error('the whereabouts suite needs root (network namespaces, bridges), as the handler does');
  const plugin = findPlugin('whereabouts', pluginDirs);
  expect(plugin).toBe(path.join(whereaboutsPluginDir(), 'whereabouts'));
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-wb-it-'));
  admin = await sharedClient();
  // Local mode's RBAC, whereabouts' Role in kube-system among it.
  await installRbac(admin);
  stateDir = path.join(root, 'handler');
  // The identity local mode issues for whereabouts (cli/local/controlplane.ts).
  files = writeWhereaboutsFiles(
    stateDir,
    componentKubeconfig(layout(readShared().stateDir), WHEREABOUTS_USER),
  );
  net = new PodNetwork({ stateDir, pluginDirs });
  const defaultBridge = `vkwd${RUN}`.slice(0, 15);
  const wbBridge = `vkwb${RUN}`.slice(0, 15);
  bridges.push(defaultBridge, wbBridge);
  await ensureDefaultNetworkConfig({
    confDir: net.confDir,
    ipamDataDir: net.paths.ipamDataDir,
    name: `it-wbd-${RUN}`,
    bridge: defaultBridge,
    podCidr: await freeRange(),
  });
  wbCidr = await freeRange();
  base = wbCidr.replace(/\.0\/24$/, '');
  await createNamespace(admin, NS);
  // Only .11 and .12 can be given: .10 is excluded, the range ends at .12.
  await admin.create(NETWORK_ATTACHMENT_DEFINITIONS, NS, {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name: NAD, namespace: NS },
    spec: {
      config: JSON.stringify({
        cniVersion: '0.3.1',
        name: `it-wb-${RUN}`,
        type: 'bridge',
        bridge: wbBridge,
        ipam: {
          type: 'whereabouts',
          range: wbCidr,
          range_start: `${base}.10`,
          range_end: `${base}.12`,
          exclude: [`${base}.10/32`],
          // Node-local paths a NAD may name are replaced by the handler's own.
          kubernetes: { kubeconfig: '/etc/cni/net.d/whereabouts.d/whereabouts.kubeconfig' },
          log_file: path.join(root, 'not-written.log'),
        },
      }),
    },
  });
}, 60_000);

afterAll(async () => {
  if (net) {
    await net.gc([]).catch(() => undefined);
    for (const ns of net.namespaces()) sh('ip', ['netns', 'delete', ns]);
  }
  for (const b of bridges) {
    try {
      sh('ip', ['link', 'delete', b]);
    } catch {
      // never made
    }
  }
  if (admin && wbCidr) {
    const list = await admin.list<WhereaboutsPool>(WHEREABOUTS_IPPOOLS, 'kube-system').catch(() => undefined);
    for (const p of list?.items.filter((x) => x.spec.range === wbCidr) ?? [])
      await admin.delete(WHEREABOUTS_IPPOOLS, 'kube-system', p.metadata.name).catch(() => undefined);
    await deleteNamespace(admin, NS).catch(() => undefined);
  }
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('whereabouts IPAM with the real plugin and API server', () => {
  it('gives pods distinct addresses of the range (not the excluded one), kept in the IPPool; DEL releases them', async () => {
    // The plugin's credentials: only the handler reads them.
    expect(fs.statSync(files.dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(files.kubeconfig).mode & 0o777).toBe(0o600);
    expect(fs.statSync(files.flatFile).mode & 0o777).toBe(0o600);

    const a = pod('a');
    const b = pod('b');
    const sa = await setUp(a);
    const sb = await setUp(b);
    const ipA = wbAddress(sa);
    const ipB = wbAddress(sb);
    expect([ipA, ipB].sort()).toEqual([`${base}.11`, `${base}.12`]);
    expect(addressesOn(sa.netns, IFNAME)).toEqual([`${ipA}/24`]);
    expect(addressesOn(sb.netns, IFNAME)).toEqual([`${ipB}/24`]);
    // The configuration cached for DEL names the node's flat file, none of the NAD's paths.
    const record = listCacheRecords(net.paths.cacheDir).records.find(
      (r) => r.record.pod.uid === a.uid && r.record.ifName === IFNAME,
    );
    const cachedIpam = (record?.record.config as { plugins?: { ipam?: unknown }[] }).plugins?.[0]?.ipam;
    expect(cachedIpam).toMatchObject({ type: 'whereabouts', configuration_path: files.flatFile });
    expect(cachedIpam).not.toHaveProperty('kubernetes');
    expect(cachedIpam).not.toHaveProperty('log_file');
    expect(fs.existsSync(path.join(root, 'not-written.log'))).toBe(false);

    // The allocations live in the IPPool, by pod (namespace/name from CNI_ARGS) and interface.
    const p = await pool();
    // Named after the range, as whereabouts names pools of a NAD without network_name.
    expect(p.metadata.name).toBe(wbCidr.replace('/', '-'));
    expect(
      Object.values(p.spec.allocations)
        .map((x) => [x.podref, x.id, x.ifname])
        .sort(),
    ).toEqual(
      [
        [`${NS}/${a.name}`, a.uid, IFNAME],
        [`${NS}/${b.name}`, b.uid, IFNAME],
      ].sort(),
    );
    expect(await allocations()).toEqual({ [ipA]: `${NS}/${a.name}`, [ipB]: `${NS}/${b.name}` });

    // The range is used up: a third pod fails (PluginFailed, naming the plugin), nothing is left of it.
    const c = pod('c');
    const e = await net.setUp(c, whereaboutsNetworks(await multusNetworksOf(admin, c.json), files)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(PodNetworkError);
    expect((e as PodNetworkError).reason).toBe('PluginFailed');
    expect((e as Error).message).toContain(`network ${NS}/${NAD} (interface ${IFNAME})`);
    expect(net.namespaces()).not.toContain(net.netnsName(c.uid));

    // DEL of a releases its address; c then gets it.
    await net.tearDown(a);
    expect(await allocations()).toEqual({ [ipB]: `${NS}/${b.name}` });
    const sc = await setUp(c);
    expect(wbAddress(sc)).toBe(ipA);
    expect(await allocations()).toEqual({ [ipA]: `${NS}/${c.name}`, [ipB]: `${NS}/${b.name}` });

    // A restarted handler's gc DELs the pods that went while it was down (b here), with the
    // configuration ADD used, even without the whereabouts folder among its own plugin folders
    // (as `virtkit down`'s release runs): the record keeps the folders ADD ran with. The live pod
    // keeps its address.
    const restarted = new PodNetwork({ stateDir, pluginDirs: ['/usr/lib/cni'] });
    const report = await restarted.gc([c.uid]);
    expect(report.errors).toEqual([]);
    expect(report.tornDown.map((x) => x.uid)).toEqual([b.uid]);
    expect(await allocations()).toEqual({ [ipA]: `${NS}/${c.name}` });
    expect(restarted.namespaces()).toEqual([restarted.netnsName(c.uid)]);

    await restarted.tearDown(c);
    expect(await allocations()).toEqual({});
    expect(vethsOn(bridges[1])).toEqual([]);
  }, 180_000);
});
