/**
 * VLAN underlays on the node (I/O): before a pod's ADD, each VLAN bridge it uses is made with its
 * uplink on this node's provider NIC (underlay.ts plans it). First the ProviderNetwork is read
 * from the API server (which NIC on this node) and the NIC must exist on the host (nothing is
 * recorded or made when that fails); then, once recorded, the devices are made. The kernel's
 * 802.1Q support is probed once per process in a scratch network namespace (a VLAN device on a
 * veth there); without it the uplink is a VXLAN device with VNI = the VLAN id. The bridge
 * plugin then finds the bridge made and only adds the pod's veth. The bridges are recorded
 * before (bridges.ts), so the node's release removes them and their uplinks.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { runIp } from '../../../common/ip-command';
import type { Logger } from '../../../common/log';
import { isNotFound, KUBE_OVN_PROVIDER_NETWORKS, type KubeClient } from '../../../kube';
import type { AllocatedPod, KubeOvnUnderlay } from './annotations';
import { ProviderNetworkUnavailableError, UnderlaySetupError } from './errors';
import { kubeOvnUplinkName } from './names';
import type { KubeOvnBridge } from './pod-networks';
import { providerInterface, uplinkPlan, type ProviderNetworkJson } from './underlay';

function linkExists(name: string): boolean {
  return fs.existsSync(`/sys/class/net/${name}`);
}

let dot1qProbe: Promise<boolean> | undefined;

/**
 * Whether this kernel makes 802.1Q VLAN devices: a VLAN on a veth in a scratch network
 * namespace (nothing on the host is touched; the namespace goes either way). Asked once.
 */
