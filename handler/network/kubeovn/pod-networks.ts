/**
 * Which of a pod's networks Kube-OVN serves, and with what (pure):
 *
 * - the default network (eth0) when the pod carries `ovn.kubernetes.io/allocated` (provider
 *   `ovn`), unless Multus's `v1.multus-cni.io/default-network` names another network: as in a
 *   Kube-OVN cluster, that annotation replaces the cluster network whatever Kube-OVN allocated
 *   (when it names a kube-ovn NetworkAttachmentDefinition, that NAD's provider wires eth0);
 * - each NetworkAttachmentDefinition whose configuration is `"type": "kube-ovn"`, with the
 *   allocation of its provider (the config's `provider`, else `<nad>.<namespace>.ovn`); a pod
 *   without that allocation fails with AddressNotAllocated.
 */
import {
  attachmentProvider,
  KUBE_OVN_CNI_TYPE,
  KUBE_OVN_KEYS,
  kubeOvnAnnotationKey,
  OVN_PROVIDER,
} from '../../../api/kubeovn/ipam/keys';
import { CniConfigError } from '../cni/errors';
import type { NetworkConfigList } from '../cni/types';
import type { NadReference } from '../multus/selection';
import {
  readAllocation,
  type AllocatedPod,
  type KubeOvnAllocation,
  type KubeOvnUnderlay,
} from './annotations';
import { kubeOvnNetworkList } from './data-plane';
import { AddressNotAllocatedError } from './errors';
import { kubeOvnBridgeName, kubeOvnVlanBridgeName } from './names';

/** What the handler knows when it wires a pod. */
export interface KubeOvnContext {
  readonly pod: AllocatedPod;
  /** The handler's instance tag (PodNetwork.tag): part of its bridges' names. */
  readonly handlerTag: string;
  /** tuning's backup directory (paths.ts). */
  readonly tuningDataDir: string;
}

/** A Subnet bridge a pod's network uses (recorded, so the node's release removes it). */
export interface KubeOvnBridge {
  readonly bridge: string;
  readonly subnet: string;
  readonly cidr: string;
  readonly gateway: string;
  /** A VLAN underlay's bridge (`vkvl<hash>`): the VLAN and ProviderNetwork it carries. */
  readonly underlay?: KubeOvnUnderlay;
}

/** The configuration list of one Kube-OVN interface, and the bridge it puts the pod on. */
export interface KubeOvnNetwork {
  readonly list: NetworkConfigList;
  readonly bridge: KubeOvnBridge;
  readonly allocation: KubeOvnAllocation;
}

/** A provider name is part of annotation keys: DNS-subdomain characters only. */
const PROVIDER = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function networkOf(
  ctx: KubeOvnContext,
  a: KubeOvnAllocation,
  role: 'default' | 'attachment',
): KubeOvnNetwork {
  // An overlay Subnet has its own bridge; the Subnets of one VLAN share the VLAN's.
  const bridge = a.underlay
    ? kubeOvnVlanBridgeName(ctx.handlerTag, a.underlay.providerNetwork, a.underlay.vlanId)
    : kubeOvnBridgeName(ctx.handlerTag, a.subnet);
  const list = kubeOvnNetworkList(a, {
    bridge,
    role,
    tuningDataDir: ctx.tuningDataDir,
    source: `Kube-OVN allocation of pod ${ctx.pod.namespace}/${ctx.pod.name} (provider ${a.provider}, subnet ${a.subnet})`,
  });
  return {
    list,
    bridge: {
      bridge,
      subnet: a.subnet,
      cidr: a.cidr,
      gateway: a.gateway,
      ...(a.underlay ? { underlay: a.underlay } : {}),
    },
    allocation: a,
  };
}

/**
 * The pod's default network from its `ovn` allocation, or undefined when the pod has none (the
 * node's default network then wires eth0). Throws the errors of readAllocation.
 */
export function kubeOvnDefaultNetwork(ctx: KubeOvnContext): KubeOvnNetwork | undefined {
  const a = readAllocation(ctx.pod, OVN_PROVIDER);
  return a ? networkOf(ctx, a, 'default') : undefined;
}

/** Whether a NetworkAttachmentDefinition's configuration is Kube-OVN's. */
export function isKubeOvnConfig(list: NetworkConfigList): boolean {
  return list.plugins.some((p) => p.type === KUBE_OVN_CNI_TYPE);
}

/**
 * The provider of a kube-ovn NetworkAttachmentDefinition: its config's `provider`, else
 * `<nad>.<namespace>.ovn`. Throws CniConfigError for a list that chains kube-ovn with other
 * plugins or a provider that cannot be part of an annotation key.
 */
export function nadProvider(list: NetworkConfigList, ref: NadReference): string {
  if (list.plugins.length !== 1)
    throw new CniConfigError(list.source, [
      {
        path: '$.plugins',
        value: list.plugins.map((p) => p.type),
        message: 'chains kube-ovn with other plugins, which virtkit does not run',
        fix: 'give the kube-ovn configuration alone: {"cniVersion": "0.3.1", "type": "kube-ovn", "provider": ...}',
      },
    ]);
  const provider = list.plugins[0].provider;
  if (provider === undefined || provider === '') return attachmentProvider(ref.name, ref.namespace);
  if (typeof provider !== 'string' || !PROVIDER.test(provider) || provider.length > 253)
    throw new CniConfigError(list.source, [
      {
        path: '$.provider',
        value: provider,
        message: 'is not a Kube-OVN provider name',
        fix: `use <nad>.<namespace>.ovn, here ${attachmentProvider(ref.name, ref.namespace)}`,
      },
    ]);
  return provider;
}

/**
 * The list that replaces a kube-ovn NetworkAttachmentDefinition's configuration, or undefined
 * when the NAD is not Kube-OVN's. `role` is `default` when Multus's default-network names it.
 * Throws AddressNotAllocatedError when the pod has no allocation of the NAD's provider.
 */
export function kubeOvnNadNetwork(
  ctx: KubeOvnContext,
  ref: NadReference,
  list: NetworkConfigList,
  role: 'default' | 'attachment',
): KubeOvnNetwork | undefined {
  if (!isKubeOvnConfig(list)) return undefined;
  const provider = nadProvider(list, ref);
  const a = readAllocation(ctx.pod, provider);
  if (!a)
    throw new AddressNotAllocatedError(
      ctx.pod,
      provider,
      kubeOvnAnnotationKey(provider, KUBE_OVN_KEYS.allocated),
      `NetworkAttachmentDefinition ${ref.namespace}/${ref.name}`,
    );
  return networkOf(ctx, a, role);
}
