/**
 * The Subnet bridges a handler made (I/O). The bridge plugin creates a Subnet's bridge on the
 * first ADD on it; the handler records the bridge (one file per bridge under its state
 * directory) before that ADD, so however the ADD ends the node's release finds and removes it.
 * A bridge whose last pod went stays until the node's network is released (virtkit down, the
 * end of a test runtime): it holds only the gateway address, and the next pod on the Subnet
 * uses it again. A VLAN underlay's bridge (`vkvl<hash>`) is recorded the same way; its uplink
 * (`vkvu<hash>`, the VLAN or VXLAN device on the provider NIC) follows from its name and goes
 * with it, and so does an overlay bridge's tunnel (`vkot<hash>`, tunnels.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { runIp } from '../../../common/ip-command';
import { isKubeOvnBridgeName, isKubeOvnVlanBridgeName, kubeOvnUplinkName } from './names';
import { kubeOvnTunnelName } from './tunnel-plan';
import { kubeOvnPaths } from './paths';
import type { KubeOvnBridge } from './pod-networks';

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

function recordFile(stateDir: string, bridge: string): string {
  return path.join(kubeOvnPaths(stateDir).bridgesDir, `${bridge}.json`);
}

/** Records each bridge not recorded yet (the write is atomic: a crash leaves the old record or the new). */
export function recordKubeOvnBridges(stateDir: string, bridges: readonly KubeOvnBridge[]): void {
  for (const b of bridges) {
    if (!isKubeOvnBridgeName(b.bridge))
      throw new Error(`${b.bridge} is not a Kube-OVN bridge name (vko<8 hex> or vkvl<8 hex>)`);
    const file = recordFile(stateDir, b.bridge);
    const text = JSON.stringify(b) + '\n';
    try {
      if (fs.readFileSync(file, 'utf8') === text) continue;
    } catch {
      // not recorded yet
    }
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o644 });
    fs.renameSync(tmp, file);
  }
}

/** The bridge names this handler recorded (whether or not the links exist now). */
export function recordedKubeOvnBridges(stateDir: string): string[] {
  try {
    return fs
      .readdirSync(kubeOvnPaths(stateDir).bridgesDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .filter(isKubeOvnBridgeName)
      .sort();
  } catch {
    return [];
  }
}

/** What was recorded for `bridge` (its Subnet, CIDR, gateway), or undefined without a readable record. */
export function recordedKubeOvnBridge(stateDir: string, bridge: string): KubeOvnBridge | undefined {
  try {
    const b = JSON.parse(fs.readFileSync(recordFile(stateDir, bridge), 'utf8')) as KubeOvnBridge;
    return b.bridge === bridge && typeof b.subnet === 'string' ? b : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded bridges that exist on the machine (leak checks). */
export function kubeOvnBridgesLeft(stateDir: string): string[] {
  return recordedKubeOvnBridges(stateDir).filter(linkExists);
}

/** The tunnels of the recorded overlay bridges that exist on the machine (leak checks). */
export function kubeOvnTunnelsLeft(stateDir: string): string[] {
  return recordedKubeOvnBridges(stateDir)
    .filter((b) => !isKubeOvnVlanBridgeName(b))
    .map(kubeOvnTunnelName)
    .filter(linkExists);
}

/** The uplinks of the recorded VLAN bridges that exist on the machine (leak checks). */
export function kubeOvnUplinksLeft(stateDir: string): string[] {
  return recordedKubeOvnBridges(stateDir)
    .filter(isKubeOvnVlanBridgeName)
    .map(kubeOvnUplinkName)
    .filter(linkExists);
}

export interface KubeOvnDataPlaneRelease {
  /** Bridges removed (Subnet and VLAN bridges). */
  readonly removed: readonly string[];
  /** VLAN uplinks removed. */
  readonly uplinksRemoved: readonly string[];
  /** Overlay tunnels removed. */
  readonly tunnelsRemoved: readonly string[];
  readonly errors: readonly Error[];
}

/** Deletes `name` if it exists: true when deleted, false when absent; an Error when it stays. */
async function deleteLink(name: string, what: string): Promise<boolean | Error> {
  if (!linkExists(name)) return false;
  try {
    await runIp(['link', 'delete', name]);
    return true;
  } catch (e) {
    return linkExists(name) ? new Error(`${what} ${name}: ${(e as Error).message}`) : false;
  }
}

/**
 * Removes every recorded bridge (and a VLAN bridge's uplink, an overlay bridge's tunnel) and its record, and tuning's MAC backups (run after every pod's
 * DEL, when the node's network is released; a DEL whose namespace was already gone, after a
 * reboot, leaves its backup behind). A bridge that cannot be removed keeps its record for the
 * next release; failures are reported, never thrown.
 */
export async function releaseKubeOvnDataPlane(stateDir: string): Promise<KubeOvnDataPlaneRelease> {
  const removed: string[] = [];
  const uplinksRemoved: string[] = [];
  const tunnelsRemoved: string[] = [];
  const errors: Error[] = [];
  for (const bridge of recordedKubeOvnBridges(stateDir)) {
    // A VLAN bridge's uplink or an overlay bridge's tunnel first: each is a device of its own,
    // not deleted with the bridge.
    const vlan = isKubeOvnVlanBridgeName(bridge);
    const port = vlan ? kubeOvnUplinkName(bridge) : kubeOvnTunnelName(bridge);
    const u = await deleteLink(port, vlan ? 'Kube-OVN VLAN uplink' : 'Kube-OVN tunnel');
    if (u instanceof Error) {
      errors.push(u);
      continue;
    }
    if (u) (vlan ? uplinksRemoved : tunnelsRemoved).push(port);
    const r = await deleteLink(bridge, 'Kube-OVN bridge');
    if (r instanceof Error) {
      errors.push(r);
      continue;
    }
    if (r) removed.push(bridge);
    fs.rmSync(recordFile(stateDir, bridge), { force: true });
  }
  fs.rmSync(kubeOvnPaths(stateDir).tuningDataDir, { recursive: true, force: true });
  return { removed, uplinksRemoved, tunnelsRemoved, errors };
}
