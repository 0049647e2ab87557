/**
 * Which Subnet an interface takes its address from, as Kube-OVN selects it (pure):
 *
 * - either: the pod's `<provider>.kubernetes.io/logical_switch`, else the Subnet of the IPPool its
 *   `<provider>.kubernetes.io/ip_pool` names;
 * - default network (provider `ovn`): the pod's `ovn.kubernetes.io/logical_switch`, else a subnet
 *   whose `spec.namespaces` lists the pod's namespace, else the subnet with `spec.default: true`;
 *   none of these means Kube-OVN does not manage the pod's network (virtkit's node network does);
 * - attachment (provider `<nad>.<ns>.ovn`): the pod's `<provider>.kubernetes.io/logical_switch`,
 *   else the subnet whose `spec.provider` is the provider, else the pod's default subnet.
 *
 * Kube-OVN's subnet controller mirrors `spec.namespaces` into the namespace's logical_switch
 * annotation; virtkit reads `spec.namespaces` itself. Among several candidates the first by name
 * wins, so the choice does not depend on list order.
 */
import type { IPPool, Subnet } from '../v1';
import { KubeOvnAddressError } from './errors';
import { KUBE_OVN_KEYS, kubeOvnAnnotationKey, OVN_PROVIDER } from './keys';
import { poolSubnetName } from './pools';

export interface SubnetSelection {
  readonly provider: string;
  /** The pod's (VMI's) annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  readonly namespace: string;
  readonly subnets: readonly Subnet[];
  /** Every IPPool: an ip_pool annotation naming one picks that pool's Subnet. */
  readonly pools?: readonly IPPool[];
}

const byName = (a: Subnet, b: Subnet) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

function providerOf(s: Subnet): string {
  return s.spec?.provider || OVN_PROVIDER;
}

/** The default network's subnet, or undefined when Kube-OVN manages none for this namespace. */
function defaultSubnet(namespace: string, subnets: readonly Subnet[]): Subnet | undefined {
  const candidates = subnets.filter((s) => providerOf(s) === OVN_PROVIDER && !s.metadata?.deletionTimestamp);
  const own = candidates.filter((s) => (s.spec?.namespaces ?? []).includes(namespace)).sort(byName);
  if (own.length) return own[0];
  return candidates.filter((s) => s.spec?.default === true).sort(byName)[0];
}

/** The subnet of `provider`'s interface; throws SubnetNotFound when a named one is missing. */
export function selectSubnet(sel: SubnetSelection): Subnet | undefined {
  const key = kubeOvnAnnotationKey(sel.provider, KUBE_OVN_KEYS.logicalSwitch);
  const named = sel.annotations[key]?.trim();
  if (named) {
    const s = sel.subnets.find((x) => x.metadata?.name === named);
    if (!s)
      throw new KubeOvnAddressError(
        'SubnetNotFound',
        `annotation ${key} names Subnet ${JSON.stringify(named)}, which does not exist; create it or name an existing Subnet`,
      );
    return s;
  }
  const ofPool = poolSubnetName(sel.provider, sel.annotations, sel.pools ?? []);
  if (ofPool !== undefined) {
    const s = sel.subnets.find((x) => x.metadata?.name === ofPool);
    if (!s)
      throw new KubeOvnAddressError(
        'SubnetNotFound',
        `annotation ${kubeOvnAnnotationKey(sel.provider, KUBE_OVN_KEYS.ipPool)} names an IPPool of Subnet ${JSON.stringify(ofPool)}, which does not exist; create the Subnet or fix the IPPool's spec.subnet`,
      );
    return s;
  }
  if (sel.provider === OVN_PROVIDER) return defaultSubnet(sel.namespace, sel.subnets);
  const own = sel.subnets.filter((s) => s.spec?.provider === sel.provider).sort(byName);
  if (own.length) return own[0];
  const fallback = defaultSubnet(sel.namespace, sel.subnets);
  if (fallback) return fallback;
  throw new KubeOvnAddressError(
    'SubnetNotFound',
    `no Subnet has spec.provider ${JSON.stringify(sel.provider)} and no default subnet serves namespace ${sel.namespace}; ` +
      `create a Subnet with spec.provider: ${sel.provider}, or set annotation ${key}`,
  );
}
