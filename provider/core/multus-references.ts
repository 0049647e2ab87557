/**
 * The pure half of the check that a VM's Multus networks exist (network-check.ts reads the
 * cluster): which networks of a VM spec name a NetworkAttachmentDefinition, which of those the
 * program wires from another resource's output (and so vouches for itself), and what to say
 * about a network that is missing or could not be checked.
 */
import * as pulumi from '@pulumi/pulumi';
import { error, field, index, show, warning, type Issue } from '../../api';
import { nadReference } from '../../api/multus/pod-interfaces';

/** One `spec.template.spec.networks[i]` with a Multus source. */
export interface MultusReference {
  /** Its position in `spec.template.spec.networks`. */
  readonly index: number;
  /** The field, as issues name it: `spec.template.spec.networks[1].multus.networkName`. */
  readonly path: string;
  /** The value as written: `name` or `namespace/name`. */
  readonly networkName: string;
}

const NETWORKS_PATH = 'spec.template.spec.networks';

type Node = Record<string, unknown>;
const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null;

/** The Multus networks of a VirtualMachine spec (a rendered, plain one), in spec order. */
export function multusReferences(spec: unknown): MultusReference[] {
  const template = isObject(spec) ? spec.template : undefined;
  const vmi = isObject(template) ? template.spec : undefined;
  const networks = isObject(vmi) ? vmi.networks : undefined;
  if (!Array.isArray(networks)) return [];
  return networks.flatMap((n: unknown, i): MultusReference[] => {
    const multus = isObject(n) ? n.multus : undefined;
    const networkName = isObject(multus) ? multus.networkName : undefined;
    if (typeof networkName !== 'string' || !networkName) return [];
    return [{ index: i, path: field(field(index(NETWORKS_PATH, i), 'multus'), 'networkName'), networkName }];
  });
}

/** The NetworkAttachmentDefinition a reference names: its own namespace, else the VM's, else the default one. */
export function networkOf(
  ref: MultusReference,
  vmNamespace: string | undefined,
  defaultNamespace: string,
): { namespace: string; name: string } {
  return nadReference(ref.networkName, vmNamespace || defaultNamespace);
}

/** True for an output that depends on resources (another resource's output, or a value derived from one). */
function fromResources(value: unknown): boolean {
  if (!pulumi.Output.isInstance(value)) return false;
  // Output#resources is public at run time but left out of the typings.
  const resources = (value as unknown as { resources?: () => Set<unknown> }).resources;
  return typeof resources === 'function' && resources.call(value).size > 0;
}

/**
 * The networks of a spec, as the program gives it (plain values, outputs at any depth), whose
 * `multus.networkName` comes from another resource's output: `all` when an output of that kind
 * holds the networks as a whole (or the template around them). The program then names the
 * resource the network comes from (a NetworkAttachmentDefinition it creates, a MultusNetwork's
 * `networkName`), and Pulumi creates that first: the check leaves such networks alone. An output
 * of no resource (`pulumi.output(...)`, a promise) says nothing of the kind and is checked once
 * it resolves.
 */
export function networksFromResources(spec: unknown): 'all' | ReadonlySet<number> {
  let node: unknown = spec;
  for (const key of ['template', 'spec', 'networks']) {
    if (fromResources(node)) return 'all';
    if (!isObject(node)) return new Set();
    node = node[key];
  }
  if (fromResources(node)) return 'all';
  if (!Array.isArray(node)) return new Set();
  const wired = new Set<number>();
  node.forEach((network: unknown, i) => {
    const multus = isObject(network) ? network.multus : undefined;
    const name = isObject(multus) ? multus.networkName : undefined;
    if ([network, multus, name].some(fromResources)) wired.add(i);
  });
  return wired;
}

/** What became of one network's check. */
export type NetworkLookup =
  /** The cluster has it. */
  | { readonly kind: 'exists' }
  /** A component of this program declares it. */
  | { readonly kind: 'declared' }
  /** Neither; `kindServed` false when the cluster serves no NetworkAttachmentDefinition at all. */
  | { readonly kind: 'missing'; readonly kindServed: boolean }
  /** The cluster could not say (unreachable, no configuration, RBAC): `why`. */
  | { readonly kind: 'unchecked'; readonly why: string };

/** One network, the object it names, and what its check found. */
export interface NetworkFinding {
  readonly ref: MultusReference;
  readonly network: { readonly namespace: string; readonly name: string };
  readonly lookup: NetworkLookup;
}

/**
 * The report on a VM's networks: an error for each network that does not exist, naming the
 * field, the value, the object it names and the fix; a warning for each that could not be
 * checked, saying why.
 */
export function networkIssues(findings: readonly NetworkFinding[]): Issue[] {
  return findings.flatMap(({ ref, network, lookup }): Issue[] => {
    const nad = `NetworkAttachmentDefinition ${network.namespace}/${network.name}`;
    const value = `networkName ${show(ref.networkName)}`;
    switch (lookup.kind) {
      case 'missing':
        return [
          error(
            ref.path,
            lookup.kindServed
              ? `${value} names ${nad}, which does not exist; create it first (kubectl get network-attachment-definitions -n ${network.namespace} lists those that do), or declare it in this program: a virtkit MultusNetwork component with name ${network.name} and namespace ${network.namespace}, or a NetworkAttachmentDefinition resource whose name this field takes from its output`
              : `${value} names ${nad}, but the cluster serves no k8s.cni.cncf.io/v1 NetworkAttachmentDefinition (Multus's CRD is not installed); install Multus, or virtkit's network CRDs (the Install component's withNetworkCrds, or \`virtkit crds --with-network-crds\`), and create ${network.namespace}/${network.name}`,
            'network-exists',
          ),
        ];
      case 'unchecked':
        return [
          warning(ref.path, `did not check that ${nad} (${value}) exists: ${lookup.why}`, 'network-exists'),
        ];
      default:
        return [];
    }
  });
}
