/**
 * A kubelet node's own network namespace: `vkn-<name>`, joined to the host by a veth pair (the
 * host's end `vkh<hash>` holds `hostIp`, the node's end `eth0` holds `nodeIp`, the node's default
 * route goes through the host), a host route to the node's pod CIDR through the node, and
 * forwarding on in both (so pods on different nodes reach each other through the host). The
 * node's daemons run in it (and in the node's mount namespace) through `nsenter --net --mount`
 * (./node-mounts.ts `inNode`; not `ip netns exec`, which would remount /sys and hide the cgroup
 * hierarchies kubelet needs).
 *
 * kube-apiserver listens on the host's 127.0.0.1 only, which a namespace cannot reach: the host
 * rewrites the node's connections to `API_SERVER_VIP:<API server port>` (an address no interface
 * holds, routed to the host by the node's default route; the cluster's `kubernetes` Service
 * endpoint with `--runtime kubelet`) to 127.0.0.1 (a DNAT rule in
 * PREROUTING for the node's link only, which `route_localnet` on that link allows), so no process
 * has to stay up for it; the node checks the certificate against the name `kubernetes`, which
 * the certificate carries.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import { API_SERVER_VIP } from './slots';

export interface NodeNetworkSpec {
  readonly name: string;
  /** The host's end of the link, and the node's address (kubelet's node IP), in one /24. */
  readonly hostIp: string;
  readonly nodeIp: string;
  /** Routed from the host to the node. */
  readonly podCidr: string;
  /** kube-apiserver's port on the host's 127.0.0.1, reachable from the node at API_SERVER_VIP. */
  readonly apiServerPort: number;
}

/** Names of a node's namespace and host-side link (pure). */
export function nodeNetworkNames(name: string): { netns: string; hostLink: string } {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return { netns: `vkn-${name}`, hostLink: `vkh${hash}` };
}

/** The DNAT rule that takes the node's API server connections to the host's loopback (pure). */
function apiServerRule(s: NodeNetworkSpec, hostLink: string): string[] {
  return [
    'PREROUTING',
    '-i',
    hostLink,
    '-d',
    API_SERVER_VIP,
    '-p',
    'tcp',
    '--dport',
    String(s.apiServerPort),
    '-m',
    'comment',
    '--comment',
    `virtkit node ${s.name}: the API server`,
    '-j',
    'DNAT',
    '--to-destination',
    `127.0.0.1:${s.apiServerPort}`,
  ];
}

/** The commands that make the namespace, link, addresses, routes and rule (pure), in order. */
export function nodeNetworkCommands(s: NodeNetworkSpec): string[][] {
  const { netns, hostLink } = nodeNetworkNames(s.name);
  const inNs = (...args: string[]): string[] => ['ip', '-n', netns, ...args];
  return [
    ['ip', 'netns', 'add', netns],
    ['ip', 'link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns],
    ['ip', 'addr', 'add', `${s.hostIp}/24`, 'dev', hostLink],
    ['ip', 'link', 'set', hostLink, 'up'],
    inNs('link', 'set', 'lo', 'up'),
    inNs('addr', 'add', `${s.nodeIp}/24`, 'dev', 'eth0'),
    inNs('link', 'set', 'eth0', 'up'),
    inNs('route', 'add', 'default', 'via', s.hostIp),
    // The node routes between its link and its pods' bridge.
    ['nsenter', `--net=/run/netns/${netns}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
    ['ip', 'route', 'add', s.podCidr, 'via', s.nodeIp, 'dev', hostLink],
    // The host routes between nodes (a pod on one node reaching a pod on another), as local
    // mode's bridges already have it do.
    ['sysctl', '-qw', 'net.ipv4.ip_forward=1'],
    // The API server, on the host's loopback, for this node's link only.
    ['sysctl', '-qw', `net.ipv4.conf.${hostLink}.route_localnet=1`],
    ['iptables', '-t', 'nat', '-A', ...apiServerRule(s, hostLink)],
  ];
}

/** The rule goes; removing the namespace removes the veth pair, its addresses and the route. */
export function nodeNetworkTeardown(s: NodeNetworkSpec): string[][] {
  const { netns, hostLink } = nodeNetworkNames(s.name);
  return [
    ['iptables', '-t', 'nat', '-D', ...apiServerRule(s, hostLink)],
    ['ip', 'link', 'del', hostLink],
    ['ip', 'netns', 'del', netns],
  ];
}

export class NodeNetworkError extends Error {}

/** Make the node's network; on a failure, undo what was made and say which command failed. */
export function setUpNodeNetwork(s: NodeNetworkSpec): void {
  for (const cmd of nodeNetworkCommands(s)) {
    try {
      execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      tearDownNodeNetwork(s);
      const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? '';
      throw new NodeNetworkError(`node ${s.name}: \`${cmd.join(' ')}\` failed: ${stderr || String(err)}`);
    }
  }
}

export function tearDownNodeNetwork(s: NodeNetworkSpec): void {
  for (const cmd of nodeNetworkTeardown(s))
    try {
      execFileSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
    } catch {
      // not there
    }
}
