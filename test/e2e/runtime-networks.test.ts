/**
 * The pod network at runtime, seen from the host and from inside the guests: every launcher pod
 * gets its own network namespace and a real pod IP (CNI), and the guest's interface is bound to
 * it as KubeVirt binds it.
 * - masquerade (the default): DHCP gives the guest KubeVirt's addresses (10.0.2.2/24, gateway
 *   10.0.2.1, the pod's DNS servers, its MTU, the VM's name, and net-a's dhcpOptions: NTP
 *   servers, TFTP server, boot file, a private option), the host reaches the guest's
 *   services through the pod IP (every port, or only those the interface lists), and a guest
 *   reaches another guest through that one's pod IP.
 * - bridge: the guest gets the pod's own address by DHCP and answers on it.
 * - Multus: net-a and net-b also sit on three secondary networks (a Linux bridge with static
 *   IPAM, one address per NetworkAttachmentDefinition, one with host-local IPAM, and one with
 *   the real whereabouts plugin, its allocations in an IPPool object), bridge bound: their launcher pods' network-status lists every attachment, each guest gets its
 *   secondary addresses by DHCP and reaches the other on both networks. NADs that do not exist,
 *   do not parse, need a plugin this node lacks or have no address left keep the pod from starting, with an Event
 *   that says why; the VMI says it too (Synchronized=False with the cause's reason, one
 *   Warning Event).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import { hashedPodInterfaceName } from '../../api/multus/pod-interfaces';
import { parseResolvConf } from '../../launcher/network/pod-state';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, podsOf, waitRunning, eventsOf, printableStatus } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';
import { virtkitProcess, type CliProcess } from './runtime-support/streams';

jest.setTimeout(600_000);

const NS = 'rt-networks';
let rt: Runtime;
let image: GuestImage;
const processes: CliProcess[] = [];

type VmSpec = {
  spec: { template: { spec: { domain: { devices: Record<string, unknown> }; networks?: unknown } } };
};

/** A guest VM whose pod-network interface is `iface` (a binding and perhaps ports). */
function networkedVm(name: string, iface: Record<string, unknown>): Record<string, unknown> {
  const vm = guestVm(image, { namespace: NS, name, runStrategy: 'Always' }) as unknown as VmSpec;
  vm.spec.template.spec.domain.devices.interfaces = [{ name: 'default', ...iface }];
  vm.spec.template.spec.networks = [{ name: 'default', pod: {} }];
  return vm as unknown as Record<string, unknown>;
}

function podOf(vmi: Obj): Obj {
  const pods = podsOf(rt, NS, vmi.metadata.uid ?? '');
  expect(pods).toHaveLength(1);
  return pods[0];
}

function podIP(vmi: Obj): string {
  const ip = (podOf(vmi).status as { podIP?: string } | undefined)?.podIP;
  expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
  return ip!;
}

/** The guest's VIRTKIT-DHCP line for `ifname`, parsed. */
function dhcpOf(vm: string, ifname = 'eth0'): Record<string, string> {
  const text = fs.readFileSync(rt.serialLog(NS, vm)!, 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${GuestMarkers.dhcp} ${ifname} `));
  expect(line).toBeDefined();
  return Object.fromEntries(
    line!
      .trim()
      .split(' ')
      .slice(2)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

function httpGet(host: string, port = 80): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/healthz', timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port} in 10 s`)));
    req.on('error', reject);
  });
}

/** What the TCP service of the guest on `port` says first, or the connection's error code. */
function tcpFirstLine(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 10_000 });
    let text = '';
    s.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) s.destroy();
    });
    s.on('timeout', () => s.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    s.on('error', (e: NodeJS.ErrnoException) => (text = e.code ?? e.message));
    s.on('close', () => resolve(text.split('\n')[0]));
  });
}

