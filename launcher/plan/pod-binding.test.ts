import { buildLaunchPlan, type PlannableVmi } from './build';
import { LaunchSpecError } from './errors';
import { hashedPodInterfaceName } from '../../api/multus/pod-interfaces';
import { masqueradeAddresses, podReplacementMac } from './pod-binding';
import { leaseOf } from '../network/bind';
import type { LaunchContext, PodNetworkState } from './types';

const pod: PodNetworkState = {
  iface: {
    name: 'eth0',
    mac: '0a:58:0a:f4:01:05',
    mtu: 1450,
    addresses: [{ ip: '10.244.1.5', prefixLength: 24 }],
    gateway: '10.244.1.1',
    routes: [{ destination: '10.96.0.0', prefixLength: 12, gateway: '10.244.1.1' }],
  },
  dns: { nameservers: ['10.96.0.10'], searches: ['prod.svc.cluster.local', 'svc.cluster.local'] },
};

const ctx = (over: Partial<LaunchContext> = {}): LaunchContext => ({
  workDir: '/run/vm',
  accelerator: 'tcg',
  featureGates: ['LocalContainerDisk'],
  firmware: {},
  exists: (p) => p === '/images/guest.img',
  podInterfaceName: 'eth0',
  podNetwork: pod,
  ...over,
});

function vmi(
  iface: Record<string, unknown>,
  network: Record<string, unknown> = { name: 'default', pod: {} },
): PlannableVmi {
  return {
    metadata: { name: 'web', namespace: 'prod' },
    spec: {
      domain: {
        resources: { requests: { memory: '1Gi' } },
        devices: {
          disks: [{ name: 'root', disk: { bus: 'virtio' } }],
          interfaces: [{ name: 'default', ...iface }],
        },
      },
      networks: [network],
      volumes: [{ name: 'root', containerDisk: { image: '/images/guest.img' } }],
    } as unknown as PlannableVmi['spec'],
  };
}

const flag = (args: readonly string[], name: string): string[] =>
  args.flatMap((a, i) => (a === name ? [args[i + 1]!] : []));

