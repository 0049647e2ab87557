import type { PlannedBinding } from '../plan/types';
import { leaseOf } from './bind';
import { BLOCK_MIGRATION_PORT, MIGRATION_PORT } from '../api/protocol';
import { bindingSteps, masqueradeRuleset, MIGRATION_RESERVED_PORTS, NAT_TABLE } from './binding-steps';

const masquerade: PlannedBinding = {
  kind: 'masquerade',
  podInterface: 'eth0',
  bridge: 'k6t-eth0',
  tap: 'tap0',
  mtu: 1450,
  guestMac: '52:54:00:12:34:56',
  guest: { ip: '10.0.2.2', prefixLength: 24 },
  serverIp: '10.0.2.1',
  gateway: '10.0.2.1',
  routes: [],
  ports: [],
  hostname: 'web',
  dns: { nameservers: ['10.96.0.10'], searches: ['prod.svc.cluster.local'] },
};

const bridge: PlannedBinding = {
  ...masquerade,
  kind: 'bridge',
  guestMac: '0a:58:0a:f4:01:05',
  guest: { ip: '10.244.1.5', prefixLength: 24 },
  podAddress: { ip: '10.244.1.5', prefixLength: 24 },
  podMac: '02:11:22:33:44:55',
  serverIp: '169.254.75.10',
  gateway: '10.244.1.1',
  routes: [{ destination: '10.96.0.0', prefixLength: 12, gateway: '10.244.1.1' }],
};

const line = (s: ReturnType<typeof bindingSteps>[number]): string =>
  s.kind === 'ip' ? `ip ${s.args.join(' ')}` : s.kind === 'sysctl' ? `${s.path}=${s.value}` : 'nft -f -';

describe('binding steps', () => {
  it('a multi-queue binding makes its tap multi_queue', () => {
    expect(bindingSteps({ ...masquerade, queues: 4 }, { uid: 107, gid: 107 }).map(line)).toContain(
      'ip tuntap add dev tap0 mode tap user 107 group 107 multi_queue',
    );
  });

  it("masquerade: bridge with the gateway address and KubeVirt's fixed MAC, a tap QEMU owns, forwarding, NAT, the guest neighbour", () => {
    expect(bindingSteps(masquerade, { uid: 107, gid: 107 }).map(line)).toEqual([
      'ip link add k6t-eth0 address 02:00:00:00:00:00 type bridge',
      'ip link set dev k6t-eth0 mtu 1450',
      'ip addr add 10.0.2.1/24 dev k6t-eth0',
      'ip tuntap add dev tap0 mode tap user 107 group 107',
      'ip link set dev tap0 mtu 1450',
      'ip link set dev tap0 master k6t-eth0',
      'ip link set dev tap0 up',
      'ip link set dev k6t-eth0 up',
      'ip neigh replace 10.0.2.2 lladdr 52:54:00:12:34:56 dev k6t-eth0 nud permanent',
      '/proc/sys/net/ipv4/ip_forward=1',
      'nft -f -',
    ]);
  });

  it('masquerade NAT: everything from the pod interface goes to the guest, what the guest sends leaves as the pod', () => {
    const rules = masqueradeRuleset(masquerade);
    expect(rules).toContain(`table ip ${NAT_TABLE} {`);
    expect(rules).toMatch(
      /chain prerouting \{\s+type nat hook prerouting priority -100; policy accept;\s+iifname "eth0" counter jump KUBEVIRT_PREINBOUND/,
    );
    expect(rules).toMatch(
      /chain KUBEVIRT_PREINBOUND \{\s+tcp dport \{ 49152, 49153 \} counter return\s+counter dnat to 10\.0\.2\.2\s+\}/,
    );
    expect(rules).toMatch(/oifname "eth0" ip saddr 10\.0\.2\.2 counter masquerade/);
  });

  it('masquerade NAT with ports: only those (and ranges) go to the guest', () => {
    const rules = masqueradeRuleset({
      ...masquerade,
      ports: [
        { protocol: 'tcp', port: 80 },
        { protocol: 'udp', port: 9000, end: 9010 },
      ],
    });
    expect(rules).toContain('meta l4proto tcp th dport 80 counter dnat to 10.0.2.2');
    expect(rules).toContain('meta l4proto udp th dport 9000-9010 counter dnat to 10.0.2.2');
    expect(rules).not.toMatch(/^\s+counter dnat/m);
  });

  it("masquerade NAT keeps KubeVirt's migration ports with the pod, before any forward, even when listed", () => {
    for (const ports of [
      [],
      [{ protocol: 'tcp' as const, port: 49152 }],
      [{ protocol: 'tcp' as const, port: 49000, end: 50000 }],
    ]) {
      const lines = masqueradeRuleset({ ...masquerade, ports }).split('\n');
      const from = lines.indexOf('  chain KUBEVIRT_PREINBOUND {') + 1;
      const rules = lines.slice(from, lines.indexOf('  }', from)).map((l) => l.trim());
      expect(rules.length).toBeGreaterThan(1);
      // The first rule returns the reserved ports: no dnat below can reach them.
      expect(rules[0]).toBe('tcp dport { 49152, 49153 } counter return');
      expect(rules.slice(1).every((r) => r.endsWith('dnat to 10.0.2.2'))).toBe(true);
      expect(rules.filter((r) => r.includes('return'))).toHaveLength(1);
    }
    expect(MIGRATION_RESERVED_PORTS).toEqual([MIGRATION_PORT, BLOCK_MIGRATION_PORT]);
    expect(MIGRATION_RESERVED_PORTS).toEqual([49152, 49153]);
  });

  it('bridge: the pod interface gives up its address and MAC and joins the bridge with the tap', () => {
    expect(bindingSteps(bridge, undefined).map(line)).toEqual([
      'ip link set dev eth0 down',
      'ip addr del 10.244.1.5/24 dev eth0',
      'ip link set dev eth0 address 02:11:22:33:44:55',
      'ip link add k6t-eth0 type bridge',
      'ip link set dev k6t-eth0 mtu 1450',
      'ip link set dev eth0 master k6t-eth0',
      'ip link set dev eth0 type bridge_slave learning off',
      'ip tuntap add dev tap0 mode tap',
      'ip link set dev tap0 mtu 1450',
      'ip link set dev tap0 master k6t-eth0',
      'ip link set dev tap0 up',
      'ip link set dev eth0 up',
      'ip link set dev k6t-eth0 up',
      'ip addr add 169.254.75.10/32 dev k6t-eth0',
      'ip route add 10.244.1.5/32 dev k6t-eth0',
      'ip neigh replace 10.244.1.5 lladdr 0a:58:0a:f4:01:05 dev k6t-eth0 nud permanent',
    ]);
  });

  it('the DHCP lease of each binding', () => {
    expect(leaseOf(masquerade)).toEqual({
      mac: '52:54:00:12:34:56',
      ip: '10.0.2.2',
      prefixLength: 24,
      router: '10.0.2.1',
      dns: ['10.96.0.10'],
      searchDomains: ['prod.svc.cluster.local'],
      domainName: 'prod.svc.cluster.local',
      hostname: 'web',
      mtu: 1450,
      serverId: '10.0.2.1',
    });
    expect(leaseOf(bridge)).toMatchObject({
      ip: '10.244.1.5',
      router: '10.244.1.1',
      serverId: '169.254.75.10',
      routes: bridge.routes,
    });
  });
});