/** Types `line` on the guest's serial console and waits for the output matching `answer`. */
async function askGuest(vm: string, line: string, answer: RegExp): Promise<string> {
  const c = virtkitProcess(['console', vm, '--no-history', '-n', NS, '--kubeconfig', rt.kubeconfig]);
  processes.push(c);
  await c.untilErr(/Successfully connected/, 60_000);
  c.write(`${line}\n`);
  const out = await c.until(answer, 90_000);
  c.child.kill('SIGINT');
  await c.exited;
  return answer.exec(out)![0];
}

/** Linux bridges the secondary networks' bridge plugin makes on the host (removed after). */
const suffix = Math.random().toString(16).slice(2, 8);
const STATIC_BRIDGE = `vkms${suffix}`;
const HL_BRIDGE = `vkmh${suffix}`;
const HL_RANGE = '192.168.60.0/24';
const FULL_BRIDGE = `vkmf${suffix}`;
const WB_BRIDGE = `vkmw${suffix}`;
/** whereabouts' range: .10 to .20 of it, .10 excluded. */
const WB_RANGE = '192.168.62.0/24';

function nad(name: string, config: Record<string, unknown> | string): Record<string, unknown> {
  return {
    apiVersion: 'k8s.cni.cncf.io/v1',
    kind: 'NetworkAttachmentDefinition',
    metadata: { name, namespace: NS },
    spec: { config: typeof config === 'string' ? config : JSON.stringify(config) },
  };
}

const staticNad = (name: string, address: string): Record<string, unknown> =>
  nad(name, {
    cniVersion: '0.4.0',
    name: 'static-net',
    type: 'bridge',
    bridge: STATIC_BRIDGE,
    ipam: { type: 'static', addresses: [{ address }] },
  });

/** A VM on the pod network (masquerade) and on the Multus networks `nads` (bridge binding). */
function multiVm(
  name: string,
  nads: readonly string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const vm = networkedVm(name, { masquerade: {}, ...extra }) as unknown as VmSpec;
  const spec = vm.spec.template.spec;
  for (const n of nads) {
    (spec.domain.devices.interfaces as unknown[]).push({ name: n, bridge: {} });
    (spec.networks as unknown[]).push({ name: n, multus: { networkName: n } });
  }
  return vm as unknown as Record<string, unknown>;
}

const events = (involved: string) => eventsOf(rt, NS, involved);

/** KubeVirt's dhcpOptions on net-a's pod-network (masquerade) interface. */
const NET_A_DHCP_OPTIONS = {
  ntpServers: ['192.0.2.1', '192.0.2.2'],
  tftpServerName: 'tftp.example.com',
  bootFileName: 'pxelinux.0',
  privateOptions: [{ option: 240, value: 'virtkit' }],
};

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
  rt.apply(staticNad('static-a', '192.168.51.10/24'));
  rt.apply(staticNad('static-b', '192.168.51.11/24'));
  rt.apply(
    nad('hl', {
      cniVersion: '0.4.0',
      name: 'hl-net',
      type: 'bridge',
      bridge: HL_BRIDGE,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: HL_RANGE }]],
        dataDir: `${rt.handlerStateDir}/hl-ipam`,
      },
    }),
  );
  // whereabouts: cluster-wide allocation in IPPool objects, the real plugin from the build cache.
  rt.apply(
    nad('wb', {
      cniVersion: '0.4.0',
      name: 'wb-net',
      type: 'bridge',
      bridge: WB_BRIDGE,
      ipam: {
        type: 'whereabouts',
        range: WB_RANGE,
        range_start: '192.168.62.10',
        range_end: '192.168.62.20',
        exclude: ['192.168.62.10/32'],
      },
    }),
  );
  rt.apply(multiVm('net-a', ['static-a', 'hl', 'wb'], { dhcpOptions: NET_A_DHCP_OPTIONS }));
  rt.apply(multiVm('net-b', ['static-b', 'hl', 'wb'], { ports: [{ name: 'http', port: 80 }] }));
  rt.apply(networkedVm('net-br', { bridge: {} }));
}, 600_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await rt?.stop();
  for (const bridge of [STATIC_BRIDGE, HL_BRIDGE, FULL_BRIDGE, WB_BRIDGE])
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
});

