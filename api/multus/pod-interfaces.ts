/**
 * How a VMI's networks map to its launcher pod's interfaces and to Multus's annotations (pure),
 * as KubeVirt does it: the pod network (or the Multus network marked `default`) is `eth0`; every
 * other Multus network gets an interface named after a hash of the network's name, so the name
 * survives reordering; the pod's `k8s.v1.cni.cncf.io/networks` annotation asks Multus (or
 * virtkit's handler in its place) for those attachments, and `v1.multus-cni.io/default-network`
 * replaces the cluster network with the default Multus network.
 */
import { createHash } from 'crypto';

/** Multus's request annotation: the secondary networks of a pod. */
export const MULTUS_NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
/** Multus's report annotation: what each attachment got. */
export const MULTUS_NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
/** Multus's annotation replacing the cluster's default network. */
export const MULTUS_DEFAULT_NETWORK_ANNOTATION = 'v1.multus-cni.io/default-network';

export const PRIMARY_POD_INTERFACE = 'eth0';

/** The parts of a VMI network this needs. */
export interface NetworkLike {
  readonly name: string;
  readonly pod?: unknown;
  readonly multus?: { readonly networkName: string; readonly default?: boolean };
}

/** A pod interface name for a secondary network: `pod` + 8 hex digits of SHA-256 of its name. */
export function hashedPodInterfaceName(networkName: string): string {
  return `pod${createHash('sha256').update(networkName).digest('hex').slice(0, 8)}`;
}

/** Pod interface name by VMI network name (pod / default Multus network: eth0). */
export function podInterfaceNames(networks: readonly NetworkLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of networks) {
    if (n.pod !== undefined || n.multus?.default) out.set(n.name, PRIMARY_POD_INTERFACE);
    else if (n.multus) out.set(n.name, hashedPodInterfaceName(n.name));
  }
  return out;
}

/** `namespace/name` or `name` of a NetworkAttachmentDefinition, with the VMI's namespace as default. */
export function nadReference(networkName: string, namespace: string): { namespace: string; name: string } {
  const slash = networkName.indexOf('/');
  return slash < 0
    ? { namespace, name: networkName }
    : { namespace: networkName.slice(0, slash), name: networkName.slice(slash + 1) };
}

/** One element of the networks annotation (Multus's NetworkSelectionElement). */
export interface NetworkSelectionElement {
  readonly name: string;
  readonly namespace: string;
  readonly interface: string;
  readonly mac?: string;
}

/**
 * The launcher pod's Multus annotations for a VMI's networks: the secondary networks in spec
 * order, and the default network when one is marked. Empty when there is no Multus network.
 */
export function multusAnnotations(
  networks: readonly NetworkLike[],
  namespace: string,
  macByNetwork: ReadonlyMap<string, string> = new Map(),
): Record<string, string> {
  const names = podInterfaceNames(networks);
  const elements: NetworkSelectionElement[] = [];
  const out: Record<string, string> = {};
  for (const n of networks) {
    if (!n.multus) continue;
    const ref = nadReference(n.multus.networkName, namespace);
    if (n.multus.default) {
      out[MULTUS_DEFAULT_NETWORK_ANNOTATION] = `${ref.namespace}/${ref.name}`;
      continue;
    }
    const mac = macByNetwork.get(n.name);
    elements.push({ ...ref, interface: names.get(n.name)!, ...(mac ? { mac } : {}) });
  }
  if (elements.length) out[MULTUS_NETWORKS_ANNOTATION] = JSON.stringify(elements);
  return out;
}
