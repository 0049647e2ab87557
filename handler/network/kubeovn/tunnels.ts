/**
 * The tunnels of this node's overlay Subnet bridges (I/O): each recorded `vko<hash>` bridge that
 * exists gets its `vkot<hash>` VXLAN device with a flooding entry per peer node
 * (tunnel-plan.ts says what; this reads the devices and runs the commands). Level-triggered: run
 * it after a pod's network is set up (its bridge may be new) and whenever the Nodes change.
 * The tunnels go with their bridges when the node's network is released (bridges.ts).
 */
import * as fs from 'fs';
import * as dgram from 'dgram';
import * as path from 'path';
import { runBridge, runIp } from '../../../common/ip-command';
import { recordedKubeOvnBridge, recordedKubeOvnBridges } from './bridges';
import { isKubeOvnVlanBridgeName } from './names';
import { kubeOvnPaths } from './paths';
import {
  kubeOvnTunnelName,
  parseTunnelState,
  tunnelCommands,
  type TunnelCommand,
  type TunnelDeviceState,
  type TunnelEndpoint,
} from './tunnel-plan';

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

function mtuOf(name: string): number {
  const mtu = Number(fs.readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
  return Number.isInteger(mtu) && mtu > 0 ? mtu : 1500;
}

async function readTunnel(dev: string): Promise<TunnelDeviceState | undefined> {
  if (!linkExists(dev)) return undefined;
  const link = await runIp(['-d', '-j', 'link', 'show', 'dev', dev]);
  const fdb = await runBridge(['-j', 'fdb', 'show', 'dev', dev]);
  return parseTunnelState(link, fdb);
}

async function run(c: TunnelCommand): Promise<void> {
  await (c.program === 'ip' ? runIp(c.args) : runBridge(c.args));
}

export interface TunnelSyncReport {
  /** The tunnels changed (made, re-made, re-pointed). */
  readonly changed: readonly string[];
  /** Problems, one per tunnel; the others are still synced. */
  readonly errors: readonly Error[];
}

/**
 * Brings the tunnel of every overlay bridge this handler recorded and made to `local` and
 * `peers`. Never throws: a tunnel that cannot be made is reported, and the next run tries again.
 */
export async function syncKubeOvnTunnels(o: {
  readonly stateDir: string;
  readonly local: TunnelEndpoint;
  readonly peers: readonly TunnelEndpoint[];
}): Promise<TunnelSyncReport> {
  const changed: string[] = [];
  const errors: Error[] = [];
  for (const bridge of recordedKubeOvnBridges(o.stateDir)) {
    // A VLAN underlay's bridge reaches other nodes over its uplink; a Subnet bridge made by no ADD yet waits.
    if (isKubeOvnVlanBridgeName(bridge) || !linkExists(bridge)) continue;
    const record = recordedKubeOvnBridge(o.stateDir, bridge);
    if (!record) continue;
    const dev = kubeOvnTunnelName(bridge);
    try {
      const commands = tunnelCommands(
        { bridge, subnet: record.subnet, local: o.local, mtu: mtuOf(bridge), peers: o.peers },
        await readTunnel(dev),
      );
      for (const c of commands) await run(c);
      if (commands.length > 0) changed.push(dev);
    } catch (e) {
      errors.push(
        new Error(
          `Kube-OVN tunnel ${dev} of Subnet ${record.subnet} (bridge ${bridge}): ${(e as Error).message}; check that the vxlan module loads and that UDP port ${o.local.port} is not taken by another VXLAN device with VNI of this Subnet`,
        ),
      );
    }
  }
  return { changed, errors };
}

/**
 * The UDP port of this node's tunnels: `requested` when it is a port, else (0) the one kept in
 * the state directory, else a free one, kept there so a restarted handler keeps its tunnels.
 */
export async function kubeOvnTunnelPort(stateDir: string, requested: number): Promise<number> {
  if (requested > 0) return requested;
  const file = kubeOvnPaths(stateDir).tunnelPortFile;
  const kept = Number(fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : NaN);
  if (Number.isInteger(kept) && kept > 0 && kept <= 65535) return kept;
  const port = await new Promise<number>((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${port}\n`, { mode: 0o644 });
  return port;
}
