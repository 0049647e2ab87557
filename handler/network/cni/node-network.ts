/**
 * A handler's node network (I/O): the pod range and bridge of its default network, chosen once
 * and kept in <stateDir>/cni/node-network.json (a restart keeps them), claimed machine-wide in
 * /run/virtkit/pod-cidrs/ so handlers starting at the same time never take the same range; and
 * its release when the node goes (every pod's DEL, the namespaces, the bridge, the claim).
 */
import * as fs from 'fs';
import * as path from 'path';
import { silentLogger, type Logger } from '../../../common/log';
import { parseCidr } from './cidr';
import { ensureDefaultNetworkConfig } from './default-config-writer';
import { hostNetworks as readHostNetworks, type HostNetwork } from './host-networks';
import { runIp } from '../../../common/ip-command';
import { cniPaths } from './paths';
import {
  bridgeNameFor,
  claimFileName,
  nodeRangeCandidates,
  pickPodCidr,
  POD_CIDR_POOL,
  type NodeNetworkChoice,
} from './pod-cidr';
import { PodNetwork, type GcReport } from './pod-network';
import { listCacheRecords } from './cache';
import { DEFAULT_CONFIG_FILE } from './default-config';
import { isSameProcess, processStartTicks } from '../../pods/launcher-process';
import {
  kubeOvnBridgesLeft,
  kubeOvnTunnelsLeft,
  kubeOvnUplinksLeft,
  releaseKubeOvnDataPlane,
} from '../kubeovn/bridges';

export const NODE_NETWORK_FILE = 'node-network.json';
/** Machine-wide claims of pod ranges, one file per range naming its handler's state dir. */
export const POD_CIDR_CLAIMS_DIR = '/run/virtkit/pod-cidrs';
/** A claim is honoured this long whatever else (its handler may not have written its record yet). */
const FRESH_CLAIM_MS = 120_000;

export interface NodeNetworkOptions {
  readonly stateDir: string;
  /** The pod range (`--pod-cidr`). @default a free /24 of 10.244.0.0/16 */
  readonly podCidr?: string;
  readonly log?: Logger;
  /** @default /run/virtkit/pod-cidrs */
  readonly claimsDir?: string;
  /** @default the host's prefixes from `ip -j addr` / `ip -j route` */
  readonly hostNetworks?: () => Promise<readonly HostNetwork[]>;
}

export interface NodeNetwork extends NodeNetworkChoice {
  /** The CNI configuration file pods are set up with (virtkit's default, or an operator's). */
  readonly configFile: string;
}

interface Claim {
  readonly stateDir: string;
  readonly podCidr: string;
  readonly bridge: string;
  /** The claiming handler process (pid and start ticks, against pid reuse). */
  readonly pid?: number;
  readonly startTicks?: string;
}

export function nodeNetworkFile(stateDir: string): string {
  return path.join(cniPaths(stateDir).root, NODE_NETWORK_FILE);
}

/** The handler's recorded choice, if it made one. */
export function readNodeNetwork(stateDir: string): NodeNetworkChoice | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(nodeNetworkFile(stateDir), 'utf8')) as Partial<NodeNetworkChoice>;
    return typeof v.podCidr === 'string' && typeof v.bridge === 'string'
      ? { podCidr: v.podCidr, bridge: v.bridge }
      : undefined;
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, text: string, mode: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

function readClaim(file: string): Claim | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

/**
 * Whether a claim still stands: it was made just now, or its handler's record names the range
 * and the range is in use (the handler runs, or its bridge exists: pods may be on it while the
 * handler is down). A handler stopped with no pods holds nothing; it takes a range again when it
 * comes back.
 */
function claimStands(file: string, claim: Claim | undefined): boolean {
  if (
    claim?.stateDir &&
    readNodeNetwork(claim.stateDir)?.podCidr === claim.podCidr &&
    ((claim.pid !== undefined && isSameProcess(claim.pid, claim.startTicks ?? '')) ||
      linkExists(claim.bridge))
  )
    return true;
  try {
    return Date.now() - fs.statSync(file).mtimeMs < FRESH_CLAIM_MS;
  } catch {
    return false;
  }
}

/** The ranges other handlers hold now (stale claims are removed on the way). */
function claimedByOthers(dir: string, stateDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const file = path.join(dir, n);
    const claim = readClaim(file);
    if (claim?.stateDir === stateDir) continue;
    if (claimStands(file, claim)) {
      if (claim?.podCidr) out.push(claim.podCidr);
    } else fs.rmSync(file, { force: true });
  }
  return out;
}

/**
 * Claims `choice.podCidr` for this handler: true when it is this handler's now, false when
 * another live handler holds it. Creation is exclusive, so two handlers never both win.
 */
function claim(dir: string, stateDir: string, choice: NodeNetworkChoice): boolean {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = path.join(dir, claimFileName(choice.podCidr));
  const body =
    JSON.stringify({
      stateDir,
      ...choice,
      pid: process.pid,
      startTicks: processStartTicks(process.pid) ?? '',
    } satisfies Claim) + '\n';
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, body, { flag: 'wx', mode: 0o644 });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readClaim(file);
    if (held?.stateDir === stateDir) {
      fs.writeFileSync(file, body); // ours (a restart): refresh it
      return true;
    }
    if (claimStands(file, held)) return false;
    fs.rmSync(file, { force: true }); // stale: its handler moved on or its state dir is gone
  }
  return false;
}