describe('masquerade binding', () => {
  let a: Obj;
  let b: Obj;

  beforeAll(async () => {
    a = await waitRunning(rt, NS, 'net-a', `${GuestMarkers.guestIp} eth0`);
    b = await waitRunning(rt, NS, 'net-b', `${GuestMarkers.guestIp} eth0`);
  }, 600_000);

  it("DHCP gives the guest KubeVirt's masquerade addresses, the pod's DNS servers and the VM's name", () => {
    const dns = parseResolvConf(
      fs.existsSync('/etc/resolv.conf') ? fs.readFileSync('/etc/resolv.conf', 'utf8') : '',
    );
    for (const [vm, lease] of [
      ['net-a', dhcpOf('net-a')],
      ['net-b', dhcpOf('net-b')],
    ] as const) {
      expect(lease).toMatchObject({
        ip: '10.0.2.2',
        mask: '24',
        router: '10.0.2.1',
        dns: dns.nameservers.length ? dns.nameservers.join(',') : 'none',
        hostname: vm,
      });
      expect(lease.mtu).toMatch(/^\d{3,5}$/);
    }
  });

  it("the interface's dhcpOptions reach the guest: NTP servers (42), TFTP server (66), boot file (67), a private option, though the guest did not ask for them", () => {
    expect(dhcpOf('net-a')).toMatchObject({
      ntp: '192.0.2.1,192.0.2.2',
      tftp: 'tftp.example.com',
      boot: 'pxelinux.0',
      // busybox udhcpc exports an option it does not know as optCODE=HEX: "virtkit" in hex.
      private: `240:${Buffer.from('virtkit').toString('hex')}`,
    });
    // Only that interface's answers carry them.
    expect(dhcpOf('net-b')).toMatchObject({ ntp: 'none', tftp: 'none', boot: 'none', private: 'none' });
  });

  it("each VMI reports its pod's IP on its interface, and the two pods' IPs differ", () => {
    const ipA = podIP(a);
    const ipB = podIP(b);
    expect(ipA).not.toBe(ipB);
    const iface = (rt.get('vmi', NS, 'net-a')?.status as { interfaces?: Record<string, unknown>[] })
      .interfaces;
    expect(iface?.[0]).toMatchObject({ name: 'default', ipAddress: ipA, podInterfaceName: 'eth0' });
  });

  it("the host reaches each guest's services through its pod IP; only the listed ports when the interface lists some", async () => {
    expect(await httpGet(podIP(a))).toBe('200 ok');
    expect(await tcpFirstLine(podIP(a), 7777)).toBe(`${GuestMarkers.portHello} port=7777`);
    expect(await httpGet(podIP(b))).toBe('200 ok');
    // net-b lists port 80 only: 7777 of its pod IP is not the guest's.
    expect(await tcpFirstLine(podIP(b), 7777)).toBe('ECONNREFUSED');
  });

  it("a guest reaches another guest through that one's pod IP (ICMP and TCP)", async () => {
    const ipB = podIP(b);
    expect(
      await askGuest(
        'net-a',
        `ping ${ipB}`,
        new RegExp(`${GuestMarkers.ping} ${ipB.replace(/\./g, '\\.')} \\w+`),
      ),
    ).toBe(`${GuestMarkers.ping} ${ipB} ok`);
    expect(
      await askGuest(
        'net-a',
        `http ${ipB}`,
        new RegExp(`${GuestMarkers.http} ${ipB.replace(/\./g, '\\.')} \\w+`),
      ),
    ).toBe(`${GuestMarkers.http} ${ipB} ok`);
  });
});

describe('bridge binding on the pod network', () => {
  it("the guest gets the pod's own address by DHCP and the host reaches it there", async () => {
    const vmi = await waitRunning(rt, NS, 'net-br', `${GuestMarkers.guestIp} eth0`);
    const ip = podIP(vmi);
    const lease = dhcpOf('net-br');
    expect(lease.ip).toBe(ip);
    expect(lease.router).toMatch(/^10\.244\.\d+\.1$/);
    expect(lease.hostname).toBe('net-br');
    expect(consoleHas(rt, NS, 'net-br', `${GuestMarkers.guestIp} eth0 ${ip}`)).toBe(true);
    expect(await httpGet(ip)).toBe('200 ok');
    expect(await tcpFirstLine(ip, 7777)).toBe(`${GuestMarkers.portHello} port=7777`);
  });
});