describe('pod network bindings in the launch plan', () => {
  it('masquerade in the pod namespace: a tap for QEMU, KubeVirt addresses, the pod DNS and MTU', () => {
    const plan = buildLaunchPlan(vmi({ masquerade: {} }), ctx());
    expect(flag(plan.args, '-netdev')).toEqual(['tap,id=net-default,ifname=tap0,script=no,downscript=no']);
    const i = plan.interfaces[0];
    expect(i.backend).toBe('tap:tap0');
    expect(i.podInterfaceName).toBe('eth0');
    expect(i.binding).toMatchObject({
      kind: 'masquerade',
      bridge: 'k6t-eth0',
      tap: 'tap0',
      mtu: 1450,
      guest: { ip: '10.0.2.2', prefixLength: 24 },
      serverIp: '10.0.2.1',
      gateway: '10.0.2.1',
      hostname: 'web',
      ports: [],
      dns: pod.dns,
    });
    expect(flag(plan.args, '-device')).toContain(
      `virtio-net-pci,netdev=net-default,mac=${i.mac},id=ua-default`,
    );
  });

  it('networkInterfaceMultiqueue: a queue pair per vCPU on a virtio NIC over a multi-queue tap; one queue otherwise', () => {
    const multi = (iface: Record<string, unknown>, cores: number) => {
      const v = vmi(iface);
      const domain = v.spec.domain as unknown as Record<string, Record<string, unknown>>;
      domain.devices.networkInterfaceMultiqueue = true;
      domain.cpu = { cores };
      return v;
    };
    const plan = buildLaunchPlan(multi({ masquerade: {} }, 4), ctx());
    expect(flag(plan.args, '-netdev')).toEqual([
      'tap,id=net-default,ifname=tap0,script=no,downscript=no,queues=4',
    ]);
    const i = plan.interfaces[0];
    expect(i.queues).toBe(4);
    expect(i.binding?.queues).toBe(4);
    expect(flag(plan.args, '-device')).toContain(
      `virtio-net-pci,netdev=net-default,mac=${i.mac},id=ua-default,mq=on,vectors=10`,
    );
    // One vCPU, or a model other than virtio: a single queue, as KubeVirt does.
    for (const [iface, cores] of [
      [{ masquerade: {} }, 1],
      [{ masquerade: {}, model: 'e1000' }, 4],
    ] as const) {
      const p = buildLaunchPlan(multi(iface, cores), ctx());
      expect(p.interfaces[0].queues).toBe(1);
      expect(p.interfaces[0].binding?.queues).toBeUndefined();
      expect(flag(p.args, '-netdev')[0]).not.toContain('queues');
      expect(flag(p.args, '-device').join(' ')).not.toContain('mq=on');
    }
    // Without the flag, one queue.
    expect(buildLaunchPlan(vmi({ masquerade: {} }), ctx()).interfaces[0].queues).toBe(1);
  });

  it('masquerade ports and port ranges become the forwarded ports; vmNetworkCIDR moves the addresses', () => {
    const plan = buildLaunchPlan(
      vmi(
        {
          masquerade: {},
          ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }],
          portRanges: [{ protocol: 'TCP', start: 9000, end: 9010 }],
        },
        { name: 'default', pod: { vmNetworkCIDR: '192.168.100.0/28' } },
      ),
      ctx(),
    );
    expect(plan.interfaces[0].binding).toMatchObject({
      guest: { ip: '192.168.100.2', prefixLength: 28 },
      serverIp: '192.168.100.1',
      ports: [
        { protocol: 'tcp', port: 80 },
        { protocol: 'udp', port: 53 },
        { protocol: 'tcp', port: 9000, end: 9010 },
      ],
    });
  });

  it("bridge: the guest takes the pod's address and MAC, the pod interface another MAC, the pod's routes go along", () => {
    const plan = buildLaunchPlan(vmi({ bridge: {} }), ctx());
    const i = plan.interfaces[0];
    expect(i.mac).toBe('0a:58:0a:f4:01:05');
    expect(i.binding).toMatchObject({
      kind: 'bridge',
      guestMac: '0a:58:0a:f4:01:05',
      guest: { ip: '10.244.1.5', prefixLength: 24 },
      podAddress: { ip: '10.244.1.5', prefixLength: 24 },
      podMac: podReplacementMac('0a:58:0a:f4:01:05'),
      gateway: '10.244.1.1',
      serverIp: '169.254.75.10',
      routes: pod.iface.routes,
    });
    expect(podReplacementMac('0a:58:0a:f4:01:05')).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    // A MAC from the spec wins, and the pod interface keeps its own.
    const fixed = buildLaunchPlan(vmi({ bridge: {}, macAddress: 'DE-AD-00-00-BE-AF' }), ctx()).interfaces[0];
    expect(fixed.mac).toBe('de:ad:00:00:be:af');
    expect(fixed.binding?.podMac).toBeUndefined();
  });

  it('without the pod namespace (virtkit launch) the pod network stays QEMU user networking', () => {
    const plan = buildLaunchPlan(
      vmi({ masquerade: {} }),
      ctx({ podInterfaceName: undefined, podNetwork: undefined }),
    );
    expect(plan.interfaces[0].backend).toBe('user');
    expect(plan.interfaces[0].binding).toBeUndefined();
  });

  it('bad input names the field and the value', () => {
    const refusal = (v: PlannableVmi, c = ctx()): string => {
      try {
        buildLaunchPlan(v, c);
      } catch (e) {
        expect(e).toBeInstanceOf(LaunchSpecError);
        return (e as Error).message;
      }
      throw new Error('planned');
    };
    expect(
      refusal(vmi({ masquerade: {} }, { name: 'default', pod: { vmNetworkCIDR: '10.0.2.0/31' } })),
    ).toMatch(/spec\.networks\[0\]\.pod\.vmNetworkCIDR.*10\.0\.2\.0\/31.*\/30 or wider/s);
    expect(
      refusal(vmi({ masquerade: {} }, { name: 'default', pod: { vmNetworkCIDR: 'fd00::/64' } })),
    ).toMatch(/vmNetworkCIDR.*not an IPv4 CIDR/s);
    expect(refusal(vmi({ masquerade: {}, ports: [{ port: 80, protocol: 'SCTP' }] }))).toMatch(
      /interfaces\[0\]\.ports\[0\]\.protocol.*SCTP.*TCP or UDP/s,
    );
    expect(refusal(vmi({ masquerade: {}, portRanges: [{ protocol: 'TCP', start: 90, end: 80 }] }))).toMatch(
      /portRanges\[0\]\.end.*not be below start \(90\)/s,
    );
    const noAddress = { ...pod, iface: { ...pod.iface, addresses: [] } };
    expect(refusal(vmi({ bridge: {} }), ctx({ podNetwork: noAddress }))).toMatch(
      /interfaces\[0\]\.bridge.*no IPv4 address.*masquerade/s,
    );
    expect(refusal(vmi({ masquerade: {} }), ctx({ podNetwork: undefined }))).toMatch(
      /pod interface eth0 was not found/,
    );
  });

  it('a Multus network with the bridge binding: bound to its pod<hash> interface, its address by DHCP when it has one', () => {
    const podIf = hashedPodInterfaceName('blue');
    const withBlue = (addresses: { ip: string; prefixLength: number }[]): LaunchContext =>
      ctx({
        podNetwork: {
          ...pod,
          secondary: {
            [podIf]: { name: podIf, mac: '0a:58:c0:a8:32:0a', mtu: 1500, addresses, routes: [] },
          },
        },
      });
    const spec = (iface: Record<string, unknown>): PlannableVmi => {
      const v = vmi({ masquerade: {} });
      (v.spec.domain.devices.interfaces as unknown[]).push({ name: 'blue', ...iface });
      (v.spec.networks as unknown[]).push({ name: 'blue', multus: { networkName: 'br-blue' } });
      return v;
    };
    const plan = buildLaunchPlan(spec({ bridge: {} }), withBlue([{ ip: '192.168.50.10', prefixLength: 24 }]));
    const blue = plan.interfaces[1];
    expect(blue.podInterfaceName).toBe(podIf);
    expect(blue.mac).toBe('0a:58:c0:a8:32:0a');
    expect(blue.binding).toMatchObject({
      kind: 'bridge',
      bridge: `k6t-${podIf}`,
      tap: `tap${podIf.slice(3)}`,
      guest: { ip: '192.168.50.10', prefixLength: 24 },
      // The pod's DNS goes through the primary interface only.
      dns: { nameservers: [], searches: [] },
    });
    expect(flag(plan.args, '-netdev')[1]).toBe(
      `tap,id=net-blue,ifname=tap${podIf.slice(3)},script=no,downscript=no`,
    );
    // No IPAM: layer 2 only, no address for the guest.
    expect(buildLaunchPlan(spec({ bridge: {} }), withBlue([])).interfaces[1].binding?.guest).toBeUndefined();
    // Masquerade is for the pod network only; an attachment the node did not make is named.
    expect(() => buildLaunchPlan(spec({ masquerade: {} }), withBlue([]))).toThrow(
      /interfaces\[1\].*needs the bridge binding/s,
    );
    expect(() => buildLaunchPlan(spec({ bridge: {} }), ctx())).toThrow(
      new RegExp(`spec\\.networks\\[1\\]\\.multus.*${podIf} of Multus network "br-blue" was not found`, 's'),
    );
  });

  it("dhcpOptions reach the binding and the guest's lease, on the pod network and on a Multus network", () => {
    const dhcpOptions = {
      bootFileName: 'pxelinux.0',
      tftpServerName: 'tftp.example.com',
      ntpServers: ['192.0.2.1', '::ffff:192.0.2.2'],
      privateOptions: [{ option: 240, value: 'extra' }],
    };
    const planned = {
      bootFileName: 'pxelinux.0',
      tftpServerName: 'tftp.example.com',
      ntpServers: ['192.0.2.1', '192.0.2.2'],
      privateOptions: [{ option: 240, value: 'extra' }],
    };
    const masq = buildLaunchPlan(vmi({ masquerade: {}, dhcpOptions }), ctx()).interfaces[0].binding!;
    expect(masq.dhcpOptions).toEqual(planned);
    expect(leaseOf(masq)).toMatchObject({ ...planned, ip: '10.0.2.2' });
    const bridge = buildLaunchPlan(vmi({ bridge: {}, dhcpOptions }), ctx()).interfaces[0].binding!;
    expect(leaseOf(bridge)).toMatchObject({ ...planned, ip: '10.244.1.5' });

    const podIf = hashedPodInterfaceName('blue');
    const blue = (addresses: { ip: string; prefixLength: number }[]) => {
      const v = vmi({ masquerade: {} });
      (v.spec.domain.devices.interfaces as unknown[]).push({ name: 'blue', bridge: {}, dhcpOptions });
      (v.spec.networks as unknown[]).push({ name: 'blue', multus: { networkName: 'br-blue' } });
      const c = ctx({
        podNetwork: {
          ...pod,
          secondary: { [podIf]: { name: podIf, mac: '0a:58:c0:a8:32:0a', mtu: 1500, addresses, routes: [] } },
        },
      });
      return () => buildLaunchPlan(v, c);
    };
    const multus = blue([{ ip: '192.168.50.10', prefixLength: 24 }])().interfaces[1].binding!;
    expect(leaseOf(multus)).toMatchObject({ ...planned, ip: '192.168.50.10' });
    // Without IPAM no DHCP server answers: the options could never reach the guest.
    expect(blue([])).toThrow(/interfaces\[1\]\.dhcpOptions.*no IPv4 address.*no DHCP server answers/s);

    // Empty names are left out, as KubeVirt leaves them out.
    const empty = buildLaunchPlan(vmi({ masquerade: {}, dhcpOptions: { bootFileName: '' } }), ctx());
    expect(empty.interfaces[0].binding!.dhcpOptions).toEqual({ ntpServers: [], privateOptions: [] });
    expect(leaseOf(empty.interfaces[0].binding!)).not.toHaveProperty('bootFileName');
  });

  it('bad dhcpOptions are refused with the field, the value and the fix', () => {
    let message = '';
    try {
      buildLaunchPlan(
        vmi({
          masquerade: {},
          dhcpOptions: {
            bootFileName: 'b'.repeat(256),
            ntpServers: ['192.0.2.1', 'ntp.example.com', '2001:db8::1'],
            privateOptions: [
              { option: 240, value: 'a' },
              { option: 100, value: 'b' },
              { option: 240, value: 'c' },
              { option: 250, value: 'é'.repeat(128) },
            ],
          },
        }),
        ctx(),
      );
    } catch (e) {
      expect(e).toBeInstanceOf(LaunchSpecError);
      message = (e as Error).message;
    }
    for (const re of [
      /dhcpOptions\.bootFileName = "b+\.\.\.: is 256 bytes long; a DHCP option carries at most 255 bytes/,
      /dhcpOptions\.ntpServers\[1\] = "ntp\.example\.com": NTP servers must be IPv4 addresses.*192\.0\.2\.1/,
      /dhcpOptions\.ntpServers\[2\] = "2001:db8::1": NTP servers/,
      /dhcpOptions\.privateOptions\[1\]\.option = 100: a private DHCP option has a code from 224 to 254/,
      /dhcpOptions\.privateOptions\[2\]\.option = 240: option 240 is already given by .*privateOptions\[0\]; give each code once/,
      /dhcpOptions\.privateOptions\[3\]\.value = "é+\.\.\.: is 256 bytes long/,
    ])
      expect(message).toMatch(re);
    expect(message).toMatch(/\(6 problems\)/);
  });

  it('masqueradeAddresses: the first host is the gateway, the second the guest', () => {
    expect(masqueradeAddresses('10.0.2.0/24')).toEqual({
      gateway: { ip: '10.0.2.1', prefixLength: 24 },
      guest: { ip: '10.0.2.2', prefixLength: 24 },
    });
    expect(masqueradeAddresses('10.0.2.77/30')).toEqual({
      gateway: { ip: '10.0.2.77', prefixLength: 30 },
      guest: { ip: '10.0.2.78', prefixLength: 30 },
    });
  });
});
