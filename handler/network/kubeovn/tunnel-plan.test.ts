import {
  FIRST_OVERLAY_VNI,
  KUBE_OVN_TUNNEL_ANNOTATION,
  isKubeOvnTunnelName,
  kubeOvnTunnelName,
  parseTunnelEndpoint,
  parseTunnelState,
  subnetVni,
  tunnelCommands,
  tunnelPeers,
  tunnelPortOption,
  type TunnelDesired,
  type TunnelDeviceState,
} from './tunnel-plan';

const node = (name: string, value?: string) => ({
  metadata: {
    name,
    ...(value !== undefined ? { annotations: { [KUBE_OVN_TUNNEL_ANNOTATION]: value } } : {}),
  },
});

describe('names and VNIs', () => {
  it("a Subnet bridge's tunnel is its name with a t; anything else is refused", () => {
    expect(kubeOvnTunnelName('vko0123abcd')).toBe('vkot0123abcd');
    expect(isKubeOvnTunnelName('vkot0123abcd')).toBe(true);
    expect(isKubeOvnTunnelName('vko0123abcd')).toBe(false);
    expect(() => kubeOvnTunnelName('vkvl0123abcd')).toThrow(/not a Kube-OVN Subnet bridge name/);
  });

  it('a Subnet has one VNI on every node, above every VLAN id, and Subnets differ', () => {
    expect(subnetVni('blue')).toBe(subnetVni('blue'));
    expect(subnetVni('blue')).not.toBe(subnetVni('green'));
    for (const s of ['a', 'blue', 'ovn-default', 'x'.repeat(119)]) {
      expect(subnetVni(s)).toBeGreaterThanOrEqual(FIRST_OVERLAY_VNI);
      expect(subnetVni(s)).toBeLessThan(2 ** 24);
    }
  });
});

describe('endpoints and peers', () => {
  it('parses <IPv4>:<port> and nothing else', () => {
    expect(parseTunnelEndpoint('10.0.0.5:4789')).toEqual({ ip: '10.0.0.5', port: 4789 });
    for (const bad of [
      undefined,
      '',
      '10.0.0.5',
      '10.0.0.256:4789',
      '10.0.0.5:0',
      '10.0.0.5:65536',
      'fd00::1:4789',
      'host:4789',
    ])
      expect(parseTunnelEndpoint(bad)).toBeUndefined();
  });

  it('the flag takes 0-65535 and names itself otherwise', () => {
    expect(tunnelPortOption('0')).toBe(0);
    expect(tunnelPortOption('4789')).toBe(4789);
    expect(() => tunnelPortOption('70000')).toThrow(
      /--kube-ovn-tunnel-port: "70000" is not a UDP port; give 1-65535, or 0/,
    );
    expect(() => tunnelPortOption('-1')).toThrow(/--kube-ovn-tunnel-port/);
  });

  it("peers are the other nodes' endpoints, each once, without this node's, sorted", () => {
    const self = { nodeName: 'n1', endpoint: { ip: '10.0.0.1', port: 4789 } };
    const peers = tunnelPeers(
      [
        node('n1', '10.0.0.1:4789'),
        node('n3', '10.0.0.3:4789'),
        node('n2', '10.0.0.2:4789'),
        node('n2-again', '10.0.0.2:4789'),
        node('local-twin', '10.0.0.1:4790'),
        node('stale-self', '10.0.0.1:4789'),
        node('bad', 'nonsense'),
        node('none'),
      ],
      self,
    );
    expect(peers).toEqual([
      { ip: '10.0.0.1', port: 4790 },
      { ip: '10.0.0.2', port: 4789 },
      { ip: '10.0.0.3', port: 4789 },
    ]);
  });
});