describe('Multus secondary networks (bridge binding)', () => {
  beforeAll(async () => {
    for (const vm of ['net-a', 'net-b'])
      for (const i of ['eth1', 'eth2', 'eth3'])
        await rt.waitFor(
          `${vm} ${i} configured by DHCP`,
          () => consoleHas(rt, NS, vm, `${GuestMarkers.guestIp} ${i} `),
          240_000,
        );
  }, 600_000);

  it("the launcher pods' network-status lists the pod network and every attachment with its addresses", () => {
    for (const [vm, staticIp] of [
      ['net-a', '192.168.51.10'],
      ['net-b', '192.168.51.11'],
    ] as const) {
      const pod = podOf(rt.get('vmi', NS, vm)!);
      const status = JSON.parse(pod.metadata.annotations?.['k8s.v1.cni.cncf.io/network-status'] ?? '[]') as {
        name: string;
        interface: string;
        ips?: string[];
        default?: boolean;
      }[];
      expect(status).toEqual([
        expect.objectContaining({ interface: 'eth0', default: true, ips: [podIP(rt.get('vmi', NS, vm)!)] }),
        expect.objectContaining({
          name: `${NS}/static-${vm.slice(-1)}`,
          interface: hashedPodInterfaceName(`static-${vm.slice(-1)}`),
          ips: [staticIp],
        }),
        expect.objectContaining({
          name: `${NS}/hl`,
          interface: hashedPodInterfaceName('hl'),
          ips: [expect.stringMatching(/^192\.168\.60\.\d+$/)],
        }),
        expect.objectContaining({
          name: `${NS}/wb`,
          interface: hashedPodInterfaceName('wb'),
          ips: [expect.stringMatching(/^192\.168\.62\.(1[1-9]|20)$/)],
        }),
      ]);
    }
  });

  it('each guest gets its secondary addresses by DHCP (no router: the default route stays on the pod network) and the VMI reports them', () => {
    expect(dhcpOf('net-a', 'eth1')).toMatchObject({ ip: '192.168.51.10', mask: '24', router: 'none' });
    expect(dhcpOf('net-b', 'eth1')).toMatchObject({ ip: '192.168.51.11', mask: '24' });
    expect(dhcpOf('net-a', 'eth2').ip).toMatch(/^192\.168\.60\.\d+$/);
    const ifaces = (rt.get('vmi', NS, 'net-a')?.status as { interfaces?: Record<string, unknown>[] })
      .interfaces;
    expect(ifaces?.find((i) => i.name === 'static-a')).toMatchObject({
      ipAddress: '192.168.51.10',
      podInterfaceName: hashedPodInterfaceName('static-a'),
      infoSource: expect.stringContaining('multus-status'),
    });
  });

  it('the guests reach each other on both secondary networks', async () => {
    const hlB = dhcpOf('net-b', 'eth2').ip;
    for (const ip of ['192.168.51.11', hlB])
      expect(
        await askGuest(
          'net-a',
          `ping ${ip}`,
          new RegExp(`${GuestMarkers.ping} ${ip.replace(/\./g, '\\.')} \\w+`),
        ),
      ).toBe(`${GuestMarkers.ping} ${ip} ok`);
  });

  it('whereabouts gives each guest its own address of the range (not the excluded one), kept in an IPPool in kube-system; the guests reach each other on it', async () => {
    const ips = ['net-a', 'net-b'].map((vm) => dhcpOf(vm, 'eth3').ip);
    for (const ip of ips) expect(ip).toMatch(/^192\.168\.62\.(1[1-9]|20)$/);
    expect(new Set(ips).size).toBe(2);
    const pools = JSON.parse(
      rt.kubectl(['get', 'ippools.whereabouts.cni.cncf.io', '-n', 'kube-system', '-o', 'json']),
    ) as {
      items: { spec: { range: string; allocations: Record<string, { podref: string; ifname?: string }> } }[];
    };
    const pool = pools.items.find((p) => p.spec.range === WB_RANGE);
    const launchers = ['net-a', 'net-b'].map((vm) => `${NS}/${podOf(rt.get('vmi', NS, vm)!).metadata.name}`);
    expect(
      Object.values(pool?.spec.allocations ?? {})
        .map((a) => a.podref)
        .sort(),
    ).toEqual(launchers.sort());
    const wbB = dhcpOf('net-b', 'eth3').ip;
    expect(
      await askGuest(
        'net-a',
        `ping ${wbB}`,
        new RegExp(`${GuestMarkers.ping} ${wbB.replace(/\./g, '\\.')} \\w+`),
      ),
    ).toBe(`${GuestMarkers.ping} ${wbB} ok`);
  });

  it('a NAD that does not exist, one that does not parse, one needing a plugin this node lacks, an exhausted range: the pod does not start, an Event and the VMI say why', async () => {
    rt.apply(nad('broken', '{"cniVersion": "0.4.0", "type": "bridge",'));
    rt.apply(
      nad('needs-calico-ipam', {
        cniVersion: '0.4.0',
        name: 'ca',
        type: 'bridge',
        bridge: 'vkca0',
        ipam: { type: 'calico-ipam' },
      }),
    );
    // A range whose one address is its gateway: host-local has nothing to give.
    rt.apply(
      nad('full', {
        cniVersion: '0.4.0',
        name: 'full-net',
        type: 'bridge',
        bridge: FULL_BRIDGE,
        ipam: {
          type: 'host-local',
          ranges: [
            [
              {
                subnet: '192.168.61.0/30',
                rangeStart: '192.168.61.1',
                rangeEnd: '192.168.61.1',
                gateway: '192.168.61.1',
              },
            ],
          ],
          dataDir: `${rt.handlerStateDir}/full-ipam`,
        },
      }),
    );
    const cases = [
      ['bad-missing', 'nope', /nope.*not found/, 'NetworkAttachmentDefinitionNotFound'],
      ['bad-json', 'broken', /broken.*(JSON|json)/, 'InvalidNetworkConfig'],
      ['bad-plugin', 'needs-calico-ipam', /calico-ipam/, 'PluginNotFound'],
      ['bad-full', 'full', /no IP addresses available in range set/, 'PluginFailed'],
    ] as const;
    for (const [vm, network] of cases) rt.apply(multiVm(vm, [network]));
    for (const [vm, network, why, reason] of cases) {
      const event = await rt.waitFor(
        `${vm}: FailedCreatePodSandBox naming the cause`,
        () => {
          const vmi = rt.get('vmi', NS, vm);
          const pod = vmi && podsOf(rt, NS, vmi.metadata.uid ?? '')[0];
          return (
            pod &&
            events(pod.metadata.name).find(
              (e) => e.reason === 'FailedCreatePodSandBox' && why.test(e.message ?? ''),
            )
          );
        },
        180_000,
      );
      expect(event.message).toMatch(/^Failed to create pod sandbox: /);
      // The VMI says it too: Synchronized=False with the cause's reason and the pod Event's
      // message (naming the NAD), and one Warning Event of that reason.
      const sync = await rt.waitFor(
        `${vm}: VMI Synchronized=False ${reason}`,
        () =>
          (
            rt.get('vmi', NS, vm)?.status?.conditions as
              { type: string; status: string; reason?: string; message?: string }[] | undefined
          )?.find((c) => c.type === 'Synchronized' && c.status === 'False' && c.reason === reason),
        60_000,
      );
      expect(sync.message).toMatch(/^Failed to create pod sandbox: /);
      expect(sync.message).toMatch(why);
      expect(sync.message).toContain(network);
      const vmiEvents = await rt.waitFor(
        `${vm}: Warning ${reason} Event on the VMI`,
        () => {
          const found = events(vm).filter(
            (e) => e.type === 'Warning' && e.reason === reason && e.message === sync.message,
          );
          return found.length ? found : undefined;
        },
        60_000,
      );
      // The runtime retries with back-off; the VMI's Event is not repeated for the same message.
      expect(vmiEvents).toHaveLength(1);
      expect(rt.get('vmi', NS, vm)?.status?.phase).not.toBe('Running');
      expect(printableStatus(rt, NS, vm)).toBe('Starting');
      expect(consoleHas(rt, NS, vm, GuestMarkers.booted)).toBe(false);
    }
  });
});