/**
 * The handler's pod range and bridge: the recorded ones after a restart, else `podCidr` or the
 * first free /24 of 10.244.0.0/16, claimed machine-wide and recorded; then the default network
 * is written with them unless the configuration directory has a network already. Throws with
 * the flag's name and the fix when the range cannot be had.
 */
export async function ensureNodeNetwork(o: NodeNetworkOptions): Promise<NodeNetwork> {
  const stateDir = path.resolve(o.stateDir);
  const log = o.log ?? silentLogger();
  const claimsDir = o.claimsDir ?? POD_CIDR_CLAIMS_DIR;
  if (o.claimsDir === undefined && process.getuid?.() !== 0)
    throw new Error(
      'the handler gives every launcher pod its own network namespace and runs the CNI plugins, which needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN): run it as root, as kubelet runs',
    );
  const paths = cniPaths(stateDir);
  const recorded = readNodeNetwork(stateDir);
  const hostNets = o.hostNetworks ?? readHostNetworks;
  let choice: NodeNetworkChoice | undefined;
  if (recorded) {
    if (o.podCidr !== undefined && o.podCidr !== recorded.podCidr)
      throw new Error(
        `--pod-cidr ${o.podCidr}: this node's pods already use ${recorded.podCidr} (recorded in ${nodeNetworkFile(stateDir)}); a node keeps its range, as a Node's spec.podCIDR does. Leave the flag out, or stop every pod of this node and remove ${paths.root} to choose again`,
      );
    if (claim(claimsDir, stateDir, recorded)) choice = recorded;
    else if (listCacheRecords(paths.cacheDir).records.length > 0)
      throw new Error(
        `pod CIDR ${recorded.podCidr} of this node (${nodeNetworkFile(stateDir)}) is claimed by another handler on this machine (${path.join(claimsDir, claimFileName(recorded.podCidr))}) while pods of this node still use it; stop that handler`,
      );
    else {
      // Taken while this handler was down with no pods: nothing uses the old range, take another.
      log.warn(
        { podCidr: recorded.podCidr },
        `pod CIDR ${recorded.podCidr} was taken by another handler while this one was down with no pods; choosing another`,
      );
      forgetDefaultConfig(paths.confDir, recorded);
    }
  }
  if (!choice) {
    const bridge = bridgeNameFor(stateDir);
    if (o.podCidr !== undefined) {
      const c = parseCidr(o.podCidr);
      if (typeof c === 'string') throw new Error(`--pod-cidr ${o.podCidr}: ${c}`);
      choice = { podCidr: o.podCidr, bridge };
      if (!claim(claimsDir, stateDir, choice))
        throw new Error(
          `--pod-cidr ${o.podCidr}: another handler on this machine uses it (${path.join(claimsDir, claimFileName(o.podCidr))}); give each handler its own range`,
        );
    } else {
      const candidates = nodeRangeCandidates(POD_CIDR_POOL);
      let picked: NodeNetworkChoice | undefined;
      for (let attempt = 0; attempt < 8 && !picked; attempt++) {
        const podCidr = pickPodCidr(
          candidates,
          await hostNets(),
          claimedByOthers(claimsDir, stateDir),
          bridge,
        );
        if (!podCidr)
          throw new Error(
            `no free /24 left in ${POD_CIDR_POOL} (host addresses, routes and other handlers' ranges take them all); give one with --pod-cidr`,
          );
        if (claim(claimsDir, stateDir, { podCidr, bridge })) picked = { podCidr, bridge };
      }
      if (!picked)
        throw new Error(`could not claim a pod range in ${POD_CIDR_POOL}; give one with --pod-cidr`);
      choice = picked;
    }
  }
  let configFile: string;
  try {
    configFile = (
      await ensureDefaultNetworkConfig({
        confDir: paths.confDir,
        ipamDataDir: paths.ipamDataDir,
        podCidr: choice.podCidr,
        bridge: choice.bridge,
        hostNetworks: hostNets,
      })
    ).file;
  } catch (e) {
    if (choice !== recorded) fs.rmSync(path.join(claimsDir, claimFileName(choice.podCidr)), { force: true });
    throw e;
  }
  if (choice !== recorded)
    writeAtomically(nodeNetworkFile(stateDir), JSON.stringify(choice, null, 2) + '\n', 0o644);
  log.info(
    { podCidr: choice.podCidr, bridge: choice.bridge },
    `pod network: ${choice.podCidr} on bridge ${choice.bridge} (${configFile})`,
  );
  return { ...choice, configFile };
}