export function kernelHasDot1q(): Promise<boolean> {
  dot1qProbe ??= (async () => {
    const ns = `vk-dot1q-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      await runIp(['netns', 'add', ns]);
    } catch {
      return false;
    }
    try {
      await runIp(['-n', ns, 'link', 'add', 'name', 'vkp0', 'type', 'veth', 'peer', 'name', 'vkp1']);
      await runIp(['-n', ns, 'link', 'add', 'link', 'vkp0', 'name', 'vkp2', 'type', 'vlan', 'id', '2']);
      return true;
    } catch {
      return false;
    } finally {
      await runIp(['netns', 'delete', ns]).catch(() => undefined);
    }
  })();
  return dot1qProbe;
}

/** Forget the probe's answer (tests). */
export function resetDot1qProbe(): void {
  dot1qProbe = undefined;
}

export interface UnderlayOptions {
  readonly pod: AllocatedPod;
  /** The pod's node (customInterfaces, excludeNodes); undefined: only defaultInterface applies. */
  readonly nodeName?: string;
  readonly log?: Logger;
  /** Overrides the probe (tests). */
  readonly dot1q?: boolean;
}

/** A VLAN bridge to make, with the NIC its ProviderNetwork gives this node. */
export interface UnderlayTarget {
  readonly bridge: KubeOvnBridge;
  readonly underlay: KubeOvnUnderlay;
  readonly nic: string;
}

/**
 * This node's NIC for each distinct VLAN bridge in `bridges` (reads each ProviderNetwork; nothing
 * is made). Read every time, even when the devices exist: an exclusion or a deleted
 * ProviderNetwork refuses new pods at once. Throws ProviderNetworkUnavailableError (no such
 * ProviderNetwork, node excluded, no or bad interface, interface missing on the host) or the API
 * error of a failed read.
 */
export async function resolveUnderlays(
  client: KubeClient,
  bridges: readonly KubeOvnBridge[],
  o: Pick<UnderlayOptions, 'pod' | 'nodeName'>,
): Promise<UnderlayTarget[]> {
  const targets: UnderlayTarget[] = [];
  for (const b of bridges) {
    const underlay = b.underlay;
    if (!underlay || targets.some((t) => t.bridge.bridge === b.bridge)) continue;
    const pnName = underlay.providerNetwork;
    const unavailable = (iface: string | undefined, problem: string, fix: string) =>
      new ProviderNetworkUnavailableError(o.pod, pnName, b.subnet, iface, problem, fix);
    let pn: ProviderNetworkJson;
    try {
      pn = await client.get<ProviderNetworkJson>(KUBE_OVN_PROVIDER_NETWORKS, undefined, pnName);
    } catch (e) {
      if (isNotFound(e))
        throw unavailable(
          undefined,
          'no such ProviderNetwork (kubeovn.io/v1)',
          `create ProviderNetwork ${pnName} with spec.defaultInterface naming the node's NIC on the physical network, or fix the Vlan's spec.provider`,
        );
      throw e;
    }
    const found = providerInterface(pn, o.nodeName);
    if ('problem' in found) throw unavailable(found.nic, found.problem, found.fix);
    if (!linkExists(found.nic))
      throw unavailable(
        found.nic,
        `this host has no network interface ${found.nic}`,
        `give ProviderNetwork ${pnName} the name of an existing NIC of ${o.nodeName ? `node ${o.nodeName}` : 'this node'} (ip link show), in spec.defaultInterface or a customInterfaces entry for the node`,
      );
    targets.push({ bridge: b, underlay, nic: found.nic });
  }
  return targets;
}

/** One VLAN bridge at a time in this process: two pods of one VLAN set up together make it once. */
const inFlight = new Map<string, Promise<void>>();

/**
 * Makes the bridge and uplink of each target that lacks them (after the bridges are recorded).
 * Throws UnderlaySetupError when an `ip` command fails.
 */
export async function makeUnderlays(targets: readonly UnderlayTarget[], o: UnderlayOptions): Promise<void> {
  for (const t of targets) {
    const name = t.bridge.bridge;
    const before = inFlight.get(name) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => makeOne(t, o));
    inFlight.set(name, mine);
    try {
      await mine;
    } finally {
      if (inFlight.get(name) === mine) inFlight.delete(name);
    }
  }
}

async function makeOne(t: UnderlayTarget, o: UnderlayOptions): Promise<void> {
  const { underlay, nic } = t;
  const bridge = t.bridge.bridge;
  const uplink = kubeOvnUplinkName(bridge);
  const dot1q = o.dot1q ?? (await kernelHasDot1q());
  const plan = uplinkPlan({ underlay, nic, bridge, uplink, dot1q });
  const root = 'check that the handler runs as root';
  const run = async (device: string, args: readonly string[], fix: string): Promise<void> => {
    try {
      await runIp(args);
    } catch (e) {
      throw new UnderlaySetupError(o.pod, device, (e as Error).message, fix);
    }
  };
  if (!linkExists(bridge)) {
    try {
      await runIp(plan.bridgeCommands[0]);
    } catch (e) {
      // Made meanwhile (another process): only a missing bridge is a failure.
      if (!linkExists(bridge)) throw new UnderlaySetupError(o.pod, bridge, (e as Error).message, root);
    }
  }
  for (const args of plan.bridgeCommands.slice(1)) await run(bridge, args, root);
  if (!linkExists(uplink)) {
    const other = `another handler on this machine with the same ProviderNetwork and VLAN: one per NIC and VLAN`;
    await run(
      uplink,
      plan.uplinkCommands[0],
      plan.carrier === 'vxlan'
        ? `check that no other device carries VXLAN VNI ${underlay.vlanId} on ${nic} (${other}) and that the vxlan module loads`
        : `check that no other VLAN ${underlay.vlanId} sub-interface of ${nic} exists (${other})`,
    );
    o.log?.info(
      {
        providerNetwork: underlay.providerNetwork,
        vlan: underlay.vlanId,
        nic,
        bridge,
        uplink,
        carrier: plan.carrier,
      },
      plan.description,
    );
  }
  for (const args of plan.uplinkCommands.slice(1)) await run(uplink, args, root);
}
