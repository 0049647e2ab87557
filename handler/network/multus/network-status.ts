/**
 * Multus's `k8s.v1.cni.cncf.io/network-status` annotation from a set-up pod network (pure): one
 * entry per attachment, in ADD order, with the addresses and MAC of its interface inside the
 * pod, `default: true` on the default network (eth0) only, and the DNS its result gave.
 */
import type { PodNetworkStatus } from '../cni/pod-network';
import type { CniDns } from '../cni/types';

/** One entry of network-status, in Multus's field names. */
export interface NetworkStatusEntry {
  /** The cluster network's name for the default one, `<namespace>/<name>` of a NetworkAttachmentDefinition. */
  readonly name: string;
  readonly interface: string;
  readonly ips?: readonly string[];
  readonly mac?: string;
  readonly default?: boolean;
  readonly dns: CniDns;
}

export function networkStatusEntries(status: PodNetworkStatus): NetworkStatusEntry[] {
  return status.attachments.map((a) => ({
    name: a.name,
    interface: a.ifName,
    ...(a.ips.length > 0 ? { ips: [...a.ips] } : {}),
    ...(a.mac !== undefined ? { mac: a.mac } : {}),
    ...(a.default ? { default: true } : {}),
    dns: { ...a.result.dns },
  }));
}

/** The annotation's value: the entries as JSON. */
export function networkStatusAnnotation(entries: readonly NetworkStatusEntry[]): string {
  return JSON.stringify(entries);
}