/** Removes virtkit's default network file when it was written for `old` (an operator's file stays). */
function forgetDefaultConfig(confDir: string, old: NodeNetworkChoice): void {
  const file = path.join(confDir, DEFAULT_CONFIG_FILE);
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      plugins?: { bridge?: string; ipam?: { ranges?: { subnet?: string }[][] } }[];
    };
    const bridge = doc.plugins?.[0];
    if (bridge?.bridge === old.bridge && bridge.ipam?.ranges?.[0]?.[0]?.subnet === old.podCidr)
      fs.rmSync(file, { force: true });
  } catch {
    // none, or not ours
  }
}

export interface NodeNetworkRelease extends GcReport {
  readonly bridgeRemoved?: string;
  /** The Kube-OVN Subnet bridges (`vko<hash>`) and VLAN bridges (`vkvl<hash>`) removed. */
  readonly kubeOvnBridgesRemoved: readonly string[];
  /** The Kube-OVN VLAN uplinks (`vkvu<hash>`: VLAN or VXLAN devices on a provider NIC) removed. */
  readonly kubeOvnUplinksRemoved: readonly string[];
  /** The Kube-OVN tunnels (`vkot<hash>`: the VXLAN devices joining a Subnet's bridges across nodes) removed. */
  readonly kubeOvnTunnelsRemoved: readonly string[];
}

/**
 * Everything a handler's pod network holds on the machine goes (its node is torn down, the
 * handler stopped for good): DEL for every pod it set up (leases, veths, NAT rules), its
 * namespaces, its bridge, the Kube-OVN Subnet and VLAN bridges, VLAN uplinks and tunnels it made, and its claim. The record stays,
 * so a handler started again on the same state dir takes the same range. Failures come back in
 * the report, never thrown.
 */
export async function releaseNodeNetwork(o: {
  readonly stateDir: string;
  readonly log?: Logger;
  readonly claimsDir?: string;
}): Promise<NodeNetworkRelease> {
  const stateDir = path.resolve(o.stateDir);
  const report = await new PodNetwork({ stateDir, ...(o.log ? { log: o.log } : {}) }).gc([]);
  const errors = [...report.errors];
  const choice = readNodeNetwork(stateDir);
  let bridgeRemoved: string | undefined;
  if (choice) {
    if (linkExists(choice.bridge)) {
      try {
        await runIp(['link', 'delete', choice.bridge]);
        bridgeRemoved = choice.bridge;
      } catch (e) {
        if (linkExists(choice.bridge)) errors.push(e as Error);
      }
    }
    const file = path.join(o.claimsDir ?? POD_CIDR_CLAIMS_DIR, claimFileName(choice.podCidr));
    if (readClaim(file)?.stateDir === stateDir) fs.rmSync(file, { force: true });
  }
  // After every pod's DEL: no veth is on them any more.
  const kubeOvn = await releaseKubeOvnDataPlane(stateDir);
  errors.push(...kubeOvn.errors);
  return {
    ...report,
    errors,
    ...(bridgeRemoved ? { bridgeRemoved } : {}),
    kubeOvnBridgesRemoved: kubeOvn.removed,
    kubeOvnUplinksRemoved: kubeOvn.uplinksRemoved,
    kubeOvnTunnelsRemoved: kubeOvn.tunnelsRemoved,
  };
}

/** What a handler's pod network still holds on the machine (leak checks); empty lists when clean. */
export interface NodeNetworkLeftovers {
  readonly namespaces: readonly string[];
  /** host-local lease files (`<ipam>/<network>/<ip>`). */
  readonly leases: readonly string[];
  /** Cached attachments whose DEL has not run. */
  readonly records: readonly string[];
  /** The bridge, when it still exists. */
  readonly bridge?: string;
  /** Kube-OVN Subnet and VLAN bridges (`vko<hash>`, `vkvl<hash>`) this handler made that still exist. */
  readonly kubeOvnBridges: readonly string[];
  /** Kube-OVN VLAN uplinks (`vkvu<hash>`) this handler made that still exist. */
  readonly kubeOvnUplinks: readonly string[];
  /** Kube-OVN tunnels (`vkot<hash>`) this handler made that still exist. */
  readonly kubeOvnTunnels: readonly string[];
}

export function nodeNetworkLeftovers(stateDir: string): NodeNetworkLeftovers {
  const net = new PodNetwork({ stateDir });
  const list = (dir: string): string[] => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  const leases: string[] = [];
  for (const network of list(net.paths.ipamDataDir))
    for (const f of list(path.join(net.paths.ipamDataDir, network)))
      if (/^[0-9a-f.:]+$/i.test(f) && f.includes('.') !== f.includes(':'))
        leases.push(path.join(net.paths.ipamDataDir, network, f));
  const records = list(path.join(net.paths.cacheDir, 'results')).filter((f) => f.endsWith('.json'));
  const choice = readNodeNetwork(stateDir);
  return {
    namespaces: net.namespaces(),
    leases,
    records,
    ...(choice && linkExists(choice.bridge) ? { bridge: choice.bridge } : {}),
    kubeOvnBridges: kubeOvnBridgesLeft(stateDir),
    kubeOvnUplinks: kubeOvnUplinksLeft(stateDir),
    kubeOvnTunnels: kubeOvnTunnelsLeft(stateDir),
  };
}
