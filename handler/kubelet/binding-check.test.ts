import { bindingProblems, checkedBindings } from './binding-check';

const masquerade = {
  kind: 'masquerade',
  podInterface: 'eth0',
  bridge: 'k6t-eth0',
  tap: 'tap0',
  mtu: 1500,
  guestMac: '52:54:00:23:d2:a7',
  guest: { ip: '10.0.2.2', prefixLength: 24 },
  serverIp: '10.0.2.1',
  gateway: '10.0.2.1',
  routes: [],
  ports: [{ protocol: 'tcp', port: 80 }],
  hostname: 'guest',
  dns: { nameservers: ['10.96.0.10'], searches: [] },
};

test('a binding the planner makes passes', () => {
  expect(bindingProblems(masquerade, 'bindings[0]')).toEqual([]);
  expect(checkedBindings({ bindings: [masquerade] }, 'pod default/p')).toEqual([masquerade]);
});

test('anything that would reach past the pod namespace or into the nft ruleset is refused, naming the field', () => {
  const hostile = {
    ...masquerade,
    podInterface: 'eth0"; flush ruleset; "',
    bridge: 'br0',
    tap: 'eth1',
    mtu: 10,
    guestMac: 'zz',
    guest: { ip: '10.0.2.2 counter accept', prefixLength: 24 },
    ports: [{ protocol: 'icmp', port: 1 }],
    hostname: 'a b',
  };
  expect(bindingProblems(hostile, 'bindings[0]')).toEqual([
    'bindings[0].podInterface = "eth0\\"; flush ruleset; \\"": an interface name (a-z, 0-9, -; at most 15)',
    'bindings[0].bridge = "br0": a bridge named k6t-*',
    'bindings[0].tap = "eth1": a tap named tap*',
    'bindings[0].mtu = 10: a whole number 68..65535',
    'bindings[0].guestMac = "zz": a lower-case MAC address',
    'bindings[0].guest = {"ip":"10.0.2.2 counter accept","prefixLength":24}: an IPv4 address with its prefix length',
    'bindings[0].ports = [{"protocol":"icmp","port":1}]: a list of {protocol: tcp|udp, port: 1..65535, end?: port..65535}',
    'bindings[0].hostname = "a b": a host name',
  ]);
  expect(() => checkedBindings({ bindings: [hostile] }, 'pod default/p')).toThrow(
    /^pod default\/p: refused network request: bindings\[0\]\.podInterface/,
  );
  expect(() => checkedBindings({}, 'pod default/p')).toThrow(
    'pod default/p: the network request has no bindings list',
  );
  expect(bindingProblems({ ...masquerade, guest: undefined }, 'b')).toEqual([
    'b.guest = undefined: an address (masquerade always has one)',
  ]);
});
