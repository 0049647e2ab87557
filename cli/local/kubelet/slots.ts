/**
 * Addresses of kubelet nodes on this machine. Node slot `s` (1..254) links to the host on
 * 10.250.s.0/24 (host .1, node .2) and gives its pods 10.251.s.0/24, outside local mode's
 * process pod network (10.244.0.0/16). A slot is free while no route to its pod range and no
 * address of its link exists on the host, so two clusters (or a test suite) on one machine pick
 * different slots. The choice is pure; reading what the host uses is ./slots-host.ts's job.
 */

export interface NodeAddresses {
  readonly slot: number;
  /** The host's end of the node's link. */
  readonly hostIp: string;
  /** The node's address (kubelet's node IP). */
  readonly nodeIp: string;
  /** The node's pods, routed by the host through the node. */
  readonly podCidr: string;
}

export const MAX_NODE_SLOT = 254;

/**
 * Where every node (and every pod, through kube-proxy and the `kubernetes` Service) reaches
 * kube-apiserver: slot 0's first address, which no interface holds; the host rewrites it to its
 * loopback, where the API server listens (./node-network.ts).
 */
export const API_SERVER_VIP = '10.250.0.1';

export function nodeAddresses(slot: number): NodeAddresses {
  if (!Number.isInteger(slot) || slot < 1 || slot > MAX_NODE_SLOT)
    throw new RangeError(`kubelet node slot ${slot} is not a whole number from 1 to ${MAX_NODE_SLOT}`);
  return {
    slot,
    hostIp: `10.250.${slot}.1`,
    nodeIp: `10.250.${slot}.2`,
    podCidr: `10.251.${slot}.0/24`,
  };
}

/** What the host already uses: route destinations (`a.b.c.d/n`) and interface addresses. */
export interface HostAddressUse {
  readonly routes: readonly string[];
  readonly addresses: readonly string[];
}

export class NoFreeNodeSlotError extends Error {}

/**
 * The first `count` slots whose link and pod range the host does not use yet, lowest first.
 * A slot counts as used when the host has a route to its pod range, an address in its link, or
 * a route to its link.
 */
export function pickNodeSlots(count: number, used: HostAddressUse): NodeAddresses[] {
  const routes = new Set(used.routes);
  const addresses = new Set(used.addresses);
  const picked: NodeAddresses[] = [];
  for (let slot = 1; slot <= MAX_NODE_SLOT && picked.length < count; slot++) {
    const a = nodeAddresses(slot);
    const link = `10.250.${slot}.0/24`;
    if (routes.has(a.podCidr) || routes.has(link)) continue;
    if (addresses.has(a.hostIp) || addresses.has(a.nodeIp)) continue;
    picked.push(a);
  }
  if (picked.length < count)
    throw new NoFreeNodeSlotError(
      `only ${picked.length} of the ${count} kubelet nodes asked for have free addresses: ` +
        `10.250.<s>.0/24 and 10.251.<s>.0/24 (s = 1..${MAX_NODE_SLOT}) are routed or assigned on this host; ` +
        "stop other clusters with 'virtkit down', or remove the stale routes with 'ip route del'",
    );
  return picked;
}