/**
 * Kube-OVN semantics, as virtkit runs them where Kube-OVN itself does not run: a Subnet bound to
 * a namespace gives its pods their addresses (the lowest free one, or the VM's fixed
 * ovn.kubernetes.io/ip_address), each kept in an IP object named after the VM, so the address
 * survives restart and stop/start. A fixed address the Subnet cannot give is refused at
 * admission; one that is taken by the time the VM starts leaves the VMI Pending with
 * Synchronized=False AddressConflict until the address is free.
 */
describe('Kube-OVN subnets and fixed addresses', () => {
  const OVN_NS = 'rt-kube-ovn';
  const octet = 100 + Math.floor(Math.random() * 150);
  const block = `10.251.${octet}`;
  const SUBNET = `e2e-${suffix}`;
  const FIXED = `${block}.50`;
  type IpObj = { spec?: { v4IpAddress?: string; macAddress?: string; podName?: string; subnet?: string } };

  function ovnVm(
    name: string,
    binding: Record<string, unknown>,
    annotations: Record<string, string> = {},
    runStrategy: 'Always' | 'Halted' = 'Always',
  ): Record<string, unknown> {
    const vm = guestVm(image, { namespace: OVN_NS, name, runStrategy }) as unknown as VmSpec & {
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    };
    vm.spec.template.spec.domain.devices.interfaces = [{ name: 'default', ...binding }];
    vm.spec.template.spec.networks = [{ name: 'default', pod: {} }];
    vm.spec.template.metadata.annotations = annotations;
    return vm as unknown as Record<string, unknown>;
  }

  const vmiOf = (vm: string) => rt.get('vmi', OVN_NS, vm);
  const ipObject = (vm: string) =>
    rt.get('ips.kubeovn.io', undefined, `${vm}.${OVN_NS}`) as IpObj | undefined;
  const podIpOf = (vmi: Obj) =>
    (podsOf(rt, OVN_NS, vmi.metadata.uid ?? '')[0]?.status as { podIP?: string } | undefined)?.podIP;
  const guestLease = (vm: string): Record<string, string> | undefined => {
    const log = rt.serialLog(OVN_NS, vm);
    const line =
      log && fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .split('\n')
            .find((l) => l.startsWith(`${GuestMarkers.dhcp} eth0 `))
        : undefined;
    return line
      ? Object.fromEntries(
          line
            .trim()
            .split(' ')
            .slice(2)
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        )
      : undefined;
  };
  const ovnFixed = () => ovnVm('ovn-fixed', { bridge: {} }, { 'ovn.kubernetes.io/ip_address': FIXED });

  beforeAll(async () => {
    await rt.registerAdmission();
    rt.kubectl(['create', 'namespace', OVN_NS]);
    rt.apply({
      apiVersion: 'kubeovn.io/v1',
      kind: 'Subnet',
      metadata: { name: SUBNET },
      spec: {
        protocol: 'IPv4',
        cidrBlock: `${block}.0/24`,
        gateway: `${block}.1`,
        excludeIps: [`${block}.2..${block}.9`],
        namespaces: [OVN_NS],
        natOutgoing: true,
      },
    });
    rt.apply(ovnFixed());
    rt.apply(ovnVm('ovn-auto', { masquerade: {} }));
  }, 120_000);

  it('a fixed ovn.kubernetes.io/ip_address is exactly the address the guest gets; another VM gets the lowest free one', async () => {
    const fixed = await waitRunning(rt, OVN_NS, 'ovn-fixed', `${GuestMarkers.guestIp} eth0`);
    const auto = await waitRunning(rt, OVN_NS, 'ovn-auto', `${GuestMarkers.guestIp} eth0`);
    // Bridge binding: the guest itself holds the Subnet's address, given by DHCP with the gateway.
    expect(guestLease('ovn-fixed')).toMatchObject({ ip: FIXED, mask: '24', router: `${block}.1` });
    expect(podIpOf(fixed)).toBe(FIXED);
    const iface = (fixed.status?.interfaces as { ipAddress?: string; mac?: string }[])[0];
    expect(iface.ipAddress).toBe(FIXED);
    const ip = ipObject('ovn-fixed');
    expect(ip?.spec).toMatchObject({ v4IpAddress: FIXED, podName: 'ovn-fixed', subnet: SUBNET });
    expect(iface.mac).toBe(ip?.spec?.macAddress);
    const pod = podsOf(rt, OVN_NS, fixed.metadata.uid ?? '')[0];
    expect(pod.metadata.annotations).toMatchObject({
      'ovn.kubernetes.io/allocated': 'true',
      'ovn.kubernetes.io/ip_address': FIXED,
      'ovn.kubernetes.io/logical_switch': SUBNET,
      'ovn.kubernetes.io/cidr': `${block}.0/24`,
      'ovn.kubernetes.io/gateway': `${block}.1`,
    });
    // The host reaches the guest's web server on its Subnet address, through the gateway bridge.
    expect(await httpGet(FIXED)).toMatch(/^200 /);
    // .1 is the gateway and .2-.9 are excluded: the first address given is .10.
    expect(podIpOf(auto)).toBe(`${block}.10`);
    expect(ipObject('ovn-auto')?.spec?.v4IpAddress).toBe(`${block}.10`);
    expect(await httpGet(`${block}.10`)).toMatch(/^200 /);
    // The Subnet counts what it gave.
    await rt.waitFor(
      'Subnet status v4usingIPs 2',
      () =>
        (rt.get('subnets.kubeovn.io', undefined, SUBNET)?.status as { v4usingIPs?: number } | undefined)
          ?.v4usingIPs === 2,
      60_000,
    );
  });

  it('the VM keeps its address and MAC across restart and stop/start', async () => {
    const before = ipObject('ovn-fixed')?.spec;
    const autoBefore = ipObject('ovn-auto')?.spec;
    let vmi = vmiOf('ovn-fixed')!;
    expect(rt.virtkit(['restart', 'ovn-fixed', '-n', OVN_NS]).code).toBe(0);
    expect(rt.virtkit(['restart', 'ovn-auto', '-n', OVN_NS]).code).toBe(0);
    vmi = await waitRunning(rt, OVN_NS, 'ovn-fixed', `${GuestMarkers.guestIp} eth0`, vmi.metadata.uid);
    expect(podIpOf(vmi)).toBe(FIXED);
    expect(guestLease('ovn-fixed')?.ip).toBe(FIXED);
    expect(ipObject('ovn-fixed')?.spec).toEqual(before);
    const auto = await waitRunning(rt, OVN_NS, 'ovn-auto', `${GuestMarkers.guestIp} eth0`);
    expect(podIpOf(auto)).toBe(`${block}.10`);
    expect(ipObject('ovn-auto')?.spec).toEqual(autoBefore);

    expect(rt.virtkit(['stop', 'ovn-fixed', '-n', OVN_NS]).code).toBe(0);
    await rt.waitFor('ovn-fixed VMI gone', () => vmiOf('ovn-fixed') === undefined, 180_000);
    // A stopped VM keeps its IP object: the address is still its own.
    expect(ipObject('ovn-fixed')?.spec).toEqual(before);
    expect(rt.virtkit(['start', 'ovn-fixed', '-n', OVN_NS]).code).toBe(0);
    vmi = await waitRunning(rt, OVN_NS, 'ovn-fixed', `${GuestMarkers.guestIp} eth0`);
    expect(podIpOf(vmi)).toBe(FIXED);
    expect((vmi.status?.interfaces as { mac?: string }[])[0].mac).toBe(before?.macAddress);
    expect(await httpGet(FIXED)).toMatch(/^200 /);
  });

  it('admission refuses a fixed address outside the block, in excludeIps or taken, naming the annotation', () => {
    for (const [address, reason] of [
      [
        '10.99.0.5',
        /AddressOutOfRange: annotation ovn\.kubernetes\.io\/ip_address 10\.99\.0\.5 is outside Subnet/,
      ],
      [`${block}.5`, /AddressExcluded: .* is in spec\.excludeIps/],
      [FIXED, /AddressConflict: .* is already allocated to ovn-fixed\.rt-kube-ovn/],
      [`${block}.1`, /AddressConflict: .* is the gateway/],
    ] as const) {
      let error = '';
      try {
        rt.apply(ovnVm('ovn-bad', { masquerade: {} }, { 'ovn.kubernetes.io/ip_address': address }, 'Halted'));
      } catch (e) {
        error = (e as Error).message;
      }
      expect(error).toMatch(/spec\.template\.metadata\.annotations\[ovn\.kubernetes\.io\/ip_address\]/);
      expect(error).toMatch(reason);
      expect(rt.get('vm', OVN_NS, 'ovn-bad')).toBeUndefined();
    }
  });

  it('an address taken by the time the VM starts keeps its VMI Pending with AddressConflict, until it is free', async () => {
    const shared = `${block}.60`;
    // Both pass admission: neither holds the address yet.
    rt.apply(ovnVm('ovn-first', { masquerade: {} }, { 'ovn.kubernetes.io/ip_address': shared }, 'Halted'));
    rt.apply(ovnVm('ovn-second', { masquerade: {} }, { 'ovn.kubernetes.io/ip_address': shared }, 'Halted'));
    expect(rt.virtkit(['start', 'ovn-first', '-n', OVN_NS]).code).toBe(0);
    await waitRunning(rt, OVN_NS, 'ovn-first', `${GuestMarkers.guestIp} eth0`);
    expect(rt.virtkit(['start', 'ovn-second', '-n', OVN_NS]).code).toBe(0);
    const sync = await rt.waitFor(
      'ovn-second Synchronized=False AddressConflict',
      () =>
        (
          vmiOf('ovn-second')?.status?.conditions as
            { type: string; status: string; reason?: string; message?: string }[] | undefined
        )?.find((c) => c.type === 'Synchronized' && c.status === 'False' && c.reason === 'AddressConflict'),
      120_000,
    );
    expect(sync.message).toContain(`VirtualMachineInstance ${OVN_NS}/ovn-second`);
    expect(sync.message).toContain(`${shared} of Subnet ${SUBNET}`);
    expect(sync.message).toContain('already allocated to ovn-first.rt-kube-ovn');
    const second = vmiOf('ovn-second')!;
    expect(second.status?.phase).toBe('Pending');
    expect(podsOf(rt, OVN_NS, second.metadata.uid ?? '')).toHaveLength(0);
    expect(eventsOf(rt, OVN_NS, 'ovn-second').filter((e) => e.reason === 'AddressConflict')).toHaveLength(1);
    // Deleting the holder releases its address; the waiting VM then gets it and runs.
    rt.kubectl(['-n', OVN_NS, 'delete', 'vm', 'ovn-first', '--wait=true']);
    const running = await waitRunning(rt, OVN_NS, 'ovn-second', `${GuestMarkers.guestIp} eth0`);
    expect(podIpOf(running)).toBe(shared);
    expect(ipObject('ovn-first')).toBeUndefined();
    expect(ipObject('ovn-second')?.spec?.v4IpAddress).toBe(shared);
    expect(
      (running.status?.conditions as { type: string; reason?: string }[]).find(
        (c) => c.reason === 'AddressConflict',
      ),
    ).toBeUndefined();
  });
});
