import { nodeNetworkCommands, nodeNetworkNames, nodeNetworkTeardown } from './node-network';

const spec = {
  name: 'n1',
  hostIp: '10.250.1.1',
  nodeIp: '10.250.1.2',
  podCidr: '10.251.1.0/24',
  apiServerPort: 6443,
};

test("a node's namespace, link, addresses, routes and API server rule, in order", () => {
  const { netns, hostLink } = nodeNetworkNames('n1');
  // Only the node's link, only the API server's port, to the host's loopback.
  const rule = [
    'PREROUTING',
    '-i',
    hostLink,
    '-d',
    // The API server's address for nodes and pods, not the host's end of the link.
    '10.250.0.1',
    '-p',
    'tcp',
    '--dport',
    '6443',
    '-m',
    'comment',
    '--comment',
    'virtkit node n1: the API server',
    '-j',
    'DNAT',
    '--to-destination',
    '127.0.0.1:6443',
  ];
  expect(netns).toBe('vkn-n1');
  expect(hostLink).toMatch(/^vkh[0-9a-f]{8}$/);
  expect(hostLink.length).toBeLessThanOrEqual(15);
  expect(nodeNetworkCommands(spec)).toEqual([
    ['ip', 'netns', 'add', 'vkn-n1'],
    ['ip', 'link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'vkn-n1'],
    ['ip', 'addr', 'add', '10.250.1.1/24', 'dev', hostLink],
    ['ip', 'link', 'set', hostLink, 'up'],
    ['ip', '-n', 'vkn-n1', 'link', 'set', 'lo', 'up'],
    ['ip', '-n', 'vkn-n1', 'addr', 'add', '10.250.1.2/24', 'dev', 'eth0'],
    ['ip', '-n', 'vkn-n1', 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', 'vkn-n1', 'route', 'add', 'default', 'via', '10.250.1.1'],
    ['nsenter', '--net=/run/netns/vkn-n1', 'sysctl', '-qw', 'net.ipv4.ip_forward=1'],
    ['ip', 'route', 'add', '10.251.1.0/24', 'via', '10.250.1.2', 'dev', hostLink],
    ['sysctl', '-qw', 'net.ipv4.ip_forward=1'],
    ['sysctl', '-qw', `net.ipv4.conf.${hostLink}.route_localnet=1`],
    ['iptables', '-t', 'nat', '-A', ...rule],
  ]);
  // The same rule is what teardown deletes, before the link and namespace go.
  expect(nodeNetworkTeardown(spec)).toEqual([
    ['iptables', '-t', 'nat', '-D', ...rule],
    ['ip', 'link', 'del', hostLink],
    ['ip', 'netns', 'del', 'vkn-n1'],
  ]);
});