describe('tunnelCommands', () => {
  const desired: TunnelDesired = {
    bridge: 'vko0123abcd',
    subnet: 'blue',
    local: { ip: '10.0.0.1', port: 4789 },
    mtu: 1500,
    peers: [{ ip: '10.0.0.2', port: 4789 }],
  };
  const vni = subnetVni('blue');
  const synced: TunnelDeviceState = {
    vni,
    local: '10.0.0.1',
    port: 4789,
    learning: false,
    master: 'vko0123abcd',
    mtu: 1500,
    up: true,
    floodTo: [{ ip: '10.0.0.2', port: 4789 }],
  };
  const argv = (cs: ReturnType<typeof tunnelCommands>) => cs.map((c) => [c.program, ...c.args].join(' '));

  it('makes a missing tunnel: a non-learning VXLAN device on the bridge, one flood entry per peer', () => {
    expect(argv(tunnelCommands(desired, undefined))).toEqual([
      `ip link add vkot0123abcd type vxlan id ${vni} local 10.0.0.1 dstport 4789 nolearning`,
      'ip link set vkot0123abcd mtu 1500',
      'ip link set vkot0123abcd master vko0123abcd',
      'ip link set vkot0123abcd up',
      'bridge fdb append 00:00:00:00:00:00 dev vkot0123abcd dst 10.0.0.2 port 4789',
    ]);
  });

  it('does nothing to a tunnel that is as it should be', () => {
    expect(tunnelCommands(desired, synced)).toEqual([]);
  });

  it('follows the peers: a node gone loses its entry, a new one gets one', () => {
    expect(argv(tunnelCommands({ ...desired, peers: [{ ip: '10.0.0.3', port: 4789 }] }, synced))).toEqual([
      'bridge fdb del 00:00:00:00:00:00 dev vkot0123abcd dst 10.0.0.2 port 4789',
      'bridge fdb append 00:00:00:00:00:00 dev vkot0123abcd dst 10.0.0.3 port 4789',
    ]);
  });

  it('makes the device again when its VNI, address, port or learning is wrong', () => {
    for (const wrong of [{ vni: 1 }, { local: '10.0.0.9' }, { port: 4790 }, { learning: true }]) {
      const out = argv(tunnelCommands(desired, { ...synced, ...wrong }));
      expect(out[0]).toBe('ip link delete vkot0123abcd');
      expect(out[1]).toMatch(/^ip link add vkot0123abcd type vxlan/);
      expect(out).toContain('bridge fdb append 00:00:00:00:00:00 dev vkot0123abcd dst 10.0.0.2 port 4789');
    }
  });

  it("puts a device back on its bridge, up, at the bridge's MTU", () => {
    expect(argv(tunnelCommands(desired, { ...synced, master: undefined, up: false, mtu: 1450 }))).toEqual([
      'ip link set vkot0123abcd mtu 1500',
      'ip link set vkot0123abcd master vko0123abcd',
      'ip link set vkot0123abcd up',
    ]);
  });
});

describe('parseTunnelState', () => {
  const link = JSON.stringify([
    {
      ifname: 'vkot0123abcd',
      flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
      mtu: 1500,
      master: 'vko0123abcd',
      linkinfo: {
        info_kind: 'vxlan',
        info_data: { id: 777, local: '10.0.0.1', port: 4789, learning: false },
      },
    },
  ]);

  it('reads the device and its flood entries (an entry to its own port is listed without one)', () => {
    const fdb = JSON.stringify([
      { mac: 'e2:76:cb:b5:a4:65', master: 'vko0123abcd', state: 'permanent' },
      { mac: '00:00:00:00:00:00', dst: '10.0.0.2', flags: ['self'], state: 'permanent' },
      { mac: '00:00:00:00:00:00', dst: '127.0.0.1', port: 46002, flags: ['self'], state: 'permanent' },
      { mac: '52:54:00:00:00:01', dst: '10.0.0.3', flags: ['self'] },
    ]);
    expect(parseTunnelState(link, fdb)).toEqual({
      vni: 777,
      local: '10.0.0.1',
      port: 4789,
      learning: false,
      master: 'vko0123abcd',
      mtu: 1500,
      up: true,
      floodTo: [
        { ip: '10.0.0.2', port: 4789 },
        { ip: '127.0.0.1', port: 46002 },
      ],
    });
  });

  it('a link of another kind is no tunnel (it is made again)', () => {
    expect(
      parseTunnelState(JSON.stringify([{ ifname: 'x', linkinfo: { info_kind: 'veth' } }]), '[]'),
    ).toBeUndefined();
    expect(parseTunnelState('[]', '')).toBeUndefined();
  });
});
