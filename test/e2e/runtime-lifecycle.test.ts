/**
 * The runtime end to end: a real control plane, virtkit's controller and node handler as real
 * processes, and real QEMU (TCG when KVM does not work) booting the test guest. Each test
 * applies VirtualMachines with kubectl and checks what a user sees: printableStatus, Ready,
 * phases, pods, and the guest's serial console.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { cidrContains, parseCidr, type Cidr } from '../../handler/network/cni/cidr';
import { cniPaths } from '../../handler/network/cni/paths';
import {
  createCounterDisk,
  ensureGuestImage,
  GuestMarkers,
  readCounterDisk,
  type GuestImage,
} from '../fixtures/guest/build';
import { consoleHas, launcherOf, podsOf, printableStatus, waitRunning } from './runtime-support/expect';
import { guestVm, localClaim } from './runtime-support/manifests';
import { Runtime, type Obj, type PodNetworkInventory } from './runtime-support/runtime';
import { virtkitProcess } from './runtime-support/streams';

jest.setTimeout(600_000);

const NS = 'rt-e2e';
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

function vmiUid(name: string): string | undefined {
  return rt.get('vmi', NS, name)?.metadata.uid;
}

function requestState(vm: string, action: 'Start' | 'Stop', uid?: string): void {
  const req = action === 'Stop' && uid ? { action, uid } : { action };
  rt.kubectl([
    '-n',
    NS,
    'patch',
    'vm',
    vm,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { stateChangeRequests: [req] } }),
  ]);
}

/**
 * The ACPI power button through the launcher: the guest powers itself off. The launcher may
 * close the connection before answering when the guest is that fast (reported to its owner);
 * the outcome is checked through the VMI anyway.
 */
async function pressPowerButton(vm: string): Promise<void> {
  try {
    await launcherOf(rt, NS, vm).shutdown(60);
  } catch (e) {
    if (!/socket hang up|ENOENT|ECONNRESET/.test((e as Error).message)) throw e;
  }
}

/** The network namespace the handler recorded for a launcher pod (its pod.json). */
function netnsOfPod(podUid: string): string {
  const rec = JSON.parse(
    fs.readFileSync(path.join(rt.handlerStateDir, 'pods', podUid, 'pod.json'), 'utf8'),
  ) as {
    netns?: string;
  };
  if (!rec.netns) throw new Error(`pod ${podUid} has no network namespace in its record`);
  return rec.netns;
}

