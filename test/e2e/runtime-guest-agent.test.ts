/**
 * Guest OS info on the local runtime: the test guest runs a tiny guest agent, so once it
 * answers the handler reports `status.guestOSInfo` and the condition AgentConnected=True on
 * the VMI, as KubeVirt does, and merges the guest's own view of its NIC (guest-network-get-
 * interfaces) into status.interfaces. A guest without an agent gets neither and runs as usual.
 *
 * And the streams through the real API server (this suite's runtime runs `virtkit api` as the
 * aggregated subresource API and the handler's node API): `virtkit console` on a pipe and
 * `virtkit vnc --proxy-only`, as real processes, against the real test guest.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { findBinary } from '../../cli/local/binaries';
import { objectPath, SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES } from '../../kube/resources';
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, launcherOf, podsOf, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';
import { rfbHandshake, virtkitProcess, type CliProcess } from './runtime-support/streams';

jest.setTimeout(600_000);

const NS = 'rt-agent';
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

function agentCondition(o: Obj | undefined): { status: string } | undefined {
  return o?.status?.conditions?.find((c) => c.type === 'AgentConnected');
}

describe('guest agent on the local runtime', () => {
  it('reports guestOSInfo and AgentConnected=True for a guest whose agent answers', async () => {
    // Two vCPUs and networkInterfaceMultiqueue: its NIC has two queue pairs (checked below).
    const chatty = guestVm(image, { namespace: NS, name: 'chatty', runStrategy: 'Always' }) as {
      spec: { template: { spec: { domain: { cpu?: unknown; devices: Record<string, unknown> } } } };
    };
    chatty.spec.template.spec.domain.cpu = { cores: 2 };
    chatty.spec.template.spec.domain.devices.networkInterfaceMultiqueue = true;
    rt.apply(chatty);
    await waitRunning(rt, NS, 'chatty', GuestMarkers.booted);
    const vmi = await rt.waitFor(
      'VMI condition AgentConnected=True with guestOSInfo',
      () => {
        const v = rt.get('vmi', NS, 'chatty');
        return agentCondition(v)?.status === 'True' && v?.status?.guestOSInfo ? v : undefined;
      },
      120_000,
      () => rt.get('vmi', NS, 'chatty')?.status,
    );
    const info = vmi.status?.guestOSInfo as Record<string, string>;
    expect(info).toMatchObject({
      id: 'virtkit-test-guest',
      name: 'virtkit test guest',
      prettyName: 'virtkit test guest (busybox)',
      version: '1',
      versionId: '1',
      machine: 'x86_64',
    });
    expect(info.kernelRelease).toMatch(/-cloud-amd64$/);
    expect(info.kernelVersion).toBeTruthy();
    expect(vmi.status?.phase).toBe('Running');
  });

  it("merges the agent's interfaces into status.interfaces: eth0, the pod IP for masquerade, infoSource domain, guest-agent", async () => {
    type Iface = {
      name?: string;
      mac?: string;
      ipAddress?: string;
      ipAddresses?: string[];
      interfaceName?: string;
      infoSource?: string;
      queueCount?: number;
      linkState?: string;
    };
    const ifacesOf = (o: Obj | undefined): Iface[] => (o?.status?.interfaces as Iface[] | undefined) ?? [];
    const vmi = await rt.waitFor(
      'VMI status.interfaces[0] from the guest agent',
      () => {
        const v = rt.get('vmi', NS, 'chatty');
        return ifacesOf(v)[0]?.infoSource?.split(', ').includes('guest-agent') ? v : undefined;
      },
      120_000,
      () => rt.get('vmi', NS, 'chatty')?.status?.interfaces,
    );
    const [nic] = ifacesOf(vmi);
    expect(nic?.infoSource).toBe('domain, guest-agent');
    expect(nic?.interfaceName).toBe('eth0');
    expect(nic?.name).toBe('default');

    // What the guest itself reports for eth0: the launcher keeps the agent's answer.
    const polled = await launcherOf(rt, NS, 'chatty').guestInfo();
    const eth0 = polled.interfaces?.find((i) => i.name === 'eth0');
    expect(eth0?.mac).toBe(nic?.mac?.toLowerCase());
    const guestV4 = eth0?.ipAddresses.filter((a) => a.type === 'ipv4').map((a) => a.address) ?? [];
    expect(guestV4.length).toBeGreaterThan(0);
    expect(polled.interfaces?.some((i) => i.name === 'lo')).toBe(true);

    const binding = (await launcherOf(rt, NS, 'chatty').status()).interfaces[0]?.binding;
    const podStatus = podsOf(rt, NS, vmi.metadata.uid)[0]?.status as
      { podIP?: string; podIPs?: { ip: string }[] } | undefined;
    const podIP = podStatus?.podIP;
    // The default interface is masquerade: the guest sits behind NAT on 10.0.2.2, and KubeVirt
    // shows the pod IP for it, not the guest's address.
    expect(binding).toBe('masquerade');
    expect(guestV4).toEqual(['10.0.2.2']);
    expect(podIP).toBeTruthy();
    expect(nic?.ipAddress).toBe(podIP);
    expect(nic?.ipAddresses?.[0]).toBe(podIP);
    expect(nic?.ipAddresses).not.toContain('10.0.2.2');
    // A pod without IPv6: the guest's IPv6 addresses (link-local at least, when its kernel
    // speaks IPv6) fill the family, as KubeVirt's merge does.
    if (!(podStatus?.podIPs ?? []).some((p) => p.ip.includes(':')))
      for (const a of eth0?.ipAddresses.filter((x) => x.type === 'ipv6') ?? [])
        expect(nic?.ipAddresses).toContain(a.address);
    // Loopback never shows; nothing else in this guest is on a network.
    expect(ifacesOf(vmi).filter((i) => i.interfaceName === 'lo')).toEqual([]);

    // networkInterfaceMultiqueue with two vCPUs: two queue pairs, on a multi-queue tap in the pod's
    // namespace that QEMU holds both queues of (and the guest got its address through it above).
    expect(nic?.queueCount).toBe(2);
    expect(nic?.linkState).toBe('up');
    const tap = rt.podLinkDetails(String(podsOf(rt, NS, vmi.metadata.uid)[0]?.metadata?.uid), 'tap0');
    expect(tap).toMatch(/multi_queue numqueues 2\b/);
  });

  it('reports no agent for a guest started with virtkit.no_agent', async () => {
    rt.apply(
      guestVm(image, {
        namespace: NS,
        name: 'quiet',
        runStrategy: 'Always',
        userData: '#cloud-config\n# virtkit.no_agent\n',
      }),
    );
    await waitRunning(rt, NS, 'quiet', 'VIRTKIT-GUEST-AGENT disabled');
    const launcher = launcherOf(rt, NS, 'quiet');
    // Wait until the launcher has asked the channel, so "no agent" is an answer, not a default.
    let polled = await launcher.guestInfo();
    for (let i = 0; i < 300 && polled.checkedAt === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200));
      polled = await launcher.guestInfo();
    }
    expect(polled.checkedAt).toBeDefined();
    expect(polled.connected).toBe(false);
    const vmi = rt.get('vmi', NS, 'quiet');
    expect(agentCondition(vmi)).toBeUndefined();
    expect(vmi?.status?.guestOSInfo).toBeUndefined();
  });
});

describe('console and VNC through the API server (virtkit console, virtkit vnc)', () => {
  const VM = 'streams';
  const processes: CliProcess[] = [];
  const flags = (): string[] => ['-n', NS, '--kubeconfig', rt.kubeconfig];
  const virtkit = (...args: string[]): CliProcess => {
    const p = virtkitProcess([...args, ...flags()]);
    processes.push(p);
    return p;
  };
  const cut = new RegExp(`another client connected to the console of virtualmachineinstance ${NS}/${VM}`);

  afterAll(() => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('virtkit console on a pipe shows the boot of the VM `virtkit start` started; the guest answers a typed line', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: VM, runStrategy: 'Halted', graphics: true }));
    const start = virtkit('start', VM);
    expect(await start.exited).toBe(0);
    const c = virtkit('console', VM, '--timeout', '4');
    await c.until(new RegExp(GuestMarkers.booted), 300_000);
    c.write('hello-from-a-pipe\n');
    await c.until(new RegExp(`${GuestMarkers.consoleReply} hello-from-a-pipe`), 60_000);
    c.child.kill('SIGINT');
    expect(await c.exited).toBe(0);
  });

  it('after boot a console replays the recent output first; a second console cuts it with a clear message', async () => {
    await rt.waitFor('the guest to tick', () => consoleHas(rt, NS, VM, `${GuestMarkers.tick} 3`), 120_000);
    const first = virtkit('console', VM);
    // The boot marker was printed long before: it can only come from the replay.
    await first.until(new RegExp(GuestMarkers.booted), 60_000);
    await first.untilErr(/Successfully connected/);
    const second = virtkit('console', VM, '--no-history');
    expect(await first.exited).toBe(1);
    expect(first.err()).toMatch(cut);
    await second.untilErr(/Successfully connected/);
    second.write('from-the-second\n');
    await second.until(new RegExp(`${GuestMarkers.consoleReply} from-the-second`), 60_000);
    expect(second.out()).not.toContain(GuestMarkers.booted);
    // A dropped client (killed, its websocket never closed) leaves nothing stuck: the
    // launcher's console is free for the next one.
    second.child.kill('SIGKILL');
    await second.exited;
    const third = virtkit('console', VM, '--no-history');
    await third.untilErr(/Successfully connected/);
    third.write('from-the-third\n');
    await third.until(new RegExp(`${GuestMarkers.consoleReply} from-the-third`), 60_000);
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  it('virtkit vnc --proxy-only prints its port; a viewer gets the RFB handshake and a framebuffer update', async () => {
    const proxy = virtkit('vnc', VM, '--proxy-only');
    const port = Number(JSON.parse((await proxy.until(/\{"port":\d+\}/, 60_000)).trim()).port);
    for (let viewer = 0; viewer < 2; viewer++) {
      const s = await rfbHandshake(port);
      expect(s.version).toMatch(/^RFB 003\.00[378]$/);
      expect(s.securityTypes).toContain(1);
      expect(s.width).toBeGreaterThan(0);
      expect(s.height).toBeGreaterThan(0);
      expect(s.firstMessageType).toBe(0); // FramebufferUpdate
      expect(s.rectangles).toBeGreaterThan(0);
    }
    const asked = Date.now();
    proxy.child.kill('SIGINT');
    expect(await proxy.exited).toBe(0);
    expect(Date.now() - asked).toBeLessThan(10_000);
  });

  it('vnc/screenshot answers a PNG of the display through the API server', () => {
    const res = spawnSync(
      findBinary('kubectl'),
      ['get', '--raw', objectPath(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, NS, VM, 'vnc/screenshot')],
      { env: { ...process.env, KUBECONFIG: rt.kubeconfig }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    );
    expect(res.stderr.toString()).toBe('');
    expect(res.status).toBe(0);
    const png = res.stdout;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBeGreaterThan(0); // width
    expect(png.readUInt32BE(20)).toBeGreaterThan(0); // height
  });

  it("RBAC is the API server's: kubevirt.io:view may not open the console (403), kubevirt.io:edit may", async () => {
    const cluster = JSON.parse(rt.kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
      clusters: { cluster: Record<string, unknown> }[];
    };
    const kubeconfigFor = (sa: string, role: string): string => {
      rt.kubectl(['-n', NS, 'create', 'serviceaccount', sa]);
      rt.kubectl([
        '-n',
        NS,
        'create',
        'rolebinding',
        sa,
        `--clusterrole=${role}`,
        `--serviceaccount=${NS}:${sa}`,
      ]);
      const token = rt.kubectl(['-n', NS, 'create', 'token', sa]).trim();
      const file = path.join(rt.dir, `${sa}.kubeconfig`);
      fs.writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: cluster.clusters[0].cluster }],
          users: [{ name: sa, user: { token } }],
          contexts: [{ name: 'c', context: { cluster: 'c', user: sa, namespace: NS } }],
          'current-context': 'c',
        }),
      );
      return file;
    };
    const viewer = virtkitProcess([
      'console',
      VM,
      '--kubeconfig',
      kubeconfigFor('console-viewer', 'kubevirt.io:view'),
    ]);
    processes.push(viewer);
    expect(await viewer.exited).toBe(1);
    expect(viewer.err()).toMatch(/Forbidden: .*may not get virtualmachineinstances\/console/);
    const editor = virtkitProcess([
      'console',
      VM,
      '--no-history',
      '--kubeconfig',
      kubeconfigFor('console-editor', 'kubevirt.io:edit'),
    ]);
    processes.push(editor);
    await editor.untilErr(/Successfully connected/);
    editor.write('from-the-editor\n');
    await editor.until(new RegExp(`${GuestMarkers.consoleReply} from-the-editor`), 60_000);
    editor.child.kill('SIGTERM');
    expect(await editor.exited).toBe(0);
  });

  it('refusals are clear: no such VMI, no graphics, a stopped VM (its open console ends)', async () => {
    const ghost = virtkit('console', 'ghost');
    expect(await ghost.exited).toBe(1);
    expect(ghost.err()).toMatch(/virtualmachineinstance\.kubevirt\.io "ghost" not found/);
    const headless = virtkit('vnc', 'chatty', '--proxy-only');
    expect(await headless.exited).toBe(1);
    expect(headless.err()).toMatch(/No graphics devices are present\./);

    const open = virtkit('console', VM, '--no-history');
    await open.untilErr(/Successfully connected/);
    const stop = virtkit('stop', VM);
    expect(await stop.exited).toBe(0);
    expect(await open.exited).toBe(0);
    expect(open.err()).toMatch(new RegExp(`the console of virtualmachineinstance ${NS}/${VM} closed`));
    await rt.waitFor('the VMI to go', () => !rt.get('vmi', NS, VM), 180_000);
    const late = virtkit('console', VM, '--timeout', '0.05');
    expect(await late.exited).toBe(1);
    expect(late.err()).toMatch(/Timeout trying to connect to the virtual machine instance/);
  });
});
