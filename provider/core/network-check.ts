/**
 * That the Multus networks a VM names exist, checked before the VM is registered (at preview as
 * at up), so a typo fails the preview instead of leaving a VM whose pod never starts. A network
 * counts as existing when a component of this program declares it (network-registry.ts) or the
 * cluster has it (a GET of the NetworkAttachmentDefinition, through the cluster the default
 * Kubernetes provider uses). Only the cluster's 404 makes a missing network: when the cluster
 * cannot say (no configuration, unreachable, RBAC), the network is reported as not checked.
 *
 * The decisions and the messages are multus-references.ts's; this file does the reading.
 */
import type { Issue } from '../../api';
import { errorMessage, isAuthFailure, KubeApiError, NETWORK_ATTACHMENT_DEFINITIONS } from '../../kube';
import { clusterSettings, connectCluster, type ClusterSettings } from './cluster';
import { isPlain } from './inputs';
import {
  multusReferences,
  networkIssues,
  networkOf,
  networksFromResources,
  type NetworkFinding,
  type NetworkLookup,
} from './multus-references';
import { isDeclared, whenDeclared, type NetworkRef } from './network-registry';

/** How long one read of the cluster may take before the network is reported as not checked. */
export const LOOKUP_TIMEOUT_MS = 10_000;

/**
 * How long a network found neither in the program nor in the cluster may still be declared by
 * a component of the program constructed at the same time (see network-registry.ts).
 */
export const DECLARE_GRACE_MS = 1_000;

/** The cluster's networks, as one check reads them. */
export interface ClusterNetworks {
  /** The namespace of objects that name none (the provider's, the context's, else `default`). */
  readonly defaultNamespace: string;
  /** Whether the cluster has this NetworkAttachmentDefinition; never rejects. */
  lookup(network: { namespace: string; name: string }): Promise<NetworkLookup>;
  close(): void;
}

/** Opens the cluster's networks for one check: readClusterNetworks, or a stand-in (useNetworkReader). */
export type NetworkReader = (cluster: ClusterSettings) => ClusterNetworks;

/** A read that never got an answer: the network is not checked, for this reason. */
function unchecked(why: string): NetworkLookup {
  return { kind: 'unchecked', why };
}

/** The answer of a GET that failed: 404 is missing, anything else leaves the network unchecked. */
export function lookupFailure(err: unknown): NetworkLookup {
  if (err instanceof KubeApiError && err.status === 404)
    // A missing object's 404 names it; a kind the server does not serve answers this instead.
    return { kind: 'missing', kindServed: !/could not find the requested resource/.test(err.serverMessage) };
  // 401 / 403: the message says who may not do what, and the fix.
  if (isAuthFailure(err)) return unchecked(`the cluster refused the read: ${errorMessage(err)}`);
  return unchecked(`cannot read it from the cluster: ${errorMessage(err)}`);
}

/** The real reader: GETs through the default Kubernetes provider's cluster. */
export function readClusterNetworks(cluster: ClusterSettings): ClusterNetworks {
  let connection: ReturnType<typeof connectCluster>;
  try {
    connection = connectCluster(cluster);
  } catch (e) {
    // No configuration to be found: nothing can be checked.
    const why = `no cluster configuration: ${errorMessage(e)}`;
    return {
      defaultNamespace: cluster.namespace || 'default',
      lookup: () => Promise.resolve(unchecked(why)),
      close: () => undefined,
    };
  }
  const { client, close } = connection;
  return {
    defaultNamespace: client.namespace,
    async lookup(network) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<NetworkLookup>((resolve) => {
        timer = setTimeout(
          () =>
            resolve(
              unchecked(
                `the cluster did not answer within ${LOOKUP_TIMEOUT_MS / 1000} s (${client.config.server})`,
              ),
            ),
          LOOKUP_TIMEOUT_MS,
        );
      });
      const read = client.get(NETWORK_ATTACHMENT_DEFINITIONS, network.namespace, network.name).then(
        (): NetworkLookup => ({ kind: 'exists' }),
        (e: unknown) => lookupFailure(e),
      );
      try {
        return await Promise.race([read, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close,
  };
}

let reader: NetworkReader = readClusterNetworks;

/**
 * Replace how components read the cluster's networks: for unit tests under Pulumi's mocks,
 * where no cluster exists (provider/testing/mocks.ts installs a stand-in). Without an argument,
 * readClusterNetworks again.
 */
export function useNetworkReader(stand?: NetworkReader): void {
  reader = stand ?? readClusterNetworks;
}

/** What a VM's network check needs besides its manifest. */
export interface NetworkCheckOptions {
  /** The cluster to read (core/cluster.ts's clusterSettings()). */
  readonly cluster: ClusterSettings;
  /** Networks the program wires from other resources' outputs (networksFromResources): not checked. */
  readonly fromResources: 'all' | ReadonlySet<number>;
  /** @default DECLARE_GRACE_MS */
  readonly graceMs?: number;
}

/** A VM manifest, as far as the check reads it. */
export interface VmManifest {
  readonly metadata: { readonly namespace?: string };
  readonly spec?: unknown;
}

/**
 * Check the Multus networks of a rendered VM: an error issue for each that does not exist, a
 * warning issue for each that could not be checked. Nothing is read when the VM names none.
 */
export async function checkMultusNetworks(
  manifest: VmManifest,
  options: NetworkCheckOptions,
): Promise<Issue[]> {
  const wired = options.fromResources;
  const refs = multusReferences(manifest.spec).filter((r) => wired !== 'all' && !wired.has(r.index));
  if (!refs.length) return [];
  const cluster = reader(options.cluster);
  try {
    const defaultNamespace = cluster.defaultNamespace;
    // One read per object, however many networks name it.
    const reads = new Map<string, Promise<NetworkLookup>>();
    const lookup = async (network: { namespace: string; name: string }): Promise<NetworkLookup> => {
      const ref: NetworkRef = network;
      if (isDeclared(ref, defaultNamespace)) return { kind: 'declared' };
      const found = await cluster.lookup(network);
      if (found.kind !== 'missing') return found;
      const late = await whenDeclared(ref, defaultNamespace, options.graceMs ?? DECLARE_GRACE_MS);
      return late ? { kind: 'declared' } : found;
    };
    const findings = await Promise.all(
      refs.map(async (ref): Promise<NetworkFinding> => {
        const network = networkOf(ref, manifest.metadata.namespace, defaultNamespace);
        const key = `${network.namespace}/${network.name}`;
        if (!reads.has(key)) reads.set(key, lookup(network));
        return { ref, network, lookup: await reads.get(key)! };
      }),
    );
    return networkIssues(findings);
  } finally {
    cluster.close();
  }
}

/**
 * Whether a VM's spec (as the program gives it) may name a Multus network to check: not when
 * it is plain and names none, so such a VM is registered without waiting on a check.
 */
export function vmNeedsNetworkCheck(spec: unknown): boolean {
  return !isPlain(spec) || multusReferences(spec).length > 0;
}

/**
 * A VirtualMachine's check before it is registered, for its spec as the program gives it (plain
 * values, outputs at any depth): the cluster settings and the networks wired from other
 * resources are taken now, while the program (or the Construct request) runs.
 */
export function vmNetworkCheck(spec: unknown): (manifest: VmManifest) => Promise<Issue[]> {
  const options = { cluster: clusterSettings(), fromResources: networksFromResources(spec) };
  return (manifest) => checkMultusNetworks(manifest, options);
}
