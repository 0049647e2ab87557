/**
 * What a pod's Multus annotations ask of its network (I/O: reads NetworkAttachmentDefinitions):
 * the default network that replaces the cluster's (`v1.multus-cni.io/default-network`), and the
 * secondary networks (`k8s.v1.cni.cncf.io/networks`) in annotation order, each with its
 * configuration list, interface and capability arguments, ready for PodNetwork.setUp.
 */
import {
  MULTUS_DEFAULT_NETWORK_ANNOTATION,
  MULTUS_NETWORKS_ANNOTATION,
} from '../../../api/multus/pod-interfaces';
import { isNotFound, NETWORK_ATTACHMENT_DEFINITIONS, type KubeClient } from '../../../kube';
import type { NetworkAttachmentRequest, SetUpOptions } from '../cni/pod-network';
import type { NetworkConfigList } from '../cni/types';
import { NetworkAttachmentDefinitionNotFoundError } from './errors';
import { nadNetworkConfig, type NadJson } from './nad-config';
import { parseDefaultNetworkSelection, parseNetworkSelections, type NadReference } from './selection';

/** The pod fields read here. */
export interface PodAnnotationsJson {
  readonly metadata?: {
    readonly namespace?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

export type MultusNetworks = Pick<SetUpOptions, 'defaultNetwork' | 'attachments'>;

/**
 * Replaces a NetworkAttachmentDefinition's configuration before it runs (the handler's Kube-OVN
 * data plane wires NADs of type kube-ovn this way); returns `list` for NADs it leaves alone.
 * `role` is `default` for Multus's default-network. May throw a CniError.
 */
export type NadConfigHook = (
  ref: NadReference,
  list: NetworkConfigList,
  role: 'default' | 'attachment',
) => NetworkConfigList;

export interface MultusResolveOptions {
  readonly nadConfig?: NadConfigHook;
}

/** The NetworkAttachmentDefinition's configuration; throws NetworkAttachmentDefinitionNotFoundError or CniConfigError. */
export async function readNadConfig(client: KubeClient, ref: NadReference): Promise<NetworkConfigList> {
  let nad: NadJson;
  try {
    nad = await client.get<NadJson>(NETWORK_ATTACHMENT_DEFINITIONS, ref.namespace, ref.name);
  } catch (e) {
    if (isNotFound(e)) throw new NetworkAttachmentDefinitionNotFoundError(ref.namespace, ref.name);
    throw e;
  }
  return nadNetworkConfig(nad, ref);
}

/**
 * The networks a pod's annotations select (none when it has no Multus annotation). Throws
 * NetworkSelectionError, NetworkAttachmentDefinitionNotFoundError or CniConfigError (all
 * CniErrors with a reason), or the API error of a failed read.
 */
export async function multusNetworksOf(
  client: KubeClient,
  pod: PodAnnotationsJson,
  o: MultusResolveOptions = {},
): Promise<MultusNetworks> {
  const namespace = pod.metadata?.namespace ?? '';
  const annotations = pod.metadata?.annotations ?? {};
  const defaultRef = parseDefaultNetworkSelection(annotations[MULTUS_DEFAULT_NETWORK_ANNOTATION], namespace);
  const selections = parseNetworkSelections(annotations[MULTUS_NETWORKS_ANNOTATION], namespace);
  const configOf = async (ref: NadReference, role: 'default' | 'attachment'): Promise<NetworkConfigList> => {
    const list = await readNadConfig(client, ref);
    return o.nadConfig ? o.nadConfig(ref, list, role) : list;
  };
  const out: { defaultNetwork?: SetUpOptions['defaultNetwork']; attachments: NetworkAttachmentRequest[] } = {
    attachments: [],
  };
  if (defaultRef)
    out.defaultNetwork = {
      name: `${defaultRef.namespace}/${defaultRef.name}`,
      list: await configOf(defaultRef, 'default'),
    };
  for (const s of selections) {
    const capabilityArgs: Record<string, unknown> = {};
    if (s.mac !== undefined) capabilityArgs.mac = s.mac;
    if (s.ips !== undefined) capabilityArgs.ips = [...s.ips];
    out.attachments.push({
      name: `${s.namespace}/${s.name}`,
      list: await configOf(s, 'attachment'),
      ifName: s.interface,
      capabilityArgs,
    });
  }
  return out;
}
