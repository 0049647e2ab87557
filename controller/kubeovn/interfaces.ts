/**
 * Which of a VMI's interfaces Kube-OVN's IPAM serves (pure): the launcher pod's own interface
 * (provider `ovn`) unless a Multus default network replaces it, and every Multus network whose
 * NetworkAttachmentDefinition runs the kube-ovn CNI type (provider from its config, else
 * `<nad>.<namespace>.ovn`).
 */
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { attachmentProvider, KUBE_OVN_CNI_TYPE, OVN_PROVIDER } from '../../api/kubeovn/ipam';

/** A Multus network of the VMI, as `<namespace>/<name>` of its NetworkAttachmentDefinition. */
export interface NadRef {
  readonly namespace: string;
  readonly name: string;
}

/** One interface the IPAM allocates for. */
export interface KubeOvnInterface {
  readonly provider: string;
  /** The VMI network it serves (for messages). */
  readonly network: string;
}

/** `networkName` of a multus network: `name` (the VMI's namespace) or `namespace/name`. */
export function nadRefOf(networkName: string, vmiNamespace: string): NadRef {
  const slash = networkName.indexOf('/');
  return slash < 0
    ? { namespace: vmiNamespace, name: networkName }
    : { namespace: networkName.slice(0, slash), name: networkName.slice(slash + 1) };
}

/** The provider a NetworkAttachmentDefinition's `spec.config` names, or undefined when it is not kube-ovn. */
export function kubeOvnProviderOf(config: unknown, ref: NadRef): string | undefined {
  if (typeof config !== 'string') return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(config);
  } catch {
    return undefined; // the node's CNI reports malformed configurations
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as { type?: unknown; provider?: unknown; plugins?: unknown };
  const plugin =
    d.type !== undefined ? d : Array.isArray(d.plugins) ? (d.plugins[0] as typeof d | undefined) : undefined;
  if (plugin?.type !== KUBE_OVN_CNI_TYPE) return undefined;
  return typeof plugin.provider === 'string' && plugin.provider !== ''
    ? plugin.provider
    : attachmentProvider(ref.name, ref.namespace);
}

/**
 * The VMI's interfaces in Kube-OVN's care; `providerOfNad` answers for one Multus network (undefined
 * when its NetworkAttachmentDefinition is not kube-ovn or does not exist).
 */
export async function kubeOvnInterfaces(
  vmi: VirtualMachineInstance,
  providerOfNad: (ref: NadRef) => Promise<string | undefined>,
): Promise<KubeOvnInterface[]> {
  const namespace = vmi.metadata?.namespace ?? 'default';
  const networks = vmi.spec.networks ?? [];
  const out: KubeOvnInterface[] = [];
  const multusDefault = networks.find((n) => n.multus?.default === true);
  const podNetwork = networks.find((n) => n.pod !== undefined);
  // The pod's own interface (eth0) is the cluster network's whether or not the VMI binds to it.
  if (!multusDefault) out.push({ provider: OVN_PROVIDER, network: podNetwork?.name ?? 'default' });
  for (const n of networks) {
    if (!n.multus?.networkName) continue;
    const provider = await providerOfNad(nadRefOf(n.multus.networkName, namespace));
    if (provider !== undefined) out.push({ provider, network: n.name });
  }
  return out;
}
