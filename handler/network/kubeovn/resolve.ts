/**
 * The networks of a launcher pod with the handler's Kube-OVN data plane (I/O: reads
 * NetworkAttachmentDefinitions, records Subnet bridges): Multus's selection (../multus) with
 * every kube-ovn NetworkAttachmentDefinition replaced by its Subnet's bridge list, and the
 * default network replaced by the `ovn` allocation's when the pod has one and Multus's
 * default-network does not name another. With `kubeOvn` off, exactly Multus's selection: the
 * allocation annotations are ignored and a kube-ovn NAD fails as any missing plugin does
 * (PluginNotFound), which is right in a cluster whose real Kube-OVN CNI wires pods.
 */
import type { Logger } from '../../../common/log';
import type { KubeClient } from '../../../kube';
import { multusNetworksOf, type MultusNetworks } from '../multus/resolve';
import { recordKubeOvnBridges } from './bridges';
import { KUBE_OVN_DEFAULT_NETWORK } from './names';
import { kubeOvnPaths } from './paths';
import {
  kubeOvnDefaultNetwork,
  kubeOvnNadNetwork,
  type KubeOvnBridge,
  type KubeOvnContext,
} from './pod-networks';
import { makeUnderlays, resolveUnderlays } from './uplinks';

/** The pod fields read here. */
export interface PodNetworksJson {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  /** The pod's node: which interface a VLAN underlay's ProviderNetwork gives it. */
  readonly spec?: { readonly nodeName?: string };
}

export interface PodNetworksOptions {
  /** Wire Kube-OVN allocations (the handler's --kube-ovn, on by default). */
  readonly kubeOvn: boolean;
  /** The handler's state directory (bridge records, tuning's backups). */
  readonly stateDir: string;
  /** The handler's instance tag (PodNetwork.tag), part of its bridges' names. */
  readonly handlerTag: string;
  /** This node's name (else the pod's spec.nodeName): a ProviderNetwork's per-node choices. */
  readonly nodeName?: string;
  /** Where the VLAN uplinks made are logged. */
  readonly log?: Logger;
}

/**
 * What PodNetwork.setUp runs for the pod, and how many Kube-OVN Subnet bridges it uses. Throws the CniErrors of Multus's resolution and of
 * the pod's Kube-OVN allocations (InvalidAddressAllocation, AddressNotAllocated,
 * UnsupportedUnderlay, ProviderNetworkUnavailable, NetworkSetupFailed), or the API error of a
 * failed read. A VLAN underlay's bridge and uplink are made here, before the ADD.
 */
export async function podNetworksOf(
  client: KubeClient,
  pod: PodNetworksJson,
  o: PodNetworksOptions,
): Promise<MultusNetworks & { readonly kubeOvnBridges: number }> {
  if (!o.kubeOvn) return { ...(await multusNetworksOf(client, pod)), kubeOvnBridges: 0 };
  const ctx: KubeOvnContext = {
    pod: {
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      annotations: pod.metadata?.annotations ?? {},
    },
    handlerTag: o.handlerTag,
    tuningDataDir: kubeOvnPaths(o.stateDir).tuningDataDir,
  };
  const bridges: KubeOvnBridge[] = [];
  const networks = await multusNetworksOf(client, pod, {
    nadConfig: (ref, list, role) => {
      const n = kubeOvnNadNetwork(ctx, ref, list, role);
      if (!n) return list;
      bridges.push(n.bridge);
      return n.list;
    },
  });
  let defaultNetwork = networks.defaultNetwork;
  if (!defaultNetwork) {
    const d = kubeOvnDefaultNetwork(ctx);
    if (d) {
      bridges.push(d.bridge);
      defaultNetwork = { name: KUBE_OVN_DEFAULT_NETWORK, list: d.list };
    }
  }
  // A VLAN underlay's NIC on this node is found before anything is recorded or made.
  const nodeName = o.nodeName ?? pod.spec?.nodeName;
  const node = nodeName ? { nodeName } : {};
  const underlays = await resolveUnderlays(client, bridges, { pod: ctx.pod, ...node });
  // Before any ADD (or makeUnderlays) creates them: the node's release removes what is recorded.
  recordKubeOvnBridges(o.stateDir, bridges);
  await makeUnderlays(underlays, { pod: ctx.pod, ...node, ...(o.log ? { log: o.log } : {}) });
  return { ...networks, ...(defaultNetwork ? { defaultNetwork } : {}), kubeOvnBridges: bridges.length };
}