/** GET /healthz of the test guest's HTTP service through `host` (its pod IP): `<status> <body>`. */
function httpGet(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port: 80, path: '/healthz', timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:80 in 10 s`)));
    req.on('error', reject);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the guest answers `200 ok` on `host` (its HTTP service starts after boot). */
async function untilAnswers(host: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = await httpGet(host).catch((e: Error) => e.message);
    if (last === '200 ok') return;
    await sleep(500);
  }
  throw new Error(`${host} did not answer 200 ok in ${timeoutMs} ms (last: ${last})`);
}

/** Whether process `pid` runs (not a zombie). */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The pod's CNI result cache record (file name) and the host-side veth its default network made. */
function cniRecordOf(podUid: string, inventory: PodNetworkInventory): { record: string; veth: string } {
  const dir = path.join(cniPaths(rt.handlerStateDir).cacheDir, 'results');
  const mine = inventory.records.filter(
    (f) =>
      (JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { containerId: string }).containerId ===
      podUid,
  );
  expect(mine).toHaveLength(1);
  const rec = JSON.parse(fs.readFileSync(path.join(dir, mine[0]), 'utf8')) as {
    result: { interfaces: { name: string; sandbox?: string }[] };
  };
  const veths = rec.result.interfaces
    .filter((i) => i.sandbox === undefined && inventory.veths.includes(i.name))
    .map((i) => i.name);
  expect(veths).toHaveLength(1);
  return { record: mine[0], veth: veths[0] };
}

async function qemuPidOf(vm: string): Promise<number> {
  const st = await launcherOf(rt, NS, vm).status();
  if (!st.pid) throw new Error(`${vm}: the launcher reports no QEMU pid`);
  return st.pid;
}

describe('a VirtualMachine on the local runtime', () => {
  it('the node registers with capacity, the schedulable label, a lease and no start-up taints', () => {
    const node = rt.get('node', undefined, rt.nodeName)!;
    expect(node.metadata.labels?.['kubevirt.io/schedulable']).toBe('true');
    const status = node.status as { capacity: Record<string, string>; allocatable: Record<string, string> };
    expect(Number(status.capacity.cpu)).toBeGreaterThan(0);
    expect(status.allocatable.memory).toMatch(/^\d+Ki$/);
    expect((node.spec as { taints?: { key: string }[] }).taints ?? []).not.toContainEqual(
      expect.objectContaining({ key: 'node.kubernetes.io/not-ready' }),
    );
    expect(rt.get('lease', 'kube-node-lease', rt.nodeName)).toBeDefined();
  });

  it('a VMI using a gated feature whose gate is off (stored without admission) gets no launcher: a condition and one Warning', async () => {
    // No webhook in these suites, so the API server stores it; the handler must refuse it.
    const image = path.join(rt.dir, 'gated', 'data.img');
    rt.apply({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'gated', namespace: NS },
      spec: {
        domain: {
          resources: { requests: { memory: '128Mi' } },
          devices: { disks: [{ name: 'data', disk: { bus: 'virtio' } }], autoattachGraphicsDevice: false },
        },
        volumes: [{ name: 'data', hostDisk: { path: image, type: 'DiskOrCreate', capacity: '16Mi' } }],
      },
    });
    const uid = rt.get('vmi', NS, 'gated')!.metadata.uid;
    const refused = await rt.waitFor(
      'gated VMI Synchronized=False InvalidSpec',
      () => {
        const c = rt.get('vmi', NS, 'gated')?.status?.conditions?.find((x) => x.type === 'Synchronized');
        return c?.status === 'False' && c.reason === 'InvalidSpec' ? (c as { message?: string }) : undefined;
      },
      120_000,
      () => rt.get('vmi', NS, 'gated')?.status,
    );
    expect(refused.message).toContain('spec.volumes[0].hostDisk: HostDisk feature gate is not enabled');
    const pod = await rt.waitFor('the launcher pod waits with reason InvalidSpec', () => {
      const p = podsOf(rt, NS, uid)[0];
      const st = (p?.status as { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] })
        ?.containerStatuses?.[0]?.state?.waiting;
      return st?.reason === 'InvalidSpec' ? p : undefined;
    });
    expect(pod.status?.phase).toBe('Pending');
    // The handler looks again (a pod update wakes it up): still exactly one Warning, from the handler.
    rt.kubectl(['-n', NS, 'annotate', 'pod', pod.metadata.name, 'e2e/look-again=1']);
    await new Promise((r) => setTimeout(r, 3000));
    const events = (
      JSON.parse(
        rt.kubectl([
          '-n',
          NS,
          'get',
          'events',
          '-o',
          'json',
          '--field-selector',
          `involvedObject.uid=${uid},reason=InvalidSpec`,
        ]),
      ) as { items: { type: string; message: string; source?: { component?: string } }[] }
    ).items;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', source: { component: 'virtkit-handler' } });
    expect(events[0].message).toContain('HostDisk feature gate is not enabled');
    // Nothing reached the node: no pod directory, no launcher, and the host file was not created.
    expect(fs.existsSync(path.join(rt.handlerStateDir, 'pods', pod.metadata.uid))).toBe(false);
    expect(rt.serialLog(NS, 'gated')).toBeUndefined();
    expect(fs.existsSync(path.dirname(image))).toBe(false);
    rt.kubectl(['-n', NS, 'delete', 'vmi', 'gated', '--wait=false']);
    await rt.waitFor(
      'gated VMI and its pod gone',
      () => !rt.get('vmi', NS, 'gated') && !podsOf(rt, NS, uid).length,
    );
  });

  it('runStrategy Always boots the guest; Halted shuts it down gracefully and removes VMI and pod', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'always', runStrategy: 'Always' }));
    const vmi = await waitRunning(rt, NS, 'always', GuestMarkers.booted);
    expect(vmi.status?.nodeName).toBe(rt.nodeName);
    const ifaces = vmi.status?.interfaces as { ipAddress?: string; mac?: string }[];
    expect(ifaces[0]?.ipAddress).toBeTruthy();
    expect(ifaces[0]?.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const pods = podsOf(rt, NS, vmi.metadata.uid);
    expect(pods).toHaveLength(1);
    expect(pods[0].status?.phase).toBe('Running');
    const qemu = await qemuPidOf('always');

    // Its own pod network: an address from the node's range, reported on the pod and the VMI,
    // answering from the host; the launcher (the recorded pid itself) and QEMU in its namespace.
    const status = pods[0].status as { podIP?: string; podIPs?: { ip: string }[]; hostIP?: string };
    const podIP = status.podIP ?? '';
    const { podCidr } = rt.nodeNetwork();
    expect(cidrContains(parseCidr(podCidr) as Cidr, podIP)).toBe(true);
    expect(status.podIPs).toEqual([{ ip: podIP }]);
    expect(status.hostIP).not.toBe(podIP);
    expect(ifaces[0]?.ipAddress).toBe(podIP);
    // busybox's ping (the test guest's busybox; Debian's iputils-ping need not be installed).
    const ping = spawnSync('busybox', ['ping', '-c', '1', '-W', '2', podIP], { encoding: 'utf8' });
    expect(`${ping.status} ${ping.stdout}${ping.stderr}`).toMatch(/^0 /);
    const netns = netnsOfPod(pods[0].metadata.uid);
    const nsInode = fs.statSync(`/run/netns/${netns}`).ino;
    const launcherPid = (await launcherOf(rt, NS, 'always').version()).launcherPid;
    expect(rt.liveLaunchers()).toContain(launcherPid);
    expect(fs.statSync(`/proc/${launcherPid}/ns/net`).ino).toBe(nsInode);
    expect(fs.statSync(`/proc/${qemu}/ns/net`).ino).toBe(nsInode);
    const lease = path.join(rt.handlerStateDir, 'cni', 'ipam', 'virtkit', podIP);
    expect(fs.existsSync(lease)).toBe(true);

    // The console through the API server, in its own process: what the guest prints while it
    // shuts down waits in the pipe even while this test blocks on kubectl.
    const console = virtkitProcess([
      'console',
      'always',
      '--no-history',
      '-n',
      NS,
      '--kubeconfig',
      rt.kubeconfig,
    ]);
    await console.untilErr(/Successfully connected to always console/, 60_000);
    rt.kubectl([
      '-n',
      NS,
      'patch',
      'vm',
      'always',
      '--type=merge',
      '-p',
      '{"spec":{"runStrategy":"Halted"}}',
    ]);
    await rt.waitFor('VMI always gone', () => !rt.get('vmi', NS, 'always'));
    await rt.waitFor('pods of always gone', () => podsOf(rt, NS, vmi.metadata.uid).length === 0);
    await rt.waitFor('printableStatus Stopped', () => printableStatus(rt, NS, 'always') === 'Stopped');
    // Graceful: the guest saw the ACPI power button and powered itself off; the console ends with it.
    expect(await console.exited).toBe(0);
    expect(console.out()).toContain(GuestMarkers.poweringOff);
    expect(rt.liveQemus()).not.toContain(qemu);
    // The pod's network went with it (CNI DEL before the pod object was removed).
    expect(fs.existsSync(`/run/netns/${netns}`)).toBe(false);
    expect(fs.existsSync(lease)).toBe(false);
  });

  it('Manual: start and stop requests start and stop the guest', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'manual', runStrategy: 'Manual' }));
    await rt.waitFor('manual Stopped', () => printableStatus(rt, NS, 'manual') === 'Stopped');
    expect(vmiUid('manual')).toBeUndefined();
    requestState('manual', 'Start');
    const vmi = await waitRunning(rt, NS, 'manual', GuestMarkers.booted);
    requestState('manual', 'Stop', vmi.metadata.uid);
    await rt.waitFor('manual VMI gone', () => !rt.get('vmi', NS, 'manual'));
    await rt.waitFor('manual Stopped again', () => printableStatus(rt, NS, 'manual') === 'Stopped');
    expect(podsOf(rt, NS, vmi.metadata.uid)).toHaveLength(0);
  });

  it('Once and RerunOnFailure: a guest poweroff ends the run; a killed QEMU reruns only RerunOnFailure', async () => {
    const cases = [
      { name: 'once-off', runStrategy: 'Once', end: 'poweroff', rerun: false },
      { name: 'once-kill', runStrategy: 'Once', end: 'kill', rerun: false },
      { name: 'rerun-off', runStrategy: 'RerunOnFailure', end: 'poweroff', rerun: false },
      { name: 'rerun-kill', runStrategy: 'RerunOnFailure', end: 'kill', rerun: true },
    ] as const;
    for (const c of cases)
      rt.apply(guestVm(image, { namespace: NS, name: c.name, runStrategy: c.runStrategy }));
    const first = new Map<string, string>();
    for (const c of cases)
      first.set(c.name, (await waitRunning(rt, NS, c.name, GuestMarkers.booted)).metadata.uid);
    for (const c of cases) {
      if (c.end === 'poweroff') await pressPowerButton(c.name);
      else process.kill(await qemuPidOf(c.name), 'SIGKILL');
    }
    for (const c of cases) {
      if (c.rerun) {
        await waitRunning(rt, NS, c.name, GuestMarkers.booted, first.get(c.name));
        continue;
      }
      // Not rerun: the finished VMI stays (in its final phase) or the controller removed it; no new one appears.
      const phase = c.end === 'poweroff' ? 'Succeeded' : 'Failed';
      await rt.waitFor(
        `${c.name} VMI ${phase} (or removed)`,
        () => {
          const v = rt.get('vmi', NS, c.name);
          return !v || v.status?.phase === phase;
        },
        120_000,
        () => rt.get('vmi', NS, c.name)?.status,
      );
      expect([undefined, first.get(c.name)]).toContain(vmiUid(c.name));
    }
    // Give the controller a chance to (wrongly) rerun the finished ones, then check it did not.
    await rt.waitFor('launcher pods settled', () =>
      rt.list('pods', NS).every((p) => p.status?.phase !== 'Pending'),
    );
    for (const c of cases.filter((x) => !x.rerun)) {
      expect([undefined, first.get(c.name)]).toContain(vmiUid(c.name));
      expect(printableStatus(rt, NS, c.name)).not.toBe('Running');
    }
    for (const c of cases) rt.kubectl(['-n', NS, 'delete', 'vm', c.name, '--wait=false']);
  });

  it('a killed launcher fails its VMI and an Always VM comes back', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'phoenix', runStrategy: 'Always' }));
    const vmi = await waitRunning(rt, NS, 'phoenix', GuestMarkers.booted);
    const version = await launcherOf(rt, NS, 'phoenix').version();
    process.kill(version.launcherPid, 'SIGKILL');
    await rt.waitFor('a new phoenix VMI', () => {
      const uid = vmiUid('phoenix');
      return uid !== undefined && uid !== vmi.metadata.uid;
    });
    await waitRunning(rt, NS, 'phoenix', GuestMarkers.booted, vmi.metadata.uid);
    expect(rt.list('vmi', NS).filter((v) => v.metadata.name === 'phoenix')).toHaveLength(1);
  });

  it('restarting the controller and the handler leaves running guests alone and makes no duplicates', async () => {
    const before = rt.get('vmi', NS, 'phoenix')!;
    const podIPBefore = podsOf(rt, NS, before.metadata.uid)[0]?.status?.podIP;
    expect(podIPBefore).toBeTruthy();
    const qemu = await qemuPidOf('phoenix');
    const log = rt.serialLog(NS, 'phoenix')!;
    await Runtime.stopChild(rt.controller, 'SIGKILL');
    await Runtime.stopChild(rt.handler, 'SIGKILL');
    // Mid-operation: a VM created while both are down.
    rt.apply(guestVm(image, { namespace: NS, name: 'late', runStrategy: 'Always' }));
    rt.startController();
    rt.startHandler();
    await waitRunning(rt, NS, 'late', GuestMarkers.booted);
    const size = fs.statSync(log).size;
    await rt.waitFor('the guest keeps ticking', () => fs.statSync(log).size > size);
    const after = rt.get('vmi', NS, 'phoenix')!;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status?.phase).toBe('Running');
    expect(await qemuPidOf('phoenix')).toBe(qemu);
    expect(podsOf(rt, NS, after.metadata.uid).filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(1);
    // The adopted launcher's pod keeps its address (from its record; no CNI ADD again).
    expect(podsOf(rt, NS, after.metadata.uid)[0]?.status?.podIP).toBe(podIPBefore);
    expect((after.status?.interfaces as { ipAddress?: string }[])[0]?.ipAddress).toBe(podIPBefore);
    const late = podsOf(rt, NS, rt.get('vmi', NS, 'late')!.metadata.uid)[0]?.status?.podIP;
    expect(late).toBeTruthy();
    expect(late).not.toBe(podIPBefore);
    expect(rt.list('vmi', NS).filter((v) => v.metadata.name === 'late')).toHaveLength(1);
    expect(podsOf(rt, NS, rt.get('vmi', NS, 'late')!.metadata.uid)).toHaveLength(1);
  });

  it('a data disk on a PVC keeps its contents across stop and start', async () => {
    const dir = path.join(rt.dir, 'pv-data');
    fs.mkdirSync(dir);
    createCounterDisk(path.join(dir, 'disk.img'));
    for (const o of localClaim(NS, 'data', dir)) rt.apply(o);
    rt.apply(guestVm(image, { namespace: NS, name: 'disky', runStrategy: 'Always', dataClaim: 'data' }));
    await waitRunning(rt, NS, 'disky', 'count=1');
    rt.kubectl(['-n', NS, 'patch', 'vm', 'disky', '--type=merge', '-p', '{"spec":{"runStrategy":"Halted"}}']);
    await rt.waitFor(
      'disky Stopped',
      () => printableStatus(rt, NS, 'disky') === 'Stopped' && !rt.get('vmi', NS, 'disky'),
    );
    expect(readCounterDisk(path.join(dir, 'disk.img'))).toBe(1);
    rt.kubectl(['-n', NS, 'patch', 'vm', 'disky', '--type=merge', '-p', '{"spec":{"runStrategy":"Always"}}']);
    await waitRunning(rt, NS, 'disky', 'count=2');
    expect(consoleHas(rt, NS, 'disky', 'count=2')).toBe(true);
  });

  it('after a handler crash, CNI DEL runs for the pod deleted while it was down; the other guest keeps its network and nothing leaks', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'hr-keep', runStrategy: 'Always' }));
    rt.apply(guestVm(image, { namespace: NS, name: 'hr-gone', runStrategy: 'Always' }));
    const keep = await waitRunning(rt, NS, 'hr-keep', GuestMarkers.httpService);
    const gone = await waitRunning(rt, NS, 'hr-gone', GuestMarkers.httpService);
    const podOf = (vmi: Obj): Obj => {
      const pods = podsOf(rt, NS, vmi.metadata.uid);
      expect(pods).toHaveLength(1);
      return pods[0];
    };
    const keepPod = podOf(keep);
    const gonePod = podOf(gone);
    const keepIP = (keepPod.status as { podIP?: string }).podIP ?? '';
    const goneIP = (gonePod.status as { podIP?: string }).podIP ?? '';
    expect(keepIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(goneIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    await untilAnswers(keepIP);
    await untilAnswers(goneIP);

    // Before: each running pod has one namespace, one veth on the bridge, one lease, one record.
    const before = rt.podNetworkInventory();
    const keepNetns = netnsOfPod(keepPod.metadata.uid);
    const goneNetns = netnsOfPod(gonePod.metadata.uid);
    const goneLeases = before.leases.filter((f) => path.basename(f) === goneIP);
    expect(goneLeases).toHaveLength(1);
    const goneCni = cniRecordOf(gonePod.metadata.uid, before);
    const keepCni = cniRecordOf(keepPod.metadata.uid, before);
    expect(before.namespaces).toEqual(expect.arrayContaining([keepNetns, goneNetns]));
    for (const n of ['veths', 'leases', 'records'] as const)
      expect(before[n]).toHaveLength(before.namespaces.length);
    const goneQemu = await qemuPidOf('hr-gone');
    const goneLauncher = (await launcherOf(rt, NS, 'hr-gone').version()).launcherPid;
    const keepQemu = await qemuPidOf('hr-keep');
    const keepLauncher = (await launcherOf(rt, NS, 'hr-keep').version()).launcherPid;
    const qemusBefore = rt.liveQemus().sort();

    // The surviving guest is asked all along: while the handler is down, as it comes back, after.
    const answers: string[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        answers.push(await httpGet(keepIP).catch((e: Error) => `error ${e.message}`));
        await sleep(500);
      }
    })();

    try {
      // A crash: no clean-up of any kind. While it is down, the pod is force-deleted and its VM
      // deleted (the controller finishes both without the node).
      await Runtime.stopChild(rt.handler, 'SIGKILL');
      rt.kubectl(['-n', NS, 'delete', 'vm', 'hr-gone', '--wait=false']);
      rt.kubectl(['-n', NS, 'delete', 'pod', gonePod.metadata.name, '--grace-period=0', '--force']);
      await rt.waitFor(
        'hr-gone VM, VMI and pod gone while the handler is down',
        () =>
          !rt.get('vm', NS, 'hr-gone') &&
          !rt.get('vmi', NS, 'hr-gone') &&
          podsOf(rt, NS, gone.metadata.uid).length === 0,
        120_000,
      );
      // Nothing has torn its network down yet: that is the handler's job when it comes back.
      expect(rt.podNetworkInventory()).toEqual(before);
      expect(alive(goneQemu) && alive(keepQemu) && alive(keepLauncher)).toBe(true);
      expect(await httpGet(keepIP)).toBe('200 ok');

      rt.startHandler();
      await rt.nodeReady();
      await rt.waitFor(
        "the deleted pod's namespace, veth, lease and CNI record gone",
        () => {
          const now = rt.podNetworkInventory();
          return (
            !now.namespaces.includes(goneNetns) &&
            !now.veths.includes(goneCni.veth) &&
            !now.leases.includes(goneLeases[0]) &&
            !now.records.includes(goneCni.record)
          );
        },
        180_000,
        () => rt.podNetworkInventory(),
      );
      const without = (list: readonly string[], item: string): string[] => list.filter((x) => x !== item);
      expect(rt.podNetworkInventory()).toEqual({
        namespaces: without(before.namespaces, goneNetns),
        veths: without(before.veths, goneCni.veth),
        leases: without(before.leases, goneLeases[0]),
        records: without(before.records, goneCni.record),
      });
      expect(fs.existsSync(`/run/netns/${goneNetns}`)).toBe(false);
      // Its launcher and QEMU were stopped, its pod directory removed; nothing else changed.
      await rt.waitFor(
        "the deleted pod's launcher and QEMU gone",
        () => !alive(goneLauncher) && !alive(goneQemu),
      );
      expect(fs.existsSync(path.join(rt.handlerStateDir, 'pods', gonePod.metadata.uid))).toBe(false);
      expect(rt.liveQemus().sort()).toEqual(qemusBefore.filter((p) => p !== goneQemu));

      // The surviving guest: the same VMI, pod, processes, address and network things.
      const after = rt.get('vmi', NS, 'hr-keep')!;
      expect(after.metadata.uid).toBe(keep.metadata.uid);
      expect(after.status?.phase).toBe('Running');
      expect((after.status?.interfaces as { ipAddress?: string }[])[0]?.ipAddress).toBe(keepIP);
      const keepPods = podsOf(rt, NS, keep.metadata.uid);
      expect(keepPods.map((p) => p.metadata.uid)).toEqual([keepPod.metadata.uid]);
      expect((keepPods[0].status as { podIP?: string }).podIP).toBe(keepIP);
      expect(await qemuPidOf('hr-keep')).toBe(keepQemu);
      expect((await launcherOf(rt, NS, 'hr-keep').version()).launcherPid).toBe(keepLauncher);
      expect(netnsOfPod(keepPod.metadata.uid)).toBe(keepNetns);
      expect(cniRecordOf(keepPod.metadata.uid, rt.podNetworkInventory())).toEqual(keepCni);
      const seen = answers.length;
      await rt.waitFor('more answers after the restart', () => answers.length >= seen + 3, 60_000);
    } finally {
      probing = false;
      await prober;
    }
    expect(answers.length).toBeGreaterThan(5);
    expect(answers.filter((a) => a !== '200 ok')).toEqual([]);
    expect(await httpGet(keepIP)).toBe('200 ok');
  });

  it('deleting VMs removes everything they owned and leaves no QEMU behind', async () => {
    const names = rt.list('vm', NS).map((v) => v.metadata.name);
    expect(names.length).toBeGreaterThan(0);
    rt.kubectl(['-n', NS, 'delete', 'vm', '--all', '--wait=false']);
    await rt.waitFor('VMs gone', () => rt.list('vm', NS).length === 0);
    await rt.waitFor('VMIs gone', () => rt.list('vmi', NS).length === 0);
    await rt.waitFor('launcher pods gone', () => rt.list('pods', NS).length === 0);
    await rt.waitFor(
      'no QEMU left',
      () => rt.liveQemus().length === 0 && rt.liveLaunchers().length === 0,
      120_000,
      () => rt.liveQemus(),
    );
    // Nor any pod network: namespaces, leases and CNI records went with the pods.
    expect(rt.networkLeftovers()).toMatchObject({ namespaces: [], leases: [], records: [] });
  });
});
