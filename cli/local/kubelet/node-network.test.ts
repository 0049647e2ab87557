import * as net from 'net';
import { inNodeNetwork, nodeNetworkCommands, nodeNetworkNames, startRelay } from './node-network';

test("a node's namespace, link, addresses and routes, in order", () => {
  const { netns, hostLink } = nodeNetworkNames('n1');
  expect(netns).toBe('vkn-n1');
  expect(hostLink).toMatch(/^vkh[0-9a-f]{8}$/);
  expect(hostLink.length).toBeLessThanOrEqual(15);
  expect(
    nodeNetworkCommands({ name: 'n1', hostIp: '10.250.1.1', nodeIp: '10.250.1.2', podCidr: '10.251.1.0/24' }),
  ).toEqual([
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
  ]);
  // nsenter switches only the network namespace (ip netns exec would remount /sys).
  expect(inNodeNetwork('n1', '/usr/bin/containerd', ['--config', 'c.toml'])).toEqual({
    binary: 'nsenter',
    args: ['--net=/run/netns/vkn-n1', '--', '/usr/bin/containerd', '--config', 'c.toml'],
  });
});

test('the relay carries bytes both ways and closes its connections', async () => {
  const echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const relay = await startRelay('127.0.0.1', {
    host: '127.0.0.1',
    port: (echo.address() as net.AddressInfo).port,
  });
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect(relay.port, '127.0.0.1', () => c.write('ping'));
      c.once('data', (d: Buffer) => (resolve(d.toString()), c.destroy()));
      c.once('error', reject);
    });
    expect(reply).toBe('ping');
  } finally {
    await relay.close();
    echo.close();
  }
  await expect(
    new Promise((resolve, reject) =>
      net.connect(relay.port, '127.0.0.1').once('connect', resolve).once('error', reject),
    ),
  ).rejects.toThrow(/ECONNREFUSED/);
});
